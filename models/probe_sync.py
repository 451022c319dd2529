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
    args = parser.parse_args()
    torch.set_num_threads(1)
    cfg, models, tokenizer = load_models(args.work)
    rng = random.Random(7)
    scenes = []
    for _ in range(args.clips):
        scene = world.random_scene(rng, heldout=False, bucket="square", seconds=2)
        scene.motion = "bounce"
        scenes.append((scene, world.caption(scene, rng)))
    for start in range(0, len(scenes), 18):
        chunk = scenes[start:start + 18]
        prompts = [p for _, p in chunk]
        with torch.no_grad():
            if args.joint:
                video, latent = sample(cfg, models, tokenizer, prompts, 64, 64, 2, seed=start)
                frames = models["video_decoder"](video)
            else:
                truth = [world.render(scene) for scene, _ in chunk]
                frames = torch.from_numpy(np.stack([t[0] for t in truth])).float() / 255
                _, latent = sample(cfg, models, tokenizer, prompts, 64, 64, 2, seed=start,
                                   video=models["video_encoder"](frames), video_clean=args.clean)
            audio = models["audio_decoder"](latent).numpy()
        for j, (scene, prompt) in enumerate(chunk):
            world.write_clip(os.path.join(args.out, f"clip{start + j:03d}"), scene, to_u8(frames[j].numpy()),
                             audio[j], prompt)
    print(f"{len(scenes)} clips -> {args.out}; score with: deno task eval --clips {args.out}")


if __name__ == "__main__":
    main()
