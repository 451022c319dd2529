"""Does the denoiser time sound to a picture? Audio sampled against ground-truth videos,
or (--joint) both sampled as the engine samples them, over many bounce scenes.

Each bounce scene's true video is encoded and, at every step, put in at the step's
noise level (x = (1 - s) x0 + s noise, the same noise throughout: replacement
sampling), so only the audio is generated. A denoiser that ties the modalities
puts its clicks on the video's wall hits; `deno task eval --clips OUT` reads them
off (its sync line ends with the share of clicks within a frame of a hit, 1.0 on
ground truth, and the same share by chance: ~0.33 on these clips).

    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 models/probe_sync.py --work models/.work/outline --out /tmp/sync
    deno task eval --clips /tmp/sync

With --by-step DIR the audio's clean estimate of every step is written as well, to
DIR/stepN beside the true video, and a sync head's hit detector is read against the
true hits at each step: when the sound settles its clicks, and how well the head
sees the picture's hits by then.

With --joint nothing is given: the clips are what the denoiser makes of the captions, and
the scorer reads the hits off the generated picture. `deno task eval --seeds 5` has ~50
bounce clips of ~10 captions, whose sync reading moves by ~0.05 between seed counts; 288
joint clips of 288 scenes (~4 minutes here) separate changes of ~0.03.
"""
import argparse
import os
import random
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402
from sample import load_models, sample, to_u8  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", required=True, help="training folder with the checkpoints")
    parser.add_argument("--out", required=True, help="folder for the clip folders")
    parser.add_argument("--clips", type=int, default=72, help="bounce scenes (2 s, 64x64)")
    parser.add_argument("--clean", action="store_true",
                        help="give the video clean at every step (a denoiser trained with dit.clean_video_fraction)")
    parser.add_argument("--joint", action="store_true", help="sample the video too (what the engine does)")
    parser.add_argument("--by-step", metavar="DIR",
                        help="also each step's clean-audio estimate (DIR/stepN) and the sync head's hits by step")
    args = parser.parse_args()
    if args.by_step and args.joint:
        parser.error("--by-step reads the steps against the true video: it does not go with --joint")
    torch.set_num_threads(1)
    cfg, models, tokenizer = load_models(args.work)
    rng = random.Random(7)
    scenes = []
    for _ in range(args.clips):
        scene = world.random_scene(rng, heldout=False, bucket="square", seconds=2)
        scene.motion = "bounce"
        scenes.append((scene, world.caption(scene, rng)))
    detector = {}  # step -> [sigma, peaks, peaks on a hit, hits found, hits]
    for start in range(0, len(scenes), 18):
        chunk = scenes[start:start + 18]
        prompts = [p for _, p in chunk]
        truth = [world.render(scene) for scene, _ in chunk]

        def on_step(i, sigma, audio_x0, hit_logits):
            audio = models["audio_decoder"](audio_x0).numpy()
            if not np.isfinite(audio).all():
                print(f"step {i}: the audio decoder gave non-finite samples, written as zeros")
                audio = np.nan_to_num(audio, nan=0.0, posinf=0.0, neginf=0.0)
            for j, (scene, prompt) in enumerate(chunk):
                world.write_clip(os.path.join(args.by_step, f"step{i}", f"clip{start + j:03d}"), scene, truth[j][0],
                                 audio[j], prompt)
            if hit_logits is not None:
                row = detector.setdefault(i, [sigma, 0, 0, 0, 0])
                for j, probability in enumerate(torch.sigmoid(hit_logits).numpy()):
                    peaks, hits = detector_peaks(probability), truth[j][2]
                    row[1:] = [row[1] + len(peaks), row[2] + sum(near(p, hits) for p in peaks),
                               row[3] + sum(near(h, peaks) for h in hits), row[4] + len(hits)]

        with torch.no_grad():
            if args.joint:
                video, latent = sample(cfg, models, tokenizer, prompts, 64, 64, 2, seed=start)
                frames = models["video_decoder"](video)
            else:
                frames = torch.from_numpy(np.stack([t[0] for t in truth])).float() / 255
                _, latent = sample(cfg, models, tokenizer, prompts, 64, 64, 2, seed=start,
                                   video=models["video_encoder"](frames), video_clean=args.clean,
                                   on_step=on_step if args.by_step else None)
            audio = models["audio_decoder"](latent).numpy()
        for j, (scene, prompt) in enumerate(chunk):
            world.write_clip(os.path.join(args.out, f"clip{start + j:03d}"), scene, to_u8(frames[j].numpy()),
                             audio[j], prompt)
    print(f"{len(scenes)} clips -> {args.out}; score with: deno task eval --clips {args.out}")
    if detector:
        print("the sync head's hit detector against the true hits (peaks above 0.5, within a frame):")
        print("step  sigma  peaks  on a hit  hits found")
        for i, (sigma, peaks, on_hit, found, hits) in sorted(detector.items()):
            print(f"{i:4d}  {sigma:5.3f}  {peaks:5d}  {on_hit / max(peaks, 1):8.3f}  {found / max(hits, 1):10.3f}")
    if args.by_step:
        print(f"each step's clean-audio estimate: deno task eval --clips {args.by_step}/stepN")


def detector_peaks(probability) -> list[int]:
    """Frames where the hit probability is above one half and a local maximum."""
    last = len(probability) - 1
    return [t for t, p in enumerate(probability)
            if p > 0.5 and p >= probability[max(t - 1, 0)] and p >= probability[min(t + 1, last)]]


def near(frame: int, frames) -> bool:
    """Whether `frame` is within one frame of one of `frames` (the scorer's tolerance)."""
    return any(abs(frame - other) <= 1 for other in frames)


if __name__ == "__main__":
    main()
