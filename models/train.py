"""Train the default Emerge pack from scratch, stage by stage, resumable.

    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 models/train.py --work models/.work/full --out models/default
    /usr/bin/python3 models/train.py --quick --work /tmp/q --out /tmp/q/pack     # minutes, for CI

Stages: text encoder -> video AE -> audio AE -> preview decoder -> latent pool ->
joint DiT -> ONNX export -> eval clips. Each stage writes a checkpoint that carries
its config; a stage whose checkpoint is complete is skipped, and the DiT resumes
from its last checkpoint, so a killed run continues where it stopped. Runs on a
CUDA GPU when one is visible (torch 1.13 or 2.x).
"""
import argparse
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402
from audio_ae import AudioDecoder, AudioEncoder  # noqa: E402
from config import PackConfig, quick_config  # noqa: E402
from data import attribute_targets, random_captions, random_shape, render_batch  # noqa: E402
from dit import JointDiT  # noqa: E402
from text import TextEncoder, Tokenizer  # noqa: E402
from video_ae import PreviewDecoder, VideoDecoder, VideoEncoder  # noqa: E402

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Stage:
    """Checkpoint file of one stage: `done()` tells whether it can be skipped.

    A complete stage also leaves `<name>.done`, so a resumed run checks a marker
    instead of loading every checkpoint (the latent pool is 300 MB).
    """

    def __init__(self, work: str, name: str):
        self.path = os.path.join(work, f"{name}.pt")

    def done(self) -> bool:
        return os.path.exists(self.path + ".done")

    def load(self) -> dict:
        return torch.load(self.path, map_location="cpu")

    def save(self, **state) -> None:
        tmp = self.path + ".tmp"
        torch.save(state, tmp)
        os.replace(tmp, self.path)  # a kill mid-save never leaves a torn checkpoint
        if state.get("complete"):
            open(self.path + ".done", "w").close()


def make_models(cfg: PackConfig, vocab_size: int) -> dict:
    g = cfg.geometry
    sizes = {k: len(v) for k, v in world.ATTRIBUTES.items()}
    return {
        "text": TextEncoder(cfg.text, vocab_size, g.max_tokens, sizes),
        "video_encoder": VideoEncoder(cfg.video_ae, g), "video_decoder": VideoDecoder(cfg.video_ae, g),
        "audio_encoder": AudioEncoder(cfg.audio_ae, g), "audio_decoder": AudioDecoder(cfg.audio_ae, g),
        "preview": PreviewDecoder(g), "dit": JointDiT(cfg.dit, g, cfg.text.width),
    }


def adam(params, lr):
    return torch.optim.AdamW(params, lr=lr, weight_decay=0.0)


def update(opt, loss, name: str, step: int, steps: int) -> None:
    """One optimizer step; logs every 100 steps and the last."""
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 100 == 0 or step == steps - 1:
        log(f"{name} {step}/{steps} loss {loss.item():.5f}")


def fit_latent_norm(enc, dec, z) -> None:
    """Normalizes the encoder's latents to zero mean, unit variance; the decoder undoes it."""
    enc.norm.fit(z)
    dec.norm.mean.copy_(enc.norm.mean)
    dec.norm.std.copy_(enc.norm.std)


def train_text(cfg, models, tokenizer, rng, stage):
    model = models["text"].to(DEVICE)
    opt = adam(model.parameters(), cfg.text.lr)
    for step in range(cfg.text.steps):
        captions, scenes = random_captions(rng, cfg.text.batch)
        ids, mask = tokenizer.batch(captions, cfg.geometry.max_tokens)
        _, pooled = model(ids.to(DEVICE), mask.to(DEVICE))
        targets = {k: v.to(DEVICE) for k, v in attribute_targets(scenes).items()}
        update(opt, model.attribute_loss(pooled, targets), "text", step, cfg.text.steps)
    stage.save(model=model.state_dict(), complete=True)


