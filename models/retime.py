"""Retime a trained denoiser: teach it a one-frame time code on top of its coarse one.

The shipped pack's denoiser was trained with a time code whose shortest period is 1 s,
so two frames 1/12 s apart look alike to its attention and its clicks land ~2 frames
from their wall hits. Retraining from scratch needs a GPU; this fine-tunes the trained
checkpoint instead, on this CPU, with `dit.fine_time_addon` (a zero-initialized
projection of a one-frame code, so the model starts exactly where it was):

    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 models/retime.py --from models/.work/gpu \\
        --work models/.work/retime --minutes 45
    /usr/bin/python3 models/train.py --work models/.work/retime --out PACK   # export + eval

The other stages' checkpoints are copied as they are; a fresh latent pool is rendered
and encoded with them (their latent space).
"""
import argparse
import os
import random
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402
from config import apply_overrides, read_config  # noqa: E402
from data import ClipBank  # noqa: E402
from reuse import REUSED, append_lineage, continue_run, lineage_entry, run_name  # noqa: E402
from text import Tokenizer  # noqa: E402
from train import (DEVICE, Stage, build_pool, describe_hardware, load_autoencoders, log,  # noqa: E402
                   make_models, train_dit)

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", required=True, help="trained checkpoint folder")
    parser.add_argument("--work", required=True, help="folder for the retimed checkpoints")
    parser.add_argument("--minutes", type=float, default=45)
    parser.add_argument("--clips", type=int, default=6000, help="clips in the fresh latent pool")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                        help="override a config field after the fine-tune defaults, e.g. dit.lr=1e-4")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("EMERGE_TORCH_THREADS", "1")))
    cfg = read_config(args.source)
    d = cfg.dit
    d.fine_time_addon, d.pool_clips = True, args.clips
    # A fine-tune: small batches at a fifth of the GPU run's rate, a short warm-up, and an
    # EMA short enough to follow a run of ~1000 steps.
    d.batch, d.lr, d.warmup, d.ema, d.steps, d.seconds = 32, 2e-4, 50, 0.995, 1_000_000, args.minutes * 60
    apply_overrides(cfg, args.set)
    continue_run(args.source, args.work, cfg, REUSED)
    append_lineage(args.work, lineage_entry(run_name(args.work), ["dit"], describe_hardware(), torch.__version__,
                                            "the trained one, given a one-frame time code"))

    tokenizer = Tokenizer(world.vocabulary())
    models = make_models(cfg, len(tokenizer.vocab))
    stages = {n: Stage(args.work, n) for n in ("text", "video_ae", "audio_ae", "pool", "dit")}
    models["text"].load_state_dict(stages["text"].load()["model"])
    load_autoencoders(models, stages)
    for m in models.values():
        m.to(DEVICE).eval()
    if not stages["pool"].done():
        bank = ClipBank.render(random.Random(f"{cfg.seed}:retime"), args.clips, d.long_fraction, log)
        build_pool(cfg, models, bank, random.Random(0), stages["pool"])
        del bank
    trained = torch.load(os.path.join(args.source, "dit.pt"), map_location="cpu", weights_only=False)
    missing, unexpected = models["dit"].load_state_dict(trained["ema"], strict=False)
    assert not unexpected and all(k.startswith("fine_time.") for k in missing), (missing, unexpected)
    models["dit"].train()
    train_dit(cfg, models, tokenizer, random.Random(f"{cfg.seed}:retime-dit"), stages["dit"],
              stages["pool"].load()["pool"])
    log(f"retimed; export with: train.py --work {args.work} --out PACK")


if __name__ == "__main__":
    main()
