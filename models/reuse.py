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
    recorded = {"hardware": "not recorded", "torch": "not recorded"}
    if os.path.exists(os.path.join(source, "hardware.json")):
        with open(os.path.join(source, "hardware.json")) as f:
            recorded = json.load(f)
    with open(os.path.join(work, "reused.json"), "w") as f:
        json.dump({"from": os.path.basename(os.path.normpath(source)), "stages": list(REUSED), **recorded}, f)
    if os.path.exists(os.path.join(source, "timings.json")):
        with open(os.path.join(source, "timings.json")) as f:
            timings = {k: v for k, v in json.load(f).items() if k not in ("bank", "pool", "dit")}
        with open(os.path.join(work, "timings.json"), "w") as f:
            json.dump(timings, f, indent=1)
    return cfg


def record_init(work: str, source: str | None, step: int) -> None:
    """Notes in `work` that its denoiser starts from `source`'s (at `step`), so that
    describe_run names it on every run of `work`, resumed ones too. Called before the
    denoiser starts; with no source it removes the note of an earlier try that was
    stopped before then, which would name a start that did not happen."""
    path = os.path.join(work, "dit_init.json")
    if source is None:
        if os.path.exists(path):
            os.remove(path)
        return
    record = {"from": os.path.basename(os.path.normpath(source)), "step": step}
    # What the starting denoiser was trained on and where, when its run recorded it.
    if os.path.exists(os.path.join(source, "config.json")):
        dit = read_config(source).dit
        record.update(batch=dit.batch, clips=dit.pool_clips)
    for name, key in (("hardware.json", "hardware"), ("hardware.json", "torch"), ("timings.json", "dit")):
        if os.path.exists(os.path.join(source, name)):
            with open(os.path.join(source, name)) as f:
                value = json.load(f).get(key)
            if value is None:
                continue
            # A run's hardware is the clause before " for <its stages>", its denoiser's
            # torch the one before " (denoiser)" (describe_run writes both that way).
            record[key] = (value.split(" for ")[0] if key == "hardware"
                           else value.split(" (denoiser)")[0].split("; ")[0] if key == "torch"
                           else round(value))
    with open(path, "w") as f:
        json.dump(record, f)


def describe_run(work: str, hardware: str, torch_version: str) -> dict:
    """hardware.json's record of this run, naming the reused stages' origin and the
    denoiser's starting point if any, with the torch each was trained with."""
    def read(name):
        path = os.path.join(work, name)
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return json.load(f)
    reused, init = read("reused.json"), read("dit_init.json")
    torches = [f"{torch_version} (denoiser)" if reused or (init and "torch" in init) else torch_version]
    if init and "torch" in init:  # the start was trained elsewhere, maybe on another torch
        torches.append(f"{init['torch']} (its starting denoiser)")
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