def train_video_ae(cfg, models, rng, stage):
    enc, dec = models["video_encoder"].to(DEVICE), models["video_decoder"].to(DEVICE)
    c = cfg.video_ae
    opt = adam(list(enc.parameters()) + list(dec.parameters()), c.lr)
    for step in range(c.steps):
        lr = c.lr * min(1.0, (step + 1) / 50) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / c.steps)))
        for group in opt.param_groups:
            group["lr"] = lr
        bucket, _ = random_shape(rng, 0.0)
        batch = render_batch(rng, c.batch, bucket, 2, heldout=None)
        start = rng.randrange(0, batch.frames.shape[1] - c.snippet_frames + 1, 2)
        frames = batch.frames[:, start: start + c.snippet_frames].to(DEVICE)  # (B, t, H, W, 3)
        z = enc.raw(frames)
        z_noisy = z + c.latent_noise * torch.randn_like(z) * z.detach().std()
        out = dec.decode_raw(z_noisy)
        loss = F.mse_loss(out, frames) + 0.5 * F.l1_loss(out, frames) + 1e-4 * z.pow(2).mean()
        update(opt, loss, "video_ae", step, c.steps)
    with torch.no_grad():  # latent statistics over whole clips of every bucket
        z = torch.cat([enc.raw(render_batch(rng, 8, b, 2, heldout=None).frames.to(DEVICE)).flatten(2)
                       for b in world.SIZES], dim=2)
        fit_latent_norm(enc, dec, z[..., None, None])
    stage.save(encoder=enc.state_dict(), decoder=dec.state_dict(), complete=True)


def train_audio_ae(cfg, models, rng, stage):
    enc, dec = models["audio_encoder"].to(DEVICE), models["audio_decoder"].to(DEVICE)
    c = cfg.audio_ae
    opt = adam(list(enc.parameters()) + list(dec.parameters()), c.lr)
    for step in range(c.steps):
        batch = render_batch(rng, c.batch, "square", 2, heldout=None)
        wave = batch.audio.to(DEVICE)
        target = enc.spectrogram(wave)
        z = enc.raw(wave)
        log_mag = dec.net(z + c.latent_noise * torch.randn_like(z) * z.detach().std())
        loss = F.l1_loss(log_mag, target) + 1e-4 * z.pow(2).mean()
        update(opt, loss, "audio_ae", step, c.steps)
    with torch.no_grad():
        z = enc.raw(render_batch(rng, 64, "square", 2, heldout=None).audio.to(DEVICE))
        fit_latent_norm(enc, dec, z)
    stage.save(encoder=enc.state_dict(), decoder=dec.state_dict(), complete=True)


def train_preview(cfg, models, rng, stage):
    """Distil the tiny decoder from the full one, and fit the linear latent->RGB map."""
    enc, dec, prev = models["video_encoder"], models["video_decoder"], models["preview"].to(DEVICE)
    opt = adam(prev.parameters(), 2e-3)
    for step in range(cfg.preview_steps):
        bucket, _ = random_shape(rng, 0.0)
        with torch.no_grad():
            z = enc(render_batch(rng, 4, bucket, 2, heldout=None).frames.to(DEVICE))
            z = z + 0.3 * torch.randn_like(z) * rng.random()  # previews see noisy x0 early on
            target = dec(z)
        loss = F.mse_loss(prev(z), target)
        update(opt, loss, "preview", step, cfg.preview_steps)
    with torch.no_grad():
        g = cfg.geometry
        batch = render_batch(rng, 32, "square", 2, heldout=None)
        z = enc(batch.frames.to(DEVICE))  # (B, C, T', H', W')
        rgb = batch.frames.to(DEVICE).reshape(z.shape[0], z.shape[2], g.temporal_compression, z.shape[3],
                                              g.spatial_compression, z.shape[4], g.spatial_compression, 3)
        rgb = rgb.mean(dim=(2, 4, 6))  # (B, T', H', W', 3): mean colour of each latent cell
        lhs = torch.cat([z.permute(0, 2, 3, 4, 1).reshape(-1, z.shape[1]), torch.ones(rgb.numel() // 3, 1,
                                                                                         device=DEVICE)], 1)
        solution = torch.linalg.lstsq(lhs.cpu(), rgb.reshape(-1, 3).cpu()).solution  # (C + 1, 3)
    stage.save(model=prev.state_dict(), latent_to_rgb=solution[:-1].tolist(), rgb_bias=solution[-1].tolist(),
               complete=True)


def sharpen_decoder(cfg, models, rng, stage):
    """Fine-tunes the video decoder alone on the frozen encoder's latents.

    The latent space stays as it is, so the pool and the denoiser trained on it stay
    valid, and this can run beside the denoiser. Measured: after the joint AE stage the
    scorer read only 55 % of shapes right on autoencoded ground truth (soft edges); an
    edge term (spatial gradients) and more steps make edges crisp.
    """
    enc, dec = models["video_encoder"].to(DEVICE).eval(), models["video_decoder"].to(DEVICE).train()
    c = cfg.video_ae
    steps = c.decoder_steps
    opt = adam(dec.parameters(), c.lr * 0.5)
    grad = lambda x, axis: x.diff(dim=axis)  # noqa: E731
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = c.lr * 0.5 * 0.5 * (1 + math.cos(math.pi * step / steps))
        bucket, _ = random_shape(rng, 0.0)
        batch = render_batch(rng, c.batch, bucket, 2, heldout=None)
        start = rng.randrange(0, batch.frames.shape[1] - c.snippet_frames + 1, 2)
        frames = batch.frames[:, start: start + c.snippet_frames].to(DEVICE)
        with torch.no_grad():
            z = enc.raw(frames)
        out = dec.decode_raw(z + c.latent_noise * torch.randn_like(z) * z.std())
        edges = sum(F.l1_loss(grad(out, a), grad(frames, a)) for a in (2, 3))  # (B, T, H, W, 3): H and W
        loss = F.l1_loss(out, frames) + F.mse_loss(out, frames) + edges
        update(opt, loss, "sharpen_decoder", step, steps)
    stage.save(decoder=dec.state_dict(), complete=True)


