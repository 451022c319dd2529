"""A pack's training checkpoints, read back out of its ONNX graphs.

A pack holds every weight its networks run with, and its manifest the config they were
built from (provenance.config). This rebuilds a run folder from the two, so a pack can
be sampled, probed and fine-tuned in PyTorch on a machine that never had the run that
made it (every fresh clone: checkpoints are not in git):

    /usr/bin/python3 models/from_pack.py --pack models/default --work models/.work/shipped
    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 models/probe_sync.py --work models/.work/shipped --out /tmp/sync
    sh models/train_gpu.sh OUT --reuse models/.work/shipped --init-dit models/.work/shipped --set ...

How: the networks are built from the config, every weight set to markers (random
values of its own), and exported as export.py exports them. Each initializer of that
twin graph is then found among the markers: a weight, a slice of one, or (a Linear's)
its transpose. The pack's initializer in the same place (same name, or read by the same
nodes) goes back there. Last, the recovered networks are exported once more and must
give the pack's initializers again, or nothing is written.

It reads packs of today's export forms (export.py's graph_forms): a pack exported
before the preview decoder made 8-bit frames (2026-11-29) needs the from_pack.py and
export.py of its own commit.

Not in a pack, so not recovered: the text encoder's attribute heads (a training loss
only: they keep their initial values), optimizer states and the latent pool. Every
stage of the recovered run is complete: fine-tune its denoiser with --init-dit, reuse
its text encoder and autoencoders with --reuse.
"""
import argparse
import json
import os
import sys
import tempfile
import warnings

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402
from config import PackConfig, write_config  # noqa: E402
from export import ChannelLastPreviewDecoder, export_onnx, graph_forms  # noqa: E402
from text import Tokenizer  # noqa: E402
from train import Stage, make_models  # noqa: E402

# Weights a pack does not hold (see above).
NOT_IN_PACK = ("text.heads.",)
# The preview decoder's last convolution, which export.py rewrites (ChannelLastPreviewDecoder).
PREVIEW_LAST = ("preview.net.2.weight", "preview.net.2.bias")


def initializers(path: str) -> dict:
    """A graph's initializers by where they sit: a named one by its name, one torch
    made (`onnx::...`, e.g. a transposed Linear weight) by the nodes that read it."""
    graph = onnx.load(path).graph
    readers: dict = {}
    for node in graph.node:
        for slot, name in enumerate(node.input):
            readers.setdefault(name, []).append(f"{node.name}:{slot}")
    return {(init.name if not init.name.startswith("onnx::") else "|".join(sorted(readers.get(init.name, [])))):
            numpy_helper.to_array(init) for init in graph.initializer}


class Markers:
    """Every float weight of `models` (parameters and buffers) set to random values of
    its own, laid end to end in one array so that a value found there says where it
    came from."""

    def __init__(self, models: dict):
        gen = torch.Generator().manual_seed(0)
        self.tensors, self.starts = [], []  # (qualified name, tensor), start in `flat`
        start = 0
        for key, model in models.items():
            for name, t in [*model.named_parameters(), *model.named_buffers()]:
                if t.is_floating_point():
                    with torch.no_grad():
                        t.copy_(torch.randn(t.shape, generator=gen))
                    self.tensors.append((f"{key}.{name}", t))
                    self.starts.append(start)
                    start += t.numel()
        self.flat = np.concatenate([t.detach().numpy().ravel() for _, t in self.tensors])
        self.order = np.argsort(self.flat, kind="stable")
        self.sorted = self.flat[self.order]
        self.recovered = self.flat.copy()
        self.covered = np.zeros(len(self.flat), dtype=bool)

    def find(self, value: np.ndarray):
        """(start, transposed) of `value` among the markers, None if it is not there."""
        forms = [(value.ravel(), False)] + ([(value.T.ravel(), True)] if value.ndim == 2 else [])
        for flat, transposed in forms:
            if flat.size == 0 or flat.dtype != self.flat.dtype:
                continue
            lo, hi = np.searchsorted(self.sorted, flat[0], "left"), np.searchsorted(self.sorted, flat[0], "right")
            for start in self.order[lo:hi]:
                if np.array_equal(self.flat[start:start + flat.size], flat):
                    return int(start), transposed
        return None

    def put(self, where, value: np.ndarray) -> None:
        start, transposed = where
        flat = (value.T if transposed else value).ravel()
        self.recovered[start:start + flat.size] = flat
        self.covered[start:start + flat.size] = True

    def write_back(self, keep: dict) -> list:
        """Copies the recovered values into the weights (`keep`: name -> value for weights
        set otherwise); returns the names of weights left unrecovered."""
        missing = []
        for (name, t), start in zip(self.tensors, self.starts):
            part = slice(start, start + t.numel())
            with torch.no_grad():
                if name in keep:
                    t.copy_(keep[name])
                elif self.covered[part].all():
                    t.copy_(torch.from_numpy(self.recovered[part].reshape(t.shape)))
                else:
                    missing.append(name)
        return missing


