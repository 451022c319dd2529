"""Export trained models as an Emerge pack: ONNX files, manifest.json, tokenizer.json
and the model card's facts (see models/PACK.md for the contract)."""
import copy
import dataclasses
import inspect
import json
import math
import os
import time

import torch

import world
from audio_ae import Synthesizer
from video_ae import depth_to_space


def export_onnx(module, args, path, inputs: dict, outputs: dict) -> dict:
    """Exports with every named axis dynamic; returns the manifest entry of the component.

    inputs/outputs: name -> (dtype, shape) with str for dynamic axes and int for fixed ones.
    """
    dynamic = {name: {i: d for i, d in enumerate(shape) if isinstance(d, str)}
               for name, (_, shape) in {**inputs, **outputs}.items()}
    extra = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    tmp = path + ".tmp"
    torch.onnx.export(module, args, tmp, input_names=list(inputs), output_names=list(outputs),
                      dynamic_axes=dynamic, opset_version=17, do_constant_folding=True,
                      custom_opsets={"com.microsoft": 1}, **extra)
    os.replace(tmp, path)
    describe = lambda spec: {n: {"dtype": d, "shape": list(s)} for n, (d, s) in spec.items()}  # noqa: E731
    return {"file": os.path.basename(path), "inputs": describe(inputs), "outputs": describe(outputs)}


class FusableTanhGelu(torch.nn.Module):
    """nn.GELU("tanh") written out as onnxruntime's FastGelu fusion expects it (with
    pow(x, 3)). torch exports nn.GELU("tanh") as 8 elementwise ops that the fusion does
    not match; this form becomes one FastGelu node that also takes the Linear's bias.
    Measured on the default denoiser: a one-core CFG call ~7 % faster, same values to 5e-8.
    Swapped in only for export: in training the builtin is one fused kernel."""

    def forward(self, x):
        return x * 0.5 * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3))))


class FusedSelfAttention(torch.autograd.Function):
    """Unmasked multi-head attention on (B, N, D) tensors that exports as onnxruntime's
    com.microsoft MultiHeadAttention: one op instead of head reshapes, transposes, two
    MatMuls and a Softmax. Measured on the default denoiser: a CFG call ~8 % faster on
    one core and on two, same values to 5e-6. The pack then needs onnxruntime (which
    Emerge runs on); models/PACK.md says so."""

    @staticmethod
    def forward(ctx, q, k, v, block):
        # The block's own written-out attention (its class's method: the instance's is this).
        return type(block).self_attention(block, q, k, v)

    @staticmethod
    def symbolic(g, q, k, v, block):
        out = g.op("com.microsoft::MultiHeadAttention", q, k, v, num_heads_i=block.heads)
        out.setType(q.type())
        return out