def build_pool(cfg, models, rng, stage):
    """Pre-encoded clips: the denoiser then costs one forward pass of itself per step."""
    enc_v, enc_a = models["video_encoder"].to(DEVICE), models["audio_encoder"].to(DEVICE)
    groups = {}
    made, t0 = 0, time.time()
    with torch.no_grad():
        while made < cfg.dit.pool_clips:
            bucket, seconds = random_shape(rng, cfg.dit.long_fraction)
            batch = render_batch(rng, 16, bucket, seconds)
            entry = groups.setdefault(f"{bucket}:{seconds}", {"video": [], "audio": [], "scenes": []})
            entry["video"].append(enc_v(batch.frames.to(DEVICE)).half().cpu())
            entry["audio"].append(enc_a(batch.audio.to(DEVICE)).half().cpu())
            entry["scenes"] += [s.__dict__ for s in batch.scenes]
            made += 16
            if made % 1600 == 0:
                log(f"pool {made}/{cfg.dit.pool_clips} ({time.time() - t0:.0f}s)")
    pool = {k: {"video": torch.cat(v["video"]), "audio": torch.cat(v["audio"]), "scenes": v["scenes"]}
            for k, v in groups.items()}
    stage.save(pool=pool, complete=True)


def encode_text(models, tokenizer, captions, max_tokens):
    ids, mask = tokenizer.batch(captions, max_tokens)
    with torch.no_grad():
        tokens, pooled = models["text"](ids.to(DEVICE), mask.to(DEVICE))
    return tokens, mask.float().to(DEVICE), pooled


def train_dit(cfg, models, tokenizer, rng, stage, pool):
    model = models["dit"].to(DEVICE)
    c = cfg.dit
    ema = JointDiT(c, cfg.geometry, cfg.text.width).to(DEVICE)
    ema.load_state_dict(model.state_dict())
    opt = adam(model.parameters(), c.lr)
    step, seconds = 0, 0.0
    if os.path.exists(stage.path):
        state = stage.load()
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["optimizer"])
        step, seconds = state["step"], state.get("seconds", 0.0)
        rng.setstate(state["rng"])
        log(f"dit resumed at step {step}")
    keys = sorted(pool)
    weights = [len(pool[k]["scenes"]) for k in keys]
    t0, losses = time.time(), []
    while step < c.steps:
        lr = c.lr * min(1.0, (step + 1) / c.warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * step / c.steps)))
        for group in opt.param_groups:
            group["lr"] = lr
        key = rng.choices(keys, weights)[0]
        entry = pool[key]
        size = c.batch if key.endswith(":2") else c.batch // 2
        idx = [rng.randrange(len(entry["scenes"])) for _ in range(size)]
        x0_v = entry["video"][idx].float().to(DEVICE)
        x0_a = entry["audio"][idx].float().to(DEVICE)
        scenes = [world.Scene(**entry["scenes"][i]) for i in idx]
        captions = ["" if rng.random() < c.caption_dropout else world.caption(s, rng) for s in scenes]
        text, mask, pooled = encode_text(models, tokenizer, captions, cfg.geometry.max_tokens)
        # Logit-normal sigmas (SD3): most weight on the middle noise levels, where layout and motion form.
        sigma = torch.sigmoid(torch.randn(size, device=DEVICE))
        noise_v, noise_a = torch.randn_like(x0_v), torch.randn_like(x0_a)
        sv, sa = sigma[:, None, None, None, None], sigma[:, None, None]
        pred_v, pred_a = model((1 - sv) * x0_v + sv * noise_v, (1 - sa) * x0_a + sa * noise_a, sigma, text, mask,
                               pooled)
        loss = F.mse_loss(pred_v, noise_v - x0_v) + F.mse_loss(pred_a, noise_a - x0_a)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            decay = min(c.ema, (1 + step) / (10 + step))
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(decay).add_(pm, alpha=1 - decay)
        step += 1
        losses.append(loss.item())
        if step % 50 == 0 or step == c.steps:
            rate = (time.time() - t0) / len(losses)
            log(f"dit {step}/{c.steps} loss {sum(losses[-50:]) / len(losses[-50:]):.4f} lr {lr:.2e} "
                f"{rate:.2f}s/step eta {rate * (c.steps - step) / 60:.0f}min")
        if step % 100 == 0 or step == c.steps:
            stage.save(model=model.state_dict(), ema=ema.state_dict(), optimizer=opt.state_dict(), step=step,
                       rng=rng.getstate(), seconds=seconds + time.time() - t0, complete=step >= c.steps)
    models["dit"] = ema


