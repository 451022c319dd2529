"""PyTorch eager baseline for `deno task bench`: one default generation (text encode,
CFG-batched Euler steps, video and audio decode) with models/' own sampler.

    /usr/bin/python3 models/bench_torch.py --pack models/default [--work models/.work/full] --runs 3

Speed does not depend on weight values, so without a checkpoint folder it builds the
pack's exact architecture (from manifest provenance.config) with random weights.
Prints one JSON line: {"seconds": best wall time, "threads": torch threads used}.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402
from config import PackConfig  # noqa: E402
from sample import load_models, sample  # noqa: E402
from text import Tokenizer  # noqa: E402
from train import make_models  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pack", default="models/default")
    parser.add_argument("--work", help="checkpoint folder; random weights of the same shape without it")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--steps", type=int)
    args = parser.parse_args()
    with open(os.path.join(args.pack, "manifest.json")) as f:
        manifest = json.load(f)
    if args.work and os.path.exists(os.path.join(args.work, "dit.pt")):
        cfg, models, tokenizer = load_models(args.work)
    else:
        cfg = PackConfig.from_dict(manifest["provenance"]["config"])
        tokenizer = Tokenizer(world.vocabulary())
        models = {k: m.eval() for k, m in make_models(cfg, len(tokenizer.vocab)).items()}
    best = {}
    for threads in (1, 2):  # report torch at its fastest setting on this machine
        torch.set_num_threads(threads)
        times = []
        for run in range(args.runs + 1):
            t0 = time.perf_counter()
            with torch.no_grad():
                xv, xa = sample(cfg, models, tokenizer, ["a big red ball bounces off the walls"], 64, 64, 2,
                                steps=args.steps, seed=run)
                models["video_decoder"](xv)
                models["audio_decoder"](xa)
            if run > 0:  # the first run warms up allocators
                times.append(time.perf_counter() - t0)
        best[threads] = min(times)
    threads = min(best, key=best.get)
    print(json.dumps({"seconds": best[threads], "threads": threads}))


if __name__ == "__main__":
    main()
