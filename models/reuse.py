"""Start a training run from another run's text encoder and autoencoders.

Retraining the denoiser alone keeps the shipped pack's latent space, so its decoders
(which took a CPU half an hour to fix, see the model card) stay valid:

    sh models/train_gpu.sh OUT --reuse models/.work/slim/gpu --set dit.seconds=300

The reused networks keep the source run's config, and so does everything else but
the denoiser's section (seed, geometry, sampler: --set overrides of those are
ignored); the latent pool and the denoiser are trained afresh with this run's `dit`
config (its preset and --set overrides).
"""
import json
import os
import shutil

from config import PackConfig, read_config, write_config

REUSED = ("text", "video_ae", "audio_ae", "sharpen_decoder", "preview")


def read_record(folder: str, name: str) -> dict | None:
    """One of a run's JSON records (hardware.json, timings.json, ...), None if absent."""
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def copy_stages(source: str, work: str, names=REUSED) -> None:
    """Copies the complete checkpoints of `names` from `source` into `work`."""
    for name in names:
        if not os.path.exists(os.path.join(source, f"{name}.pt.done")):
            raise SystemExit(f"--reuse {source}: stage {name} is not complete there")
        for suffix in (".pt", ".pt.done"):
            shutil.copy(os.path.join(source, name + suffix), os.path.join(work, name + suffix))


def continue_run(source: str, work: str, cfg: PackConfig, names) -> None:
    """Starts `work` as a continuation of the run in `source` (a fine-tune of one of its
    networks): writes `cfg` as its config and copies the complete checkpoints of `names`
    and the run's records of hardware and timings, which the model card shows."""
    os.makedirs(work, exist_ok=True)
    write_config(work, cfg)
    copy_stages(source, work, names)
    for name in ("hardware.json", "timings.json"):
        if os.path.exists(os.path.join(source, name)):
            shutil.copy(os.path.join(source, name), os.path.join(work, name))


def reuse_stages(source: str, work: str, fresh: PackConfig) -> PackConfig:
    """Copies `source`'s trained stages into `work`; returns the run's config: the
    source's for the reused networks, `fresh`'s denoiser section. Records where the
    stages came from (reused.json), and their timings, so the model card stays whole."""
    cfg = read_config(source)
    cfg.dit = fresh.dit
    copy_stages(source, work)
    recorded = read_record(source, "hardware.json") or {"hardware": "not recorded", "torch": "not recorded"}
    with open(os.path.join(work, "reused.json"), "w") as f:
        json.dump({"from": os.path.basename(os.path.normpath(source)), "stages": list(REUSED), **recorded}, f)
    timings = read_record(source, "timings.json")
    if timings is not None:
        with open(os.path.join(work, "timings.json"), "w") as f:
            json.dump({k: v for k, v in timings.items() if k not in ("bank", "pool", "dit")}, f, indent=1)
    return cfg


def forget_init(work: str) -> None:
    """Removes the note of an earlier try with --init-dit that was stopped before its
    denoiser started: this run starts afresh, and the note would name a start that did
    not happen."""
    path = os.path.join(work, "dit_init.json")
    if os.path.exists(path):
        os.remove(path)


def record_init(work: str, source: str, step: int) -> None:
    """Notes in `work` that its denoiser starts from `source`'s (at `step`), so that
    describe_run names it on every run of `work`, resumed ones too. Called before the
    denoiser starts."""
    record = {"from": os.path.basename(os.path.normpath(source)), "step": step}
    # What the starting denoiser was trained on and where, when its run recorded it.
    if os.path.exists(os.path.join(source, "config.json")):
        dit = read_config(source).dit
        record.update(batch=dit.batch, clips=dit.pool_clips)
    # describe_run writes a run's hardware as "<where> for <its stages>..." and its
    # torch as "<version> (denoiser); ..." when it names more than one.
    ran = read_record(source, "hardware.json") or {}
    if "hardware" in ran:
        record["hardware"] = ran["hardware"].split(" for ")[0]
    if "torch" in ran:
        record["torch"] = ran["torch"].split(" (denoiser)")[0].split("; ")[0]
    timings = read_record(source, "timings.json") or {}
    if "dit" in timings:
        record["dit"] = round(timings["dit"])
    with open(os.path.join(work, "dit_init.json"), "w") as f:
        json.dump(record, f)


def describe_run(work: str, hardware: str, torch_version: str) -> dict:
    """hardware.json's record of this run, naming the reused stages' origin and the
    denoiser's starting point if any, with the torch each was trained with."""
    reused, init = read_record(work, "reused.json"), read_record(work, "dit_init.json")
    start_torch = (init or {}).get("torch")  # the start was trained elsewhere, maybe on another torch
    torches = [f"{torch_version} (denoiser)" if reused or start_torch else torch_version]
    if start_torch:
        torches.append(f"{start_torch} (its starting denoiser)")
    record = {"hardware": hardware}
    if reused:
        torches.append(f"reused stages: {reused['torch']}")
        record["hardware"] = (f"{hardware} for the latent pool and the denoiser; the text encoder and "
                              f"autoencoders reused from run {reused['from']} ({reused['hardware']})")
    record["torch"] = "; ".join(torches)
    if init:
        facts = [f"its step {init['step']}"]
        if "batch" in init:
            facts[0] += f" of batch {init['batch']}, {init['clips']} clips"
        if "dit" in init:
            facts.append(f"{init['dit']} s")
        if "hardware" in init:
            facts.append(f"on {init['hardware']}")
        record["hardware"] += f"; the denoiser fine-tuned from run {init['from']}'s ({', '.join(facts)})"
    return record