def export_all(cfg: PackConfig, models: dict, folder: str) -> dict:
    """component -> initializers of its graph as export.py writes it."""
    out = {}
    for component, (module, args, inputs, outputs) in graph_forms(cfg, models).items():
        path = os.path.join(folder, f"{component}.onnx")
        export_onnx(module, args, path, inputs, outputs)
        out[component] = initializers(path)
    return out


def read_pack(pack: str) -> tuple:
    """(manifest, component -> the initializers of its graph), each graph read once."""
    with open(os.path.join(pack, "manifest.json")) as f:
        manifest = json.load(f)
    if "config" not in manifest.get("provenance", {}):
        raise SystemExit(f"{pack}: its manifest has no provenance.config, so its networks cannot be rebuilt")
    return manifest, {component: initializers(os.path.join(pack, spec["file"]))
                      for component, spec in manifest["components"].items()}


def recover(pack: str, manifest: dict, graphs: dict) -> tuple:
    """(config, models with the pack's weights); SystemExit naming what does not fit."""
    cfg = PackConfig.from_dict(manifest["provenance"]["config"])
    tokenizer = Tokenizer(world.vocabulary())
    with open(os.path.join(pack, manifest["tokenizer"]["file"])) as f:
        if json.load(f)["model"]["vocab"] != tokenizer.vocab:
            raise SystemExit(f"{pack}: its tokenizer is not models/world.py's vocabulary")
    torch.manual_seed(cfg.seed)
    models = {k: m.eval() for k, m in make_models(cfg, len(tokenizer.vocab)).items()}
    initial = {f"text.{k}": v.clone() for k, v in models["text"].state_dict().items() if k.startswith("heads.")}
    markers = Markers(models)
    with tempfile.TemporaryDirectory() as tmp:
        twins = export_all(cfg, models, tmp)
    for component, twin in twins.items():
        if component not in graphs:
            continue  # an optional graph this pack was exported without (its weights are elsewhere)
        shipped = graphs[component]
        if twin.keys() != shipped.keys():
            raise SystemExit(f"{pack}: {component} is not the graph this config exports "
                             f"(exported by another torch or another export.py?); differs at "
                             f"{sorted(twin.keys() ^ shipped.keys())[:3]}")
        for key, value in twin.items():
            where = markers.find(value)
            if where is not None:
                markers.put(where, shipped[key])
            elif component == "preview_decoder" and key in ("weight", "bias"):
                continue  # a rewrite of the last convolution, inverted below
            elif not np.array_equal(value, shipped[key]):
                raise SystemExit(f"{pack}: {component}'s {key} depends on the weights in a way "
                                 "from_pack.py cannot invert")
    missing = markers.write_back(initial)
    preview = graphs["preview_decoder"]
    ChannelLastPreviewDecoder.load_last(models["preview"], np.array(preview["weight"]), np.array(preview["bias"]))
    missing = [n for n in missing if n not in PREVIEW_LAST and not n.startswith(NOT_IN_PACK)]
    if missing:
        raise SystemExit(f"{pack}: no initializer holds {missing[:5]}")
    return cfg, models