class ChannelLastPreviewDecoder(torch.nn.Module):
    """The trained PreviewDecoder rewritten for export: its 1x1 convolution as a MatMul
    on channel-last cells whose columns are ordered (frame, row, column, RGB), with
    (x + 1) / 2 and the step to 8 bits folded into the weights. Each cell's 8 x 3 pixel
    rows then move as whole blocks into the channel-last frames, where the training
    form's 8-D depth-to-space and final permute ran two Transposes: 2.2 of a 3.8 ms call.

    The frames come out as uint8 (0-255, what a JPEG encoder takes; round half up, so
    within half a level of the float form): the float frames and the engine's
    conversion took 1.34 ms a 2 s preview, this 0.81 on one thread."""

    SCALE = 255.0  # [0, 1] -> 8-bit levels
    ROUND = 0.5  # added before the Cast, which truncates

    def __init__(self, preview):
        super().__init__()
        g, first, last = preview.geo, preview.net[0], preview.net[2]
        self.rt, self.rs = g.temporal_compression, g.spatial_compression
        self.first, self.act = first, preview.net[1]
        width = last.weight.shape[1]

        def order(rows):  # output channel (c, t, y, x) of the training form -> (t, y, x, c)
            split = rows.reshape(3, self.rt, self.rs, self.rs, rows.shape[-1])
            return split.permute(1, 2, 3, 0, 4).reshape(-1, rows.shape[-1])
        weight = order(last.weight.detach().reshape(-1, width)).t() / 2
        bias = (order(last.bias.detach()[:, None])[:, 0] + 1) / 2
        self.weight = torch.nn.Parameter(weight * self.SCALE)
        self.bias = torch.nn.Parameter(bias * self.SCALE + self.ROUND)

    @classmethod
    def load_last(cls, preview, weight, bias) -> None:
        """The inverse of the rewrite for `preview`'s last convolution: sets it from this
        form's `weight` and `bias` (from_pack.py reads them out of a pack)."""
        g, last = preview.geo, preview.net[2]
        rt, rs = g.temporal_compression, g.spatial_compression

        def unorder(rows):  # (t, y, x, c) -> the training form's (c, t, y, x)
            split = rows.reshape(rt, rs, rs, 3, rows.shape[-1])
            return split.permute(3, 0, 1, 2, 4).reshape(-1, rows.shape[-1])
        weight = torch.as_tensor(weight, dtype=torch.float64) / cls.SCALE
        bias = (torch.as_tensor(bias, dtype=torch.float64) - cls.ROUND) / cls.SCALE
        with torch.no_grad():
            last.weight.copy_(unorder(weight.t() * 2).reshape(last.weight.shape))
            last.bias.copy_(unorder((bias * 2 - 1)[:, None])[:, 0])

    def forward(self, latent):
        b, _, t, h, w = latent.shape
        cells = self.act(self.first(latent)).permute(0, 2, 3, 4, 1)  # (B, T, H, W, width)
        x = (cells @ self.weight + self.bias).reshape(b, t, h, w, self.rt, self.rs, self.rs, 3)
        x = x.permute(0, 1, 4, 2, 5, 3, 6, 7)  # (B, T, rt, H, rs, W, rs, 3)
        x = x.reshape(b, t * self.rt, h * self.rs, w * self.rs, 3)
        return x.clamp(0, self.SCALE + self.ROUND).to(torch.uint8)


