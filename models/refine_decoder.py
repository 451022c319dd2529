"""Refine a trained video decoder: fine-tune it on its frozen encoder's latents with
the outline-weighted loss (train.decoder_loss), on this CPU.

The shipped decoder rounded small squares (the scorer read 70 % of autoencoded
held-out shapes right) although its latents carry the shape (a conv probe on them:
94 %). Only the decoder changes, so the latent space, the pool and the denoiser stay
valid, and every other checkpoint is copied as it is:

    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 models/refine_decoder.py --from models/.work/gpu \\
        --work models/.work/outline --minutes 20
    /usr/bin/python3 models/train.py --work models/.work/outline --out PACK   # export + eval

The preview decoder is copied too: it imitates the decoder it was distilled from, which
is close enough for a preview.
"""
import argparse
import json
import os
import random
import shutil
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402
from data import ClipBank  # noqa: E402
from reuse import continue_run, read_config  # noqa: E402
from text import Tokenizer  # noqa: E402
from train import DEVICE, Stage, load_autoencoders, log, make_models, sharpen_decoder  # noqa: E402

COPIED = ("text", "video_ae", "audio_ae", "preview", "dit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", required=True, help="trained checkpoint folder")
    parser.add_argument("--work", required=True, help="folder for the refined checkpoints")
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--clips", type=int, default=6000, help="2 s clips rendered to train on")
    parser.add_argument("--outline-weight", type=float, default=8.0)
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("EMERGE_TORCH_THREADS", "1")))
    cfg = read_config(args.source)
    c = cfg.video_ae
    # From the trained decoder, at half the learning rate, annealed to 0 over the budget.
    c.decoder_fresh, c.decoder_outline_weight = False, args.outline_weight
    c.decoder_steps, c.decoder_seconds = 1_000_000, args.minutes * 60
    continue_run(args.source, args.work, cfg, COPIED)
    # The denoiser is trained, so export never reads the latent pool: only its marker is
    # copied (a finished run may have deleted the 0.5 GB pool itself).
    shutil.copy(os.path.join(args.source, "pool.pt.done"), os.path.join(args.work, "pool.pt.done"))

    models = make_models(cfg, len(Tokenizer(world.vocabulary()).vocab))
    load_autoencoders(models, {n: Stage(args.work, n) for n in ("video_ae", "audio_ae")})
    decoder = torch.load(os.path.join(args.source, "sharpen_decoder.pt"), map_location="cpu", weights_only=False)
    models["video_decoder"].load_state_dict(decoder["decoder"])
    bank = ClipBank.render(random.Random(f"{cfg.seed}:outline"), args.clips, 0.0, log).to(DEVICE)
    t0 = time.time()
    sharpen_decoder(cfg, models, bank, random.Random(f"{cfg.seed}:outline-decoder"),
                    Stage(args.work, "sharpen_decoder"))
    record(args.work, time.time() - t0)
    log(f"refined; export with: train.py --work {args.work} --out PACK")


def record(work: str, seconds: float) -> None:
    """Adds the refinement to the run's timings and hardware, which the model card shows."""
    where = f"{DEVICE}, {os.cpu_count()} cores" if str(DEVICE) == "cpu" else str(DEVICE)
    timings_path, hardware_path = os.path.join(work, "timings.json"), os.path.join(work, "hardware.json")
    timings = json.load(open(timings_path)) if os.path.exists(timings_path) else {}
    timings[f"decoder, outline refine ({where})"] = seconds
    hardware = json.load(open(hardware_path)) if os.path.exists(hardware_path) else {
        "hardware": "not recorded", "torch": "not recorded"}
    hardware["hardware"] += f"; then the video decoder refined with an outline-weighted loss ({where})"
    for path, value in ((timings_path, timings), (hardware_path, hardware)):
        with open(path, "w") as f:
            json.dump(value, f, indent=1)


if __name__ == "__main__":
    main()
