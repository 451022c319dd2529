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
NETWORKS = (*REUSED, "dit")  # the stages whose weights a pack holds (not the latent pool)


def run_name(folder: str) -> str:
    """How lineages and notes name the run in `folder`: its folder's name."""
    return os.path.basename(os.path.normpath(folder))


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
    if os.path.exists(os.path.join(source, "timings.json")):
        shutil.copy(os.path.join(source, "timings.json"), os.path.join(work, "timings.json"))
    ran = read_record(source, "hardware.json")
    if ran is not None:  # as a lineage, so that entries added here follow the source's
        with open(os.path.join(work, "hardware.json"), "w") as f:
            json.dump(summarized(lineage_of(ran, run_name(source))), f, indent=1)


def reuse_stages(source: str, work: str, fresh: PackConfig) -> PackConfig:
    """Copies `source`'s trained stages into `work`; returns the run's config: the
    source's for the reused networks, `fresh`'s denoiser section. Records where the
    stages came from (reused.json), and their timings, so the model card stays whole."""
    cfg = read_config(source)
    cfg.dit = fresh.dit
    copy_stages(source, work)
    recorded = read_record(source, "hardware.json") or {"hardware": "not recorded", "torch": "not recorded"}
    with open(os.path.join(work, "reused.json"), "w") as f:
        json.dump({"from": run_name(source), "stages": list(REUSED), **recorded}, f)
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
    record = {"from": run_name(source), "step": step}
    # What the starting denoiser was trained on and for how long, when its run recorded it.
    if os.path.exists(os.path.join(source, "config.json")):
        dit = read_config(source).dit
        record.update(batch=dit.batch, clips=dit.pool_clips)
    timings = read_record(source, "timings.json") or {}
    if "dit" in timings:
        record["dit"] = round(timings["dit"])
    # Its history; the last entry that trained it is the source run's own, whose length
    # is known now.
    ran = read_record(source, "hardware.json") or {}
    history = restricted(lineage_of(ran, record["from"]), ("dit",)) or [
        lineage_entry(record["from"], ["dit"], "not recorded", "not recorded")]
    facts = {"steps": step, **{k: record[k] for k in ("batch", "clips") if k in record}}
    if "dit" in record:
        facts["seconds"] = record["dit"]
    history[-1] = {**history[-1], **facts}
    record["lineage"] = history
    with open(os.path.join(work, "dit_init.json"), "w") as f:
        json.dump(record, f)


# A run's lineage: every run that trained a network of the pack, oldest first, one entry
# each: {"run", "stages" (the networks it trained, by stage name), "on" (hardware),
# "torch", and optionally "note", "steps", "batch", "clips", "seconds"}. A fine-tune of
# a fine-tune of a reuse stays a flat list, where nested sentences grew unreadable.

def lineage_entry(run: str, stages, on: str, torch_version: str, note: str | None = None) -> dict:
    entry = {"run": run, "stages": list(stages), "on": on, "torch": torch_version}
    if note:
        entry["note"] = note
    return entry


def lineage_of(record: dict, run: str) -> list[dict]:
    """A run's recorded lineage; a run recorded before lineages is one entry with its
    hardware and torch sentences as they were."""
    if "lineage" in record:
        return [dict(e) for e in record["lineage"]]
    return [lineage_entry(run, NETWORKS, record.get("hardware", "not recorded"),
                          record.get("torch", "not recorded"))]


def restricted(lineage: list[dict], stages) -> list[dict]:
    """The entries that trained one of `stages`, each narrowed to those."""
    kept = ({**e, "stages": [s for s in e["stages"] if s in stages]} for e in lineage)
    return [e for e in kept if e["stages"]]


def summarized(lineage: list[dict]) -> dict:
    """hardware.json's record: the lineage, and the hardware and torch versions it used
    (each once, in order)."""
    def once(key: str) -> str:
        return "; ".join(dict.fromkeys(e[key] for e in lineage))
    return {"hardware": once("on"), "torch": once("torch"), "lineage": lineage}


def append_lineage(work: str, entry: dict) -> None:
    """Adds `entry` to the lineage in `work`'s hardware.json, once: a resumed step that
    records again leaves it as it was."""
    lineage = lineage_of(read_record(work, "hardware.json") or {"lineage": []}, run_name(work))
    if not lineage or lineage[-1] != entry:
        lineage.append(entry)
    with open(os.path.join(work, "hardware.json"), "w") as f:
        json.dump(summarized(lineage), f, indent=1)


def describe_run(work: str, hardware: str, torch_version: str, note: str | None = None) -> dict:
    """hardware.json's record of this run: the lineage of the stages it reused and of the
    denoiser it starts from, then this run's own entry."""
    reused, init = read_record(work, "reused.json"), read_record(work, "dit_init.json")
    lineage = restricted(lineage_of(reused, reused["from"]), REUSED) if reused else []
    if init:
        lineage += init.get("lineage") or [lineage_entry(init["from"], ["dit"], "not recorded", "not recorded")]
        note = "; ".join(filter(None, ["fine-tuned from the one above", note]))
    own = ["dit"] if reused else NETWORKS
    lineage.append(lineage_entry(run_name(work), own, hardware, torch_version, note))
    return summarized(lineage)