def check(cfg: PackConfig, models: dict, graphs: dict) -> float:
    """Exports the recovered networks again; returns the largest difference from the
    pack's initializers (`graphs`), relative to the largest of each (the preview's rewrite
    scales to 255 levels and back, so not always 0)."""
    with tempfile.TemporaryDirectory() as tmp:
        again = export_all(cfg, models, tmp)
    worst = 0.0
    for component, initial in again.items():
        if component not in graphs:
            continue
        shipped = graphs[component]
        for key, value in initial.items():
            if value.shape != shipped[key].shape:
                raise SystemExit(f"{component}'s {key}: shape {value.shape}, the pack's {shipped[key].shape}")
            if value.size:
                scale = max(1.0, float(np.abs(shipped[key]).max()))
                worst = max(worst, float(np.abs(value.astype(np.float64) - shipped[key]).max()) / scale)
    return worst


def write_run(work: str, cfg: PackConfig, models: dict, manifest: dict, pack: str) -> None:
    """The run folder train.py and sample.py read: complete stages, config and records."""
    prov = manifest["provenance"]
    steps = prov.get("train_steps", {})
    os.makedirs(work, exist_ok=True)
    write_config(work, cfg)
    sd = {k: m.state_dict() for k, m in models.items()}
    Stage(work, "text").save(model=sd["text"], steps=steps.get("text"), complete=True)
    # A pack has one video decoder: the final one, which the autoencoder's stage also gets.
    Stage(work, "video_ae").save(encoder=sd["video_encoder"], decoder=sd["video_decoder"],
                                 steps=steps.get("video_ae"), complete=True)
    Stage(work, "audio_ae").save(encoder=sd["audio_encoder"], decoder=sd["audio_decoder"],
                                 steps=steps.get("audio_ae"), pitch_ceiling=prov.get("audio_pitch_ceiling"),
                                 complete=True)
    Stage(work, "sharpen_decoder").save(decoder=sd["video_decoder"], steps=steps.get("sharpen_decoder"),
                                        complete=True)
    Stage(work, "preview").save(model=sd["preview"], latent_to_rgb=manifest["preview"]["latent_to_rgb"],
                                rgb_bias=manifest["preview"]["rgb_bias"], steps=steps.get("preview"), complete=True)
    Stage(work, "dit").save(model=sd["dit"], ema=sd["dit"], step=steps.get("dit", 0),
                            seconds=prov.get("train_seconds", {}).get("dit", 0), complete=True)
    ran = {k: prov.get(k, "not recorded") for k in ("hardware", "torch")}
    records = {"hardware.json": {**ran, **({"lineage": prov["lineage"]} if "lineage" in prov else {})},
               "timings.json": prov.get("train_seconds", {}),
               "recovered.json": {"pack": os.path.abspath(pack), "name": manifest["name"],
                                  "version": manifest["version"], "exported_at": prov.get("exported_at")}}
    for name, record in records.items():
        with open(os.path.join(work, name), "w") as f:
            json.dump(record, f, indent=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pack", default="models/default", help="pack folder")
    parser.add_argument("--work", required=True, help="run folder to write (new or empty)")
    args = parser.parse_args()
    if os.path.isdir(args.work) and os.listdir(args.work):
        raise SystemExit(f"--work {args.work}: not empty (it may hold a run of its own)")
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")  # the exporter's notes on tracing, twice per network
    manifest, graphs = read_pack(args.pack)
    cfg, models = recover(args.pack, manifest, graphs)
    worst = check(cfg, models, graphs)
    if worst > 1e-6:
        raise SystemExit(f"{args.pack}: the recovered networks export {worst:.2e} away from the pack; nothing written")
    write_run(args.work, cfg, models, manifest, args.pack)
    print(f"recovered {args.pack} into {args.work} (re-exported within {worst:.1e} of the pack)")


if __name__ == "__main__":
    main()
