"""PyTorch eager baseline for `deno task bench`: one default generation (text encode,
CFG-batched Euler steps, video and audio decode) with models/' own sampler, then the
clip delivered as files the way Emerge delivers it: a 16-bit PCM WAV, then an MP4
(H.264 + AAC) encoded by ffmpeg from raw RGB frames and that WAV (write_outputs).

    /usr/bin/python3 models/bench_torch.py --pack models/default [--work models/.work/full] --runs 3 \
        [--ffmpeg PATH]

Without --ffmpeg it stops after decoding to tensors (less work than Emerge does). Even
with it, Emerge also writes a poster and a sprite-sheet JPEG that this baseline does not,
which favours torch in the comparison.

Speed does not depend on weight values, so without a checkpoint folder it builds the
pack's exact architecture (from manifest provenance.config) with random weights.
Prints one JSON line: {"seconds": best wall time, "threads": torch threads used,
"outputs": whether the WAV and MP4 were written inside the timed runs}.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import wave

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402
from config import PackConfig  # noqa: E402
from sample import load_models, sample  # noqa: E402
from text import Tokenizer  # noqa: E402
from train import make_models  # noqa: E402


def write_outputs(frames: torch.Tensor, waveform: torch.Tensor, fps: int, sample_rate: int, ffmpeg: str,
                  folder: str) -> None:
    """Writes one decoded clip as `folder`/clip.wav and then `folder`/clip.mp4, mirroring
    core/media/wav.ts (encodeWav), core/media/frames.ts (toRgb8) and core/media/ffmpeg.ts
    (the same H.264 and AAC settings) so that both sides of the bench do the same output
    work. Here in one ffmpeg after both decoders, the plain way; Emerge splits it so the
    H.264 encode runs beside its audio decoder (core/media/outputs.ts).

    frames: [T, H, W, 3] float in [0, 1]; waveform: [S] float in [-1, 1] (mono).
    """
    # toRgb8: clip to [0, 1], * 255, round half to even; NaN becomes 0.
    _, h, w, _ = frames.shape
    rgb = torch.nan_to_num(frames, nan=0.0).clamp(0, 1).mul(255).round().to(torch.uint8).numpy()
    # encodeWav: 16-bit PCM mono little-endian, clipped, Math.round(s * 32767); NaN becomes 0.
    samples = np.clip(np.nan_to_num(waveform.numpy(), nan=0.0), -1, 1)
    pcm = np.floor(samples * 32767 + 0.5).astype("<i2")
    wav_path, mp4_path = os.path.join(folder, "clip.wav"), os.path.join(folder, "clip.mp4")
    with wave.open(wav_path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.tobytes())
    # encodeH264 + encodeAac's settings, the same integer nearest-neighbour upscale (videoScale).
    scale = max(1, math.ceil(256 / min(w, h)))
    args = [ffmpeg, *"-hide_banner -loglevel error -y -f rawvideo -pix_fmt rgb24".split(),
            "-s", f"{w}x{h}", "-framerate", str(fps), "-i", "pipe:0", "-i", wav_path,
            "-vf", f"scale=iw*{scale}:ih*{scale}:flags=neighbor",
            *"-c:v libx264 -preset ultrafast -crf 23 -pix_fmt yuv420p".split(),
            *"-c:a aac -aac_coder fast -b:a 44k".split(),
            "-movflags", "+faststart", "-f", "mp4", mp4_path]
    run = subprocess.run(args, input=rgb.tobytes(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if run.returncode != 0:
        raise RuntimeError(f"ffmpeg exited with code {run.returncode}: {run.stderr.decode()[-500:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pack", default="models/default")
    parser.add_argument("--work", help="checkpoint folder; random weights of the same shape without it")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--ffmpeg", help="ffmpeg binary; with it each run also writes the WAV and MP4")
    args = parser.parse_args()
    with open(os.path.join(args.pack, "manifest.json")) as f:
        manifest = json.load(f)
    if args.work and os.path.exists(os.path.join(args.work, "dit.pt")):
        cfg, models, tokenizer = load_models(args.work)
    else:
        cfg = PackConfig.from_dict(manifest["provenance"]["config"])
        tokenizer = Tokenizer(world.vocabulary())
        models = {k: m.eval() for k, m in make_models(cfg, len(tokenizer.vocab)).items()}
    g = cfg.geometry
    folder = tempfile.TemporaryDirectory(prefix="bench_torch_")
    best = {}
    for threads in (1, 2):  # report torch at its fastest setting on this machine
        torch.set_num_threads(threads)
        times = []
        for run in range(args.runs + 1):
            t0 = time.perf_counter()
            with torch.no_grad():
                xv, xa = sample(cfg, models, tokenizer, ["a big red ball bounces off the walls"], 64, 64, 2,
                                steps=args.steps, seed=run)
                frames = models["video_decoder"](xv)  # (B, T, H, W, 3) in [0, 1]
                waveform = models["audio_decoder"](xa)  # (B, S) in [-1, 1]
                if args.ffmpeg:
                    write_outputs(frames[0], waveform[0], g.fps, g.sample_rate, args.ffmpeg, folder.name)
            if run > 0:  # the first run warms up allocators
                times.append(time.perf_counter() - t0)
        best[threads] = min(times)
    folder.cleanup()
    threads = min(best, key=best.get)
    print(json.dumps({"seconds": best[threads], "threads": threads, "outputs": bool(args.ffmpeg)}))


if __name__ == "__main__":
    main()