def load_autoencoders(models, stages):
    for kind in ("video", "audio"):
        state = stages[f"{kind}_ae"].load()
        models[f"{kind}_encoder"].load_state_dict(state["encoder"])
        models[f"{kind}_decoder"].load_state_dict(state["decoder"])


def load_trained(cfg, models, stages):
    models["text"].load_state_dict(stages["text"].load()["model"])
    load_autoencoders(models, stages)
    models["preview"].load_state_dict(stages["preview"].load()["model"])
    if stages["sharpen_decoder"].done():
        models["video_decoder"].load_state_dict(stages["sharpen_decoder"].load()["decoder"])
    models["dit"].load_state_dict(stages["dit"].load()["ema"])
    for m in models.values():
        m.to(DEVICE).eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", default="models/.work/full", help="checkpoint folder")
    parser.add_argument("--out", default="models/default", help="pack folder to export into")
    parser.add_argument("--quick", action="store_true", help="a few steps per stage (CI)")
    parser.add_argument("--eval-clips", type=int, default=3, help="samples per held-out combination")
    parser.add_argument("--only", choices=["sharpen_decoder"], help="run one stage that can run beside the DiT")
    args = parser.parse_args()

    torch.set_num_threads(int(os.environ.get("EMERGE_TORCH_THREADS", "1")))
    cfg = quick_config() if args.quick else PackConfig()
    os.makedirs(args.work, exist_ok=True)
    config_path = os.path.join(args.work, "config.json")
    if os.path.exists(config_path):  # resuming: the stored config wins
        with open(config_path) as f:
            cfg = PackConfig.from_dict(json.load(f))
    with open(config_path, "w") as f:
        json.dump(cfg.to_dict(), f, indent=1)
    torch.manual_seed(cfg.seed)
    tokenizer = Tokenizer(world.vocabulary())
    models = make_models(cfg, len(tokenizer.vocab))
    names = ("text", "video_ae", "audio_ae", "preview", "pool", "sharpen_decoder", "dit")
    stages = {n: Stage(args.work, n) for n in names}
    timings_path = os.path.join(args.work, "timings.json")
    timings = json.load(open(timings_path)) if os.path.exists(timings_path) else {}

    def save_timings():
        with open(timings_path, "w") as f:
            json.dump(timings, f, indent=1)
    log(f"device {DEVICE}, torch {torch.__version__}, work {args.work}")

    def run(name, fn, *extra):
        if stages[name].done():
            log(f"{name}: done, skipped")
            return
        t0 = time.time()
        fn(*(cfg, models) + extra + (random.Random(f"{cfg.seed}:{name}"), stages[name]))
        timings[name] = timings.get(name, 0) + time.time() - t0
        save_timings()

    run("text", train_text, tokenizer)
    models["text"].load_state_dict(stages["text"].load()["model"])
    run("video_ae", train_video_ae)
    run("audio_ae", train_audio_ae)
    load_autoencoders(models, stages)
    for m in models.values():
        m.to(DEVICE).eval()
    if args.only:  # a stage that needs only the autoencoders, beside a running DiT stage
        run(args.only, sharpen_decoder)
        return
    run("preview", train_preview)
    run("pool", build_pool)
    run("sharpen_decoder", sharpen_decoder)
    if not stages["dit"].done():
        models["dit"].train()
        pool = stages["pool"].load()["pool"]
        train_dit(cfg, models, tokenizer, random.Random(f"{cfg.seed}:dit"), stages["dit"], pool)
        del pool
        timings["dit"] = stages["dit"].load()["seconds"]  # summed over every resumed run
        save_timings()
    load_trained(cfg, models, stages)

    from export import export_pack  # noqa: E402 (after training: export needs only the models)
    from sample import write_eval_clips  # noqa: E402
    export_pack(cfg, models, tokenizer, stages["preview"].load(), args.out, timings, DEVICE, args.eval_clips)
    write_eval_clips(cfg, models, tokenizer, os.path.join(args.work, "eval"), args.eval_clips, DEVICE)
    log(f"pack written to {args.out}")


if __name__ == "__main__":
    main()
