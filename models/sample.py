"""The PyTorch reference sampler: flow-matching Euler with shift and batched CFG.

It is the yardstick for the engine (parity test, speed benchmark) and writes the
clips that measure the pack's quality before the engine exists.

    /usr/bin/python3 models/sample.py --work models/.work/full --prompt "a red ball bounces" --out /tmp/x
"""
import argparse
import os
import random
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402


def shift_sigma(s, shift: float):
    """Noise levels moved toward high noise: s' = k s / (1 + (k - 1) s) (k = 1 keeps them)."""
    return shift * s / (1 + (shift - 1) * s)


def sigmas(steps: int, shift: float) -> torch.Tensor:
    """1 -> 0 in `steps` Euler steps, shifted toward high noise."""
    return shift_sigma(torch.linspace(1.0, 0.0, steps + 1), shift)


def latent_shapes(cfg, width: int, height: int, seconds: int):
    g = cfg.geometry
    frames = seconds * g.fps
    return ((g.latent_channels, frames // g.temporal_compression, height // g.spatial_compression,
             width // g.spatial_compression), (g.audio_latent_channels, seconds * g.audio_latent_rate))


@torch.no_grad()
def sample(cfg, models, tokenizer, prompts, width, height, seconds, noise=None, steps=None,
           guidance=None, negative="", device="cpu", seed=0, video=None, video_clean=False, on_step=None):
    """Latents (video, audio) for a batch of prompts of one shape; `noise` = (video, audio) to start from.

    `video`, clean latents, makes only the audio generated: at every step the video is
    put in at that step's noise level from its starting noise (replacement sampling), or
    as it is with `video_clean` (for a denoiser trained with dit.clean_video_fraction).
    `on_step(i, sigma, audio_x0, hit_logits)` sees every step's guided clean-audio
    estimate and, with a sync head, its hit logits for the prompts (else None).
    """
    from train import encode_text  # noqa: E402
    s_cfg = cfg.sampler
    steps = steps or s_cfg.steps
    gv, ga = guidance or (s_cfg.guidance_video, s_cfg.guidance_audio)
    b = len(prompts)
    vshape, ashape = latent_shapes(cfg, width, height, seconds)
    if noise is None:
        gen = torch.Generator().manual_seed(seed)
        noise = (torch.randn((b,) + vshape, generator=gen), torch.randn((b,) + ashape, generator=gen))
    xv, xa = noise[0].to(device), noise[1].to(device)
    video_noise = xv
    text, mask, pooled = encode_text(models, tokenizer, list(prompts) + [negative] * b, cfg.geometry.max_tokens)
    sched = sigmas(steps, s_cfg.shift)
    for i in range(steps):
        s, s_next = sched[i].item(), sched[i + 1].item()
        if video is not None:
            xv = video if video_clean else (1 - s) * video + s * video_noise
        sig = torch.full((2 * b,), s, device=device)
        v, a, *hits = models["dit"](torch.cat([xv, xv]), torch.cat([xa, xa]), sig, text, mask, pooled,
                                    with_hit_logits=on_step is not None)
        v = v[b:] + gv * (v[:b] - v[b:])
        a = a[b:] + ga * (a[:b] - a[b:])
        if on_step is not None:
            on_step(i, s, xa - s * a, None if hits[0] is None else hits[0][:b])
        xv, xa = xv + (s_next - s) * v, xa + (s_next - s) * a
    return xv, xa


def eval_set(per_combo: int) -> list[dict]:
    """The pack's fixed evaluation prompts: every held-out combination `per_combo` times,
    then as many training combinations; square 2 s clips, one seed each."""
    rng = random.Random(2024)
    scenes = []
    for h in world.HELDOUT:
        for _ in range(per_combo):
            scene = world.random_scene(rng, heldout=True, bucket="square", seconds=2)
            scene.shape, scene.color, scene.motion = h["shape"], h["color"], h["motion"]
            scenes.append(scene)
    scenes += [world.random_scene(rng, heldout=False, bucket="square", seconds=2) for _ in range(len(scenes))]
    return [{"prompt": world.caption(s, rng), "attributes": s.attributes(), "heldout": world.is_heldout(s.attributes()),
             "seed": i, "scene": s} for i, s in enumerate(scenes)]


@torch.no_grad()
def write_eval_clips(cfg, models, tokenizer, folder, per_combo, device):
    """Samples the eval set, plus the same prompts' ground truth through both
    autoencoders (the ceiling), into clip folders that `deno task eval --clips` scores."""
    jobs = eval_set(per_combo)
    t0 = time.time()
    for start in range(0, len(jobs), 16):
        chunk = jobs[start: start + 16]
        prompts = [j["prompt"] for j in chunk]
        xv, xa = sample(cfg, models, tokenizer, prompts, 64, 64, 2, device=device, seed=start)
        frames = models["video_decoder"](xv).cpu().numpy()
        audio = models["audio_decoder"](xa).cpu().numpy()
        truth = [world.render(j["scene"]) for j in chunk]
        gt_frames = torch.from_numpy(np.stack([t[0] for t in truth])).float().to(device) / 255
        gt_audio = torch.from_numpy(np.stack([t[1] for t in truth])).to(device)
        ceil_frames = models["video_decoder"](models["video_encoder"](gt_frames)).cpu().numpy()
        ceil_audio = models["audio_decoder"](models["audio_encoder"](gt_audio)).cpu().numpy()
        for j, job in enumerate(chunk):
            name, scene = f"clip{start + j:03d}", job["scene"]
            world.write_clip(os.path.join(folder, "samples", name), scene, to_u8(frames[j]), audio[j], prompts[j])
            world.write_clip(os.path.join(folder, "ceiling", name), scene, to_u8(ceil_frames[j]), ceil_audio[j],
                             prompts[j], truth[j][2])
    print(f"eval clips: {len(jobs)} in {time.time() - t0:.0f}s -> {folder}", flush=True)


def to_u8(frames):
    return (np.clip(frames, 0, 1) * 255 + 0.5).astype(np.uint8)


def load_models(work: str, device="cpu"):
    """Config, models with the trained weights of `work` (EMA denoiser), and the tokenizer."""
    from config import read_config
    from text import Tokenizer
    from train import MODEL_STAGES, Stage, load_trained, make_models
    cfg = read_config(work)
    tokenizer = Tokenizer(world.vocabulary())
    models = make_models(cfg, len(tokenizer.vocab))
    load_trained(cfg, models, {n: Stage(work, n) for n in MODEL_STAGES})
    return cfg, models, tokenizer


def main() -> None:
    """Reference latents for the parity test: reads noise written by the engine, writes x0."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", required=True, help="training folder with the checkpoints")
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--negative", default="")
    parser.add_argument("--size", default="64x64", help="WxH")
    parser.add_argument("--seconds", type=int, default=2)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--guidance", type=float, nargs=2, metavar=("VIDEO", "AUDIO"))
    parser.add_argument("--noise", help="float32 file: video noise then audio noise (else seeded torch noise)")
    parser.add_argument("--out", required=True, help="float32 file: video latents then audio latents")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cfg, models, tokenizer = load_models(args.work)
    width, height = (int(v) for v in args.size.split("x"))
    vshape, ashape = latent_shapes(cfg, width, height, args.seconds)
    noise = None
    if args.noise:
        flat = torch.from_numpy(np.fromfile(args.noise, dtype="<f4"))
        nv = int(np.prod(vshape))
        noise = (flat[:nv].reshape((1,) + vshape), flat[nv:].reshape((1,) + ashape))
    xv, xa = sample(cfg, models, tokenizer, [args.prompt], width, height, args.seconds, noise=noise,
                    steps=args.steps, guidance=args.guidance, negative=args.negative)
    np.concatenate([xv.numpy().ravel(), xa.numpy().ravel()]).astype("<f4").tofile(args.out)


if __name__ == "__main__":
    main()