class LowBandAudioDecoder(torch.nn.Module):
    """The trained AudioDecoder's band below a quarter of its sample rate, for previews:
    the same network and synthesizer at half the rate (8 kHz for the default pack), so
    its last convolution makes half the bins and the inverse DFT a quarter of the work.
    The waveform is exactly the low band of the full decode (spectra correlate to
    0.99999999 below 4 kHz): 3.86 -> 2.01 ms a 2 s clip on one thread.

    Each STFT bin keeps its frequency (31.25 Hz) and each frame its 8 ms, so only the
    amplitude needs care: a tone's DFT magnitude scales with the window's sample count,
    which halves, so the synthesis basis is halved too."""

    FACTOR = 2

    def __init__(self, decoder, geo, log_floor: float):
        super().__init__()
        bins = geo.n_fft // (2 * self.FACTOR) + 1
        self.norm, self.layers, last = decoder.norm, decoder.net[:-1], decoder.net[-1]
        self.last_weight = torch.nn.Parameter(last.weight.detach()[:bins].clone())
        self.last_bias = torch.nn.Parameter(last.bias.detach()[:bins].clone())
        self.register_buffer("mean", decoder.spectrum_norm.mean[:, :bins].clone())
        self.register_buffer("std", decoder.spectrum_norm.std[:, :bins].clone())
        low = dataclasses.replace(geo, sample_rate=geo.sample_rate // self.FACTOR,
                                  n_fft=geo.n_fft // self.FACTOR, hop=geo.hop // self.FACTOR)
        self.synthesizer = Synthesizer(low, log_floor)
        self.synthesizer.basis.mul_(1 / self.FACTOR)

    def forward(self, latent):
        x = self.layers(self.norm.denormalize(latent))
        s = torch.nn.functional.conv1d(x, self.last_weight, self.last_bias, padding=1)
        return self.synthesizer(s * self.std + self.mean).clamp(-1, 1)


class FramewiseVideoDecoder(torch.nn.Module):
    """The trained VideoDecoder rewritten for export, same values: after the blocks that
    mix frames, its (1, 3, 3) upsampling convolutions run as 2-D convolutions over every
    frame at once and each 8-D depth-to-space becomes one DepthToSpace op. onnxruntime's
    2-D convolutions are faster than its 3-D ones with a unit time axis: a 2 s decode
    58-62 -> 46-47 ms on one thread, 37-40 -> 32-33 ms on two."""

    def __init__(self, decoder):
        super().__init__()
        self.decoder = decoder
        self.up1, self.up2, self.out = (self.conv2d(c) for c in (decoder.up1, decoder.up2, decoder.out))

    @staticmethod
    def conv2d(conv3d):
        conv = torch.nn.Conv2d(conv3d.in_channels, conv3d.out_channels, conv3d.kernel_size[1:],
                               padding=conv3d.padding[1:])
        conv.weight.data.copy_(conv3d.weight.data[:, :, 0])
        conv.bias.data.copy_(conv3d.bias.data)
        return conv

    def forward(self, latent):
        d, silu = self.decoder, torch.nn.functional.silu
        x = d.res_latent(d.inp(d.norm.denormalize(latent)))
        x = d.res_frames(depth_to_space(d.to_time(silu(x)), 2, 1))
        b, c, t, h, w = x.shape
        x = x.transpose(1, 2).reshape(b * t, c, h, w)  # every frame an image
        for conv in (self.up1, self.up2, self.out):  # pixel_shuffle: depth_to_space(x, 1, 2) per frame
            x = torch.nn.functional.pixel_shuffle(conv(silu(x)), 2)
        x = x.reshape(b, t, 3, x.shape[-2], x.shape[-1]).permute(0, 1, 3, 4, 2)
        return ((x + 1) / 2).clamp(0, 1)


def fusable(module):
    """`module` made for onnxruntime's fusions, in place: every nn.GELU("tanh") becomes
    FusableTanhGelu, every block's self-attention FusedSelfAttention."""
    for name, child in module.named_children():
        if isinstance(child, torch.nn.GELU) and child.approximate == "tanh":
            setattr(module, name, FusableTanhGelu())
        else:
            fusable(child)
    if hasattr(module, "self_attention") and hasattr(module, "heads"):
        module.self_attention = lambda q, k, v: FusedSelfAttention.apply(q, k, v, module)
    return module


def parameter_count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def graph_forms(cfg, models) -> dict:
    """How each trained network becomes its pack graph: component -> (module to export,
    example args, inputs, outputs). `models` are train.make_models' networks on the CPU.
    export_pack writes these; from_pack.py exports them again to read a pack's weights
    back, so the two cannot drift apart."""
    g = cfg.geometry
    cv, ca, dt = g.latent_channels, g.audio_latent_channels, cfg.text.width
    video_latent = ("float32", ["batch", cv, "latent_frames", "latent_height", "latent_width"])
    audio_latent = ("float32", ["batch", ca, "audio_frames"])
    frames = ("float32", ["batch", "frames", "height", "width", 3])
    ex_v, ex_a = torch.randn(2, cv, 12, 8, 8), torch.randn(2, ca, 50)
    ex_tokens, ex_mask, ex_pooled = torch.randn(2, g.max_tokens, dt), torch.ones(2, g.max_tokens), torch.randn(2, dt)
    ids = torch.zeros(2, g.max_tokens, dtype=torch.long)
    waveform = ("float32", ["batch", "samples"])
    return {
        "text_encoder": (
            models["text"], (ids, torch.ones_like(ids)),
            {"input_ids": ("int64", ["batch", "tokens"]), "attention_mask": ("int64", ["batch", "tokens"])},
            {"text_tokens": ("float32", ["batch", "tokens", dt]), "text_pooled": ("float32", ["batch", dt])}),
        "denoiser": (
            fusable(copy.deepcopy(models["dit"])), (ex_v, ex_a, torch.rand(2), ex_tokens, ex_mask, ex_pooled),
            {"video": video_latent, "audio": audio_latent, "sigma": ("float32", ["batch"]),
             "text_tokens": ("float32", ["batch", "tokens", dt]), "text_mask": ("float32", ["batch", "tokens"]),
             "text_pooled": ("float32", ["batch", dt])},
            {"video_velocity": video_latent, "audio_velocity": audio_latent}),
        "video_decoder": (FramewiseVideoDecoder(models["video_decoder"]), (ex_v,), {"latent": video_latent},
                          {"frames": frames}),
        "preview_decoder": (ChannelLastPreviewDecoder(models["preview"]), (ex_v,), {"latent": video_latent},
                            {"frames": ("uint8", frames[1])}),
        "audio_decoder": (models["audio_decoder"], (ex_a,), {"latent": audio_latent}, {"waveform": waveform}),
        "audio_preview_decoder": (
            LowBandAudioDecoder(models["audio_decoder"], g, cfg.audio_ae.log_floor), (ex_a,),
            {"latent": audio_latent}, {"waveform": waveform}),
        "video_encoder": (models["video_encoder"], (torch.rand(1, 24, 64, 64, 3),), {"frames": frames},
                          {"latent": video_latent}),
        "audio_encoder": (models["audio_encoder"], (torch.rand(1, 32000) * 0.1,), {"waveform": waveform},
                          {"latent": audio_latent}),
    }


def completed(lineage: list[dict], cfg, steps: dict, timings: dict) -> list[dict]:
    """The lineage with its last entry's denoiser training measured, now that it ran."""
    *earlier, last = lineage
    if "dit" in last["stages"] and "steps" not in last and steps.get("dit") is not None:
        last = {**last, "steps": steps["dit"], "batch": cfg.dit.batch, "clips": cfg.dit.pool_clips,
                **({"seconds": round(timings["dit"])} if "dit" in timings else {})}
    return [*earlier, last]


def export_pack(cfg, models, tokenizer, preview_state, out, timings, trained_with, eval_per_combo=3) -> None:
    """Writes the ONNX graphs, tokenizer, eval prompts and manifest.

    `trained_with`: {"hardware", "torch", "lineage" (reuse.py), "steps",
    "audio_pitch_ceiling", and "init" for a fine-tune (reuse.record_init's note)} of the
    training run, which may have run elsewhere (a GPU) than this export.
    """
    os.makedirs(out, exist_ok=True)
    init = trained_with.get("init", {})
    clips = (f"{init['clips']} clips for the starting denoiser and {cfg.dit.pool_clips} for the fine-tune, each"
             if "clips" in init else f"{cfg.dit.pool_clips} clips")
    g = cfg.geometry
    models = {k: m.to("cpu").eval() for k, m in models.items()}
    cv, ca = g.latent_channels, g.audio_latent_channels
    components = {name: export_onnx(module, args, os.path.join(out, f"{name}.onnx"), inputs, outputs)
                  for name, (module, args, inputs, outputs) in graph_forms(cfg, models).items()}
    tokenizer.save(os.path.join(out, "tokenizer.json"))
    from sample import eval_set  # noqa: E402
    with open(os.path.join(out, "eval_prompts.json"), "w") as f:  # what `deno task eval` generates
        json.dump([{k: v for k, v in j.items() if k != "scene"} for j in eval_set(eval_per_combo)], f, indent=1)
    params = {"text_encoder": parameter_count(models["text"]) - sum(parameter_count(h) for h in
                                                                     models["text"].heads.values()),
              "denoiser": parameter_count(models["dit"]),
              "video_encoder": parameter_count(models["video_encoder"]),
              "video_decoder": parameter_count(models["video_decoder"]),
              "preview_decoder": parameter_count(models["preview"]),
              "audio_encoder": parameter_count(models["audio_encoder"]),
              "audio_decoder": parameter_count(models["audio_decoder"])}
    manifest = {
        "format": "emerge-pack/1",
        "name": "emerge-tiny-av",
        "version": "1.0.0",
        "components": components,
        "tokenizer": {"file": "tokenizer.json", "max_length": g.max_tokens, "pad_id": 0},
        "video": {"fps": g.fps, "latent_channels": cv, "temporal_compression": g.temporal_compression,
                  "spatial_compression": g.spatial_compression, "patch": list(g.patch)},
        "audio": {"sample_rate": g.sample_rate, "latent_rate": g.audio_latent_rate, "latent_channels": ca},
        "sizes": [{"name": n, "width": w, "height": h} for n, (w, h) in world.SIZES.items()],
        "durations": list(world.DURATIONS),
        "sampler": {"scheduler": "euler", "steps": cfg.sampler.steps, "shift": cfg.sampler.shift,
                    "guidance": {"video": cfg.sampler.guidance_video, "audio": cfg.sampler.guidance_audio}},
        "preview": {"latent_to_rgb": preview_state["latent_to_rgb"], "rgb_bias": preview_state["rgb_bias"]},
        "heldout": world.HELDOUT,
        "provenance": {
            "trained_on": f"the synthetic audio-visual world of models/world.py ({clips} rendered once, "
                          "excluding the held-out combinations)",
            "hardware": trained_with["hardware"],
            "torch": trained_with["torch"],
            "train_seconds": {k: round(v) for k, v in timings.items()},
            **({"lineage": completed(trained_with["lineage"], cfg, trained_with["steps"], timings)}
               if "lineage" in trained_with else {}),
            "train_steps": trained_with["steps"],
            "audio_pitch_ceiling": trained_with["audio_pitch_ceiling"],
            "parameters": params,
            "config": cfg.to_dict(),
            "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    }
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


def reexport(work: str, pack: str, components: list[str]) -> None:
    """Exports `components` of the run in `work` into the existing pack `pack` and
    updates their manifest entries, leaving every other file as it is: how a new export
    form (the 8-bit preview frames, the low-band audio preview) reaches a shipped pack
    without a new training run or a full export. `work` is the pack's own run, or one
    that from_pack.py read out of it."""
    from sample import load_models
    cfg, models, _ = load_models(work)
    forms = graph_forms(cfg, {k: m.to("cpu").eval() for k, m in models.items()})
    unknown = [c for c in components if c not in forms]
    if unknown:
        raise SystemExit(f"no component named {unknown}; export.py knows {sorted(forms)}")
    path = os.path.join(pack, "manifest.json")
    with open(path) as f:
        manifest = json.load(f)
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for name in components:
        module, args, inputs, outputs = forms[name]
        manifest["components"][name] = export_onnx(module, args, os.path.join(pack, f"{name}.onnx"),
                                                   inputs, outputs)
        manifest["provenance"].setdefault("graphs_exported_at", {})[name] = at
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=1)
    os.replace(tmp, path)


def main() -> None:
    import argparse
    import warnings
    parser = argparse.ArgumentParser(description=reexport.__doc__)
    parser.add_argument("--work", required=True, help="run folder with the checkpoints")
    parser.add_argument("--pack", required=True, help="pack folder to update")
    parser.add_argument("components", nargs="+", help="e.g. preview_decoder audio_preview_decoder")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")  # the exporter's notes on tracing
    reexport(args.work, args.pack, args.components)
    print(f"exported {', '.join(args.components)} into {args.pack}")


if __name__ == "__main__":
    main()
