"""Refine a trained video decoder: fine-tune it on its frozen encoder's latents with
the outline-weighted loss (train.decoder_loss), then distil the preview decoder again
from it, on this CPU.

The shipped decoder rounded small squares (the scorer read 70 % of autoencoded
held-out shapes right) although its latents carry the shape (a conv probe on them:
94 %). Only the two decoders change, so the latent space, the pool and the denoiser
stay valid, and every other checkpoint is copied as it is. Each stage resumes: a
second run with the same --work skips what is done.

    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 models/refine_decoder.py --from models/.work/gpu \\
        --work models/.work/outline --minutes 20
    /usr/bin/python3 models/train.py --work models/.work/outline --out PACK   # export + eval
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
from config import read_config  # noqa: E402
from data import ClipBank  # noqa: E402
from reuse import append_lineage, continue_run, lineage_entry, run_name  # noqa: E402
from text import Tokenizer  # noqa: E402
from train import (DEVICE, Stage, describe_hardware, load_autoencoders, log, make_models,  # noqa: E402
                   sharpen_decoder, train_preview)

COPIED = ("text", "video_ae", "audio_ae", "dit")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", required=True, help="trained checkpoint folder")
    parser.add_argument("--work", required=True, help="folder for the refined checkpoints (resumable)")
    parser.add_argument("--minutes", type=float, default=20, help="for the video decoder")
    parser.add_argument("--preview-minutes", type=float, default=3)
    parser.add_argument("--clips", type=int, default=6000, help="2 s clips rendered to train on")
    parser.add_argument("--outline-weight", type=float, default=8.0)
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("EMERGE_TORCH_THREADS", "1")))
    if os.path.exists(os.path.join(args.work, "config.json")):  # resuming: the stored config wins
        cfg = read_config(args.work)
    else:
        cfg = read_config(args.source)
        c = cfg.video_ae
        # From the trained decoder, at half the learning rate, annealed to 0 over the budget.
        c.decoder_fresh, c.decoder_outline_weight = False, args.outline_weight
        c.decoder_steps, c.decoder_seconds = 1_000_000, args.minutes * 60
        cfg.preview_steps, cfg.preview_seconds = 1_000_000, args.preview_minutes * 60
        continue_run(args.source, args.work, cfg, COPIED)
        # The denoiser is trained, so export never reads the latent pool: only its marker
        # is copied (a finished run may have deleted the 0.5 GB pool itself).
        shutil.copy(os.path.join(args.source, "pool.pt.done"), os.path.join(args.work, "pool.pt.done"))
    torch.manual_seed(cfg.seed)
    decoder, preview = Stage(args.work, "sharpen_decoder"), Stage(args.work, "preview")
    if decoder.done() and preview.done():
        log(f"{args.work}: refined already")
        return
    models = make_models(cfg, len(Tokenizer(world.vocabulary()).vocab))
    load_autoencoders(models, {n: Stage(args.work, n) for n in ("video_ae", "audio_ae")})
    bank = ClipBank.render(random.Random(f"{cfg.seed}:outline"), args.clips, 0.0, log).to(DEVICE)
    if not decoder.done():
        models["video_decoder"].load_state_dict(Stage(args.source, "sharpen_decoder").load()["decoder"])
        t0 = time.time()
        sharpen_decoder(cfg, models, bank, random.Random(f"{cfg.seed}:outline-decoder"), decoder)
        record(args.work, "decoder, outline refine", "sharpen_decoder", time.time() - t0,
               "refined with an outline-weighted loss")
    # The preview decoder imitates the final one: distilled again, from where it was.
    models["video_decoder"].load_state_dict(decoder.load()["decoder"])
    models["video_decoder"].to(DEVICE).eval()
    if not preview.done():
        models["preview"].load_state_dict(Stage(args.source, "preview").load()["model"])
        t0 = time.time()
        train_preview(cfg, models, bank, random.Random(f"{cfg.seed}:outline-preview"), preview)
        record(args.work, "preview, redistilled", "preview", time.time() - t0,
               "redistilled from the refined video decoder")
    log(f"refined; export with: train.py --work {args.work} --out PACK")


def record(work: str, stage: str, trained: str, seconds: float, what: str) -> None:
    """Adds a stage to the run's timings and lineage, which the model card shows;
    `trained` names the stage whose network it trained."""
    where = f"{DEVICE}, {os.cpu_count()} cores" if str(DEVICE) == "cpu" else str(DEVICE)
    timings_path = os.path.join(work, "timings.json")
    timings = json.load(open(timings_path)) if os.path.exists(timings_path) else {}
    timings[f"{stage} ({where})"] = seconds
    with open(timings_path, "w") as f:
        json.dump(timings, f, indent=1)
    append_lineage(work, lineage_entry(run_name(work), [trained], describe_hardware(), torch.__version__, what))


if __name__ == "__main__":
    main()
