"""Train the default Emerge pack from scratch, stage by stage, resumable.

    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 models/train.py --work models/.work/full --out models/default
    /usr/bin/python3 models/train.py --quick --work /tmp/q --out /tmp/q/pack     # minutes, for CI
    sh models/train_gpu.sh OUT                                                 # one CUDA GPU, ~9 minutes

Stages: clip bank (rendered once, in parallel) -> text encoder -> video AE ->
audio AE -> decoder sharpening -> preview decoder -> latent pool -> joint DiT ->
ONNX export -> eval clips. Each stage writes a checkpoint that carries
its config; a stage whose checkpoint is complete is skipped, and the DiT resumes
from its last checkpoint, so a killed run continues where it stopped. Runs on a
CUDA GPU when one is visible (torch 1.13 or 2.x).
"""
import argparse
import json
import math
import os
import platform
import random
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import world  # noqa: E402
from audio_ae import AudioDecoder, AudioEncoder  # noqa: E402
from config import PackConfig, apply_overrides, gpu_config, quick_config, read_config, write_config  # noqa: E402
from data import ClipBank, attribute_targets, random_captions  # noqa: E402
from dit import JointDiT  # noqa: E402
from reuse import describe_run, forget_init, read_record, record_init, reuse_stages  # noqa: E402
from sample import shift_sigma  # noqa: E402
from text import TextEncoder, Tokenizer  # noqa: E402
from video_ae import PreviewDecoder, VideoDecoder, VideoEncoder  # noqa: E402

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
STAGES = ("text", "video_ae", "audio_ae", "preview", "pool", "sharpen_decoder", "dit")
MODEL_STAGES = tuple(n for n in STAGES if n != "pool")  # the pool is data, not weights


def describe_hardware() -> str:
    cpu = f"{platform.machine()}, {os.cpu_count()} cores"
    return f"cuda ({torch.cuda.get_device_name(0)}; {cpu})" if DEVICE.type == "cuda" else f"cpu ({cpu})"


def run_note(dit) -> str | None:
    """What a run's lineage entry says beyond its networks: a sync-head fine-tune trains
    the head alone."""
    if not dit.tune_sync_head_only:
        return None
    return "the sync head alone, the transformer frozen" + (
        ", reading the true clean video in training" if dit.sync_head_reads_truth else "") + (
        f", its noise levels shifted x{dit.train_sigma_shift:g} as the sampler's" if dit.train_sigma_shift != 1 else "")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Stage:
    """Checkpoint file of one stage: `done()` tells whether it can be skipped.

    A complete stage also leaves `<name>.done`, so a resumed run checks a marker
    instead of loading every checkpoint (the latent pool is 300 MB).
    """

    def __init__(self, work: str, name: str):
        self.path = os.path.join(work, f"{name}.pt")

    def done(self) -> bool:
        return os.path.exists(self.path + ".done")

    def load(self) -> dict:
        # weights_only=False: checkpoints hold the rng state and scene dicts (torch >= 2.6 defaults to True).
        return torch.load(self.path, map_location="cpu", weights_only=False)

    def save(self, **state) -> None:
        tmp = self.path + ".tmp"
        torch.save(state, tmp)
        os.replace(tmp, self.path)  # a kill mid-save never leaves a torn checkpoint
        if state.get("complete"):
            open(self.path + ".done", "w").close()


def make_models(cfg: PackConfig, vocab_size: int) -> dict:
    g = cfg.geometry
    sizes = {k: len(v) for k, v in world.ATTRIBUTES.items()}
    return {
        "text": TextEncoder(cfg.text, vocab_size, g.max_tokens, sizes),
        "video_encoder": VideoEncoder(cfg.video_ae, g), "video_decoder": VideoDecoder(cfg.video_ae, g),
        "audio_encoder": AudioEncoder(cfg.audio_ae, g), "audio_decoder": AudioDecoder(cfg.audio_ae, g),
        "preview": PreviewDecoder(g), "dit": JointDiT(cfg.dit, g, cfg.text.width),
    }


def adam(params, lr):
    return torch.optim.AdamW(params, lr=lr, weight_decay=0.0)


class Budget:
    """A stage's progress in [0, 1]: its step count, or its wall-time budget when it
    has one, whichever runs out first. Learning-rate schedules follow the progress,
    so a time-budgeted stage still warms up and anneals fully on any machine."""

    def __init__(self, name: str, steps: int, seconds: float = 0.0, spent: float = 0.0):
        self.name, self.steps, self.seconds = name, steps, seconds
        self.start = time.time() - spent

    def elapsed(self) -> float:
        return time.time() - self.start

    def progress(self, step: int) -> float:
        by_time = self.elapsed() / self.seconds if self.seconds > 0 else 0.0
        return min(1.0, max(step / self.steps, by_time))

    def cosine(self, step: int, floor: float = 0.1) -> float:
        """Learning-rate factor: cosine from 1 to `floor` over the progress."""
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * self.progress(step)))

    def warm_cosine(self, step: int, warmup: int, floor: float = 0.1) -> float:
        """Learning-rate factor: linear warm-up over `warmup` steps, then `cosine`."""
        return min(1.0, (step + 1) / warmup) * self.cosine(step, floor)

    def each_step(self):
        """Step indices while the budget lasts; then logs the count and keeps it in `taken`."""
        step = 0
        while self.progress(step) < 1:
            yield step
            step += 1
        self.taken = step
        self.finish(step)

    def update(self, opt, loss, step: int) -> None:
        """One optimizer step; logs every 100 steps."""
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0:
            log(f"{self.name} {step} ({self.progress(step):.0%}) loss {loss.item():.5f}")

    def finish(self, step: int) -> None:
        log(f"{self.name}: {step} steps in {self.elapsed():.0f}s")


def fit_latent_norm(enc, dec, z) -> None:
    """Normalizes the encoder's latents to zero mean, unit variance; the decoder undoes it."""
    enc.norm.fit(z)
    dec.norm.mean.copy_(enc.norm.mean)
    dec.norm.std.copy_(enc.norm.std)


def train_text(cfg, models, tokenizer, rng, stage):
    model = models["text"].to(DEVICE)
    opt = adam(model.parameters(), cfg.text.lr)
    budget = Budget("text", cfg.text.steps, cfg.text.seconds)
    for step in budget.each_step():
        captions, scenes = random_captions(rng, cfg.text.batch)
        ids, mask = tokenizer.batch(captions, cfg.geometry.max_tokens)
        _, pooled = model(ids.to(DEVICE), mask.to(DEVICE))
        targets = {k: v.to(DEVICE) for k, v in attribute_targets(scenes).items()}
        budget.update(opt, model.attribute_loss(pooled, targets), step)
    stage.save(model=model.state_dict(), steps=budget.taken, complete=True)


def snippet(rng, bank: ClipBank, cfg) -> torch.Tensor:
    """(B, t, H, W, 3) frames of 2 s clips from a random offset: the AE is fully convolutional."""
    frames = bank.random_batch(rng, cfg.video_ae.batch).frames
    start = rng.randrange(0, frames.shape[1] - cfg.video_ae.snippet_frames + 1, 2)
    return frames[:, start: start + cfg.video_ae.snippet_frames].to(DEVICE)


def set_lr(opt, lr: float) -> None:
    for group in opt.param_groups:
        group["lr"] = lr


def train_video_ae(cfg, models, bank, rng, stage):
    enc, dec = models["video_encoder"].to(DEVICE), models["video_decoder"].to(DEVICE)
    c = cfg.video_ae
    opt = adam(list(enc.parameters()) + list(dec.parameters()), c.lr)
    budget = Budget("video_ae", c.steps, c.seconds)
    for step in budget.each_step():
        set_lr(opt, c.lr * budget.warm_cosine(step, 50))
        frames = snippet(rng, bank, cfg)
        z = enc.raw(frames)
        z_noisy = z + c.latent_noise * torch.randn_like(z) * z.detach().std()
        out = dec.decode_raw(z_noisy)
        loss = F.mse_loss(out, frames) + 0.5 * F.l1_loss(out, frames) + 1e-4 * z.pow(2).mean()
        budget.update(opt, loss, step)
    with torch.no_grad():  # latent statistics over whole clips of every bucket
        z = torch.cat([enc.raw(bank.batch(rng, 8, k).frames.to(DEVICE)).flatten(2) for k in bank.keys(2)], dim=2)
        fit_latent_norm(enc, dec, z[..., None, None])
    stage.save(encoder=enc.state_dict(), decoder=dec.state_dict(), steps=budget.taken, complete=True)


def train_audio_ae(cfg, models, bank, rng, stage):
    enc, dec = models["audio_encoder"].to(DEVICE), models["audio_decoder"].to(DEVICE)
    c = cfg.audio_ae
    with torch.no_grad():
        enc.spectrum_norm.fit(enc.spectrogram(bank.random_batch(rng, 256).audio.to(DEVICE)))
        dec.spectrum_norm.load_state_dict(enc.spectrum_norm.state_dict())
    opt = adam(list(enc.parameters()) + list(dec.parameters()), c.lr)
    budget = Budget("audio_ae", c.steps, c.seconds)
    for step in budget.each_step():
        set_lr(opt, c.lr * budget.warm_cosine(step, 50))
        wave = bank.random_batch(rng, c.batch).audio.to(DEVICE)
        target = enc.normalized_spectrum(wave)
        z = enc.net(target)
        out = dec.net(z + c.latent_noise * torch.randn_like(z) * z.detach().std())
        budget.update(opt, F.mse_loss(out, target), step)
    with torch.no_grad():
        z = enc.raw(bank.random_batch(rng, 64).audio.to(DEVICE))
        fit_latent_norm(enc, dec, z)
        batch = bank.random_batch(rng, 256)
        pitch = pitch_accuracy(dec.log_magnitude(enc(batch.audio.to(DEVICE))), batch.scenes, cfg.geometry)
    log(f"audio_ae ceiling: pitch read right on {pitch:.0%} of autoencoded clips")
    stage.save(encoder=enc.state_dict(), decoder=dec.state_dict(), steps=budget.taken, pitch_ceiling=pitch,
               complete=True)


def pitch_accuracy(log_mag, scenes, geo) -> float:
    """Share of clips whose decoded spectrum names their pitch: the louder tone bin,
    or none when neither stands 3 nats above the median bin (a check before the DiT
    trains on a latent space that lost the tone, as the first pack's did)."""
    level = log_mag.mean(-1)  # (B, bins)
    bins = {p: round(hz * geo.n_fft / geo.sample_rate) for p, hz in world.PITCH_HZ.items()}
    floor = level.median(dim=1).values
    right = 0
    for i, scene in enumerate(scenes):
        loud = {p: level[i, b].item() - floor[i].item() for p, b in bins.items()}
        best = max(loud, key=loud.get)
        right += (best if loud[best] > 3 else "none") == scene.pitch
    return right / len(scenes)


def train_preview(cfg, models, bank, rng, stage):
    """Distil the tiny decoder from the full one, and fit the linear latent->RGB map."""
    enc, dec, prev = models["video_encoder"], models["video_decoder"], models["preview"].to(DEVICE)
    opt = adam(prev.parameters(), 2e-3)
    budget = Budget("preview", cfg.preview_steps, cfg.preview_seconds)
    for step in budget.each_step():
        with torch.no_grad():
            z = enc(bank.random_batch(rng, 4).frames.to(DEVICE))
            z = z + 0.3 * torch.randn_like(z) * rng.random()  # previews see noisy x0 early on
            target = dec(z)
        budget.update(opt, F.mse_loss(prev(z), target), step)
    with torch.no_grad():
        g = cfg.geometry
        batch = bank.batch(rng, 32, "square:2")
        z = enc(batch.frames.to(DEVICE))  # (B, C, T', H', W')
        rgb = batch.frames.to(DEVICE).reshape(z.shape[0], z.shape[2], g.temporal_compression, z.shape[3],
                                              g.spatial_compression, z.shape[4], g.spatial_compression, 3)
        rgb = rgb.mean(dim=(2, 4, 6))  # (B, T', H', W', 3): mean colour of each latent cell
        lhs = torch.cat([z.permute(0, 2, 3, 4, 1).reshape(-1, z.shape[1]), torch.ones(rgb.numel() // 3, 1,
                                                                                         device=DEVICE)], 1)
        solution = torch.linalg.lstsq(lhs.cpu(), rgb.reshape(-1, 3).cpu()).solution  # (C + 1, 3)
    stage.save(model=prev.state_dict(), latent_to_rgb=solution[:-1].tolist(), rgb_bias=solution[-1].tolist(),
               steps=budget.taken, complete=True)


def sharpen_decoder(cfg, models, bank, rng, stage):
    """Trains the video decoder alone on the frozen encoder's latents.

    The latent space stays as it is, so the pool and the denoiser trained on it stay
    valid, and this can run beside the denoiser. Measured: after the joint stage the
    scorer read only 55 % of shapes right on autoencoded ground truth (soft edges),
    and the GPU run's joint decoder painted every clip on a gray background flat gray
    (its units saturated there; the encoder still carried the object). An edge term
    sharpens; weighting the object's pixels makes a missing object cost what it
    costs the scorer; a fresh decoder (`decoder_fresh`) leaves the saturated units.
    """
    c = cfg.video_ae
    enc = models["video_encoder"].to(DEVICE).eval()
    if c.decoder_fresh:
        fresh = VideoDecoder(c, cfg.geometry)
        fresh.norm.load_state_dict(models["video_decoder"].norm.state_dict())
        models["video_decoder"] = fresh
    dec = models["video_decoder"].to(DEVICE).train()
    lr = c.lr if c.decoder_fresh else c.lr * 0.5
    opt = adam(dec.parameters(), lr)
    budget = Budget("sharpen_decoder", c.decoder_steps, c.decoder_seconds)
    for step in budget.each_step():
        set_lr(opt, lr * budget.warm_cosine(step, 50, floor=0.0))
        frames = snippet(rng, bank, cfg)  # (B, T, H, W, 3)
        with torch.no_grad():
            z = enc.raw(frames)
        out = dec.decode_raw(z + c.latent_noise * torch.randn_like(z) * z.std())
        budget.update(opt, decoder_loss(out, frames, c.decoder_outline_weight), step)
    stage.save(decoder=dec.state_dict(), steps=budget.taken, complete=True)


def decoder_loss(out, frames, outline_weight: float):
    """L1 + L2 weighted 5x on the object's pixels and `outline_weight` more on the
    2-pixel ring of its outline, plus an edge term (frames: (B, T, H, W, 3)).

    The outline is where a square and a circle differ: the scorer read 70 % of
    autoencoded held-out shapes right (small squares came back round) while a probe on
    the latents told the shapes apart 94 % of the time, so the decoder lost them.
    """
    with torch.no_grad():
        background = frames.flatten(2, 3).median(dim=2).values[:, :, None, None]  # objects cover < 15 %
        mask = ((frames - background).abs().sum(-1) > 0.1).float()  # (B, T, H, W)
        flat = mask.flatten(0, 1)[:, None]
        ring = F.max_pool2d(flat, 3, 1, 1) + F.max_pool2d(-flat, 3, 1, 1)  # dilated - eroded
        weight = (1 + 4 * mask + outline_weight * ring.reshape(mask.shape))[..., None]
    edges = sum(F.l1_loss(out.diff(dim=a), frames.diff(dim=a)) for a in (2, 3))  # H and W
    return (weight * ((out - frames).abs() + (out - frames).pow(2))).mean() + edges


def build_pool(cfg, models, bank, rng, stage):
    """The bank's clips encoded: the denoiser then costs one forward pass of itself per step.

    In full fp32: the audio encoder's STFT is a convolution whose magnitude floor (1e-3)
    TF32 cannot resolve, and a TF32 pool shifted audio latent means by up to 1.7 (in an
    emulation) away from the space the decoders were trained in.
    """
    enc_v, enc_a = models["video_encoder"].to(DEVICE), models["audio_encoder"].to(DEVICE)
    pool = {}
    tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    with torch.no_grad():
        for key, g in bank.groups.items():
            chunks = [range(i, min(i + 32, len(g["scenes"]))) for i in range(0, len(g["scenes"]), 32)]
            pool[key] = {
                "video": torch.cat([enc_v(g["frames"][c.start:c.stop].to(DEVICE).float() / 255.0).half().cpu()
                                    for c in chunks]),
                "audio": torch.cat([enc_a(g["audio"][c.start:c.stop].to(DEVICE)).half().cpu() for c in chunks]),
                "scenes": [s.__dict__ for s in g["scenes"]]}
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32
    for kind in ("video", "audio"):  # a shifted latent space shows here first
        z = torch.cat([p[kind].float().transpose(0, 1).flatten(1) for p in pool.values()], 1)
        mean, std = z.mean(dim=1), z.std(dim=1)
        log(f"pool {kind} latents: channel means {fmt(mean, '+.2f')}, stds {fmt(std, '.2f')}")
    stage.save(pool=pool, complete=True)


def fmt(values, spec: str) -> str:
    return " ".join(format(v, spec) for v in values.tolist())


def encode_text(models, tokenizer, captions, max_tokens):
    ids, mask = tokenizer.batch(captions, max_tokens)
    with torch.no_grad():
        tokens, pooled = models["text"](ids.to(DEVICE), mask.to(DEVICE))
    return tokens, mask.float().to(DEVICE), pooled


def flow_loss(model, x0_v, x0_a, clean_video_fraction, text, mask, pooled, hits=None, hit_weight=0.0,
              click_weight=1.0, head_reads_truth=False, sigma_shift=1.0):
    """The denoiser's flow-matching loss on one batch of clean latents. That share of
    the clips get their video as it is and a loss on their audio alone. With `hits`
    ((B, frames), 1 at a wall hit) and a sync head, its hit loss is added, and the
    audio tokens around each hit weigh `click_weight` times the others; with
    `head_reads_truth` the head reads the clips' clean video latents; `sigma_shift` shifts
    the noise levels drawn (dit.train_sigma_shift)."""
    b, device = x0_v.shape[0], x0_v.device
    # Logit-normal sigmas (SD3): most weight on the middle noise levels, where layout and motion form.
    sigma = shift_sigma(torch.sigmoid(torch.randn(b, device=device)), sigma_shift)
    noise_v, noise_a = torch.randn_like(x0_v), torch.randn_like(x0_a)
    sv, sa = sigma[:, None, None, None, None], sigma[:, None, None]
    # No draw without clean clips: the default recipe's random stream stays as it was.
    clean = (torch.rand(b, device=device) < clean_video_fraction if clean_video_fraction > 0
             else torch.zeros(b, dtype=torch.bool, device=device))
    x_v = torch.where(clean[:, None, None, None, None], x0_v, (1 - sv) * x0_v + sv * noise_v)
    hit_loss = hits is not None and model.sync is not None and hit_weight > 0
    pred_v, pred_a, *hit_logits = model(x_v, (1 - sa) * x0_a + sa * noise_a, sigma, text, mask, pooled,
                                        with_hit_logits=hit_loss, head_video=x0_v if head_reads_truth else None)
    noisy = (~clean).float()  # a clean video has no velocity to learn
    video_loss = ((pred_v - (noise_v - x0_v)) ** 2).mean(dim=(1, 2, 3, 4))
    video_loss = (video_loss * noisy).sum() / noisy.sum().clamp(min=1)
    audio_error = ((pred_a - (noise_a - x0_a)) ** 2).mean(dim=1)  # (B, Ta)
    if hits is None or model.sync is None:
        return video_loss + audio_error.mean()
    # A hit at frame i clicks at i / fps: the tokens of its frame's span, and one either side.
    near = F.max_pool1d(F.interpolate(hits[:, None], size=audio_error.shape[1], mode="nearest"), 3, 1, 1)[:, 0]
    weight = 1 + (click_weight - 1) * near
    loss = video_loss + (weight * audio_error).sum() / weight.sum()
    if not hit_loss:
        return loss
    # ~2.6 hits in 24 frames: positives weighted by the share of negatives to positives.
    bce = F.binary_cross_entropy_with_logits(hit_logits[0], hits, pos_weight=torch.tensor(8.0, device=device))
    return loss + hit_weight * bce


def wall_hits(scenes, frames: int) -> torch.Tensor:
    """(B, frames): 1 at each scene's wall-hit frames (the sync head's hit loss)."""
    hits = torch.zeros(len(scenes), frames)
    for row, scene in enumerate(scenes):
        hits[row, world.trajectory(scene)[1]] = 1.0
    return hits.to(DEVICE)


def train_dit(cfg, models, tokenizer, rng, stage, pool):
    model = models["dit"].to(DEVICE)
    c = cfg.dit
    ema = JointDiT(c, cfg.geometry, cfg.text.width).to(DEVICE)
    ema.load_state_dict(model.state_dict())
    if c.tune_sync_head_only:  # the transformer stays as trained; nothing of it enters the backward pass
        for name, p in model.named_parameters():
            p.requires_grad_(name.startswith("sync."))
    opt = adam([p for p in model.parameters() if p.requires_grad], c.lr)
    step, spent = 0, 0.0
    if os.path.exists(stage.path):
        state = stage.load()
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["optimizer"])
        step, spent = state["step"], state.get("seconds", 0.0)
        rng.setstate(state["rng"])
        log(f"dit resumed at step {step}")
    budget = Budget("dit", c.steps, c.seconds, spent)
    keys = sorted(pool)
    weights = [len(pool[k]["scenes"]) for k in keys]
    pool = {k: {**v, "video": v["video"].to(DEVICE), "audio": v["audio"].to(DEVICE)} for k, v in pool.items()}
    losses, saved_at, t_log = [], time.time(), (time.time(), step)

    def save(complete: bool) -> None:
        stage.save(model=model.state_dict(), ema=ema.state_dict(), optimizer=opt.state_dict(), step=step,
                   rng=rng.getstate(), seconds=budget.elapsed(), complete=complete)

    while budget.progress(step) < 1:
        set_lr(opt, c.lr * budget.warm_cosine(step, c.warmup, floor=0.05))
        key = rng.choices(keys, weights)[0]
        entry = pool[key]
        size = c.batch if key.endswith(":2") else c.batch // 2
        idx = [rng.randrange(len(entry["scenes"])) for _ in range(size)]
        index = torch.tensor(idx, device=DEVICE)
        x0_v, x0_a = entry["video"][index].float(), entry["audio"][index].float()
        scenes = [world.Scene(**entry["scenes"][i]) for i in idx]
        captions = ["" if rng.random() < c.caption_dropout else world.caption(s, rng) for s in scenes]
        text, mask, pooled = encode_text(models, tokenizer, captions, cfg.geometry.max_tokens)
        hits = wall_hits(scenes, x0_v.shape[2] * cfg.geometry.temporal_compression) if c.sync_head else None
        loss = flow_loss(model, x0_v, x0_a, c.clean_video_fraction, text, mask, pooled, hits, c.sync_hit_weight,
                         c.sync_click_weight, c.sync_head_reads_truth, c.train_sigma_shift)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            decay = min(c.ema, (1 + step) / (10 + step))
            for pe, pm in zip(ema.parameters(), model.parameters()):
                if pm.requires_grad:  # a frozen weight stays exactly as it was
                    pe.mul_(decay).add_(pm, alpha=1 - decay)
        step += 1
        losses.append(loss.detach())  # read back every 50 steps: a sync per step idles a GPU
        if step % 50 == 0:
            rate = (time.time() - t_log[0]) / (step - t_log[1])
            t_log = (time.time(), step)
            log(f"dit {step} ({budget.progress(step):.0%}) loss {torch.stack(losses).mean().item():.4f} "
                f"lr {opt.param_groups[0]['lr']:.2e} {rate:.3f}s/step")
            losses = []
        if time.time() - saved_at > 120:  # resumable without spending a GPU's time on saving
            save(False)
            saved_at = time.time()
    budget.finish(step)
    save(True)
    models["dit"] = ema


def load_autoencoders(models, stages):
    for kind in ("video", "audio"):
        state = stages[f"{kind}_ae"].load()
        models[f"{kind}_encoder"].load_state_dict(state["encoder"])
        models[f"{kind}_decoder"].load_state_dict(state["decoder"])


def load_trained(cfg, models, stages):
    models["text"].load_state_dict(stages["text"].load()["model"])
    load_autoencoders(models, stages)
    models["preview"].load_state_dict(stages["preview"].load()["model"])
    if stages["sharpen_decoder"].done():
        models["video_decoder"].load_state_dict(stages["sharpen_decoder"].load()["decoder"])
    models["dit"].load_state_dict(stages["dit"].load()["ema"])
    for m in models.values():
        m.to(DEVICE).eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", default="models/.work/full", help="checkpoint folder")
    parser.add_argument("--out", default="models/default", help="pack folder to export into")
    parser.add_argument("--quick", action="store_true", help="a few steps per stage (CI)")
    parser.add_argument("--preset", choices=["cpu", "gpu"], default="cpu",
                        help="cpu: step counts sized for a 2-core CPU; gpu: ~7 minutes of wall-time budgets")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                        help="override one config field, e.g. --set dit.seconds=60 (new runs only)")
    parser.add_argument("--no-export", action="store_true", help="stop after training (export elsewhere)")
    parser.add_argument("--eval-clips", type=int, default=3, help="samples per held-out combination")
    parser.add_argument("--reuse", metavar="DIR",
                        help="take DIR's trained text encoder and autoencoders (and their config); "
                             "train only the latent pool and the denoiser (see reuse.py)")
    parser.add_argument("--init-dit", metavar="DIR",
                        help="start the denoiser from DIR's trained one (a fine-tune; same architecture)")
    parser.add_argument("--only", choices=["sharpen_decoder", "preview"],
                        help="run one stage that needs only the autoencoders (it can run beside the DiT)")
    args = parser.parse_args()

    torch.set_num_threads(int(os.environ.get("EMERGE_TORCH_THREADS", "1")))
    cfg = apply_overrides(quick_config() if args.quick else gpu_config() if args.preset == "gpu" else PackConfig(),
                          args.set)
    os.makedirs(args.work, exist_ok=True)
    if os.path.exists(os.path.join(args.work, "config.json")):  # resuming: the stored config wins
        cfg = read_config(args.work)
    elif args.reuse:
        cfg = reuse_stages(args.reuse, args.work, cfg)
    write_config(args.work, cfg)
    torch.manual_seed(cfg.seed)
    tokenizer = Tokenizer(world.vocabulary())
    models = make_models(cfg, len(tokenizer.vocab))
    stages = {n: Stage(args.work, n) for n in STAGES}
    init_dit = None  # the trained denoiser a fine-tune starts from, when its own has not started
    if not os.path.exists(stages["dit"].path):
        if args.init_dit:
            init_dit = torch.load(os.path.join(args.init_dit, "dit.pt"), map_location="cpu", weights_only=False)
            record_init(args.work, args.init_dit, init_dit["step"])
        else:
            forget_init(args.work)
    timings_path = os.path.join(args.work, "timings.json")
    timings = read_record(args.work, "timings.json") or {}

    def save_timings():
        with open(timings_path, "w") as f:
            json.dump(timings, f, indent=1)
    log(f"device {DEVICE}, torch {torch.__version__}, work {args.work}")
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True

    bank = None
    if not all(stages[n].done() for n in ("video_ae", "audio_ae", "preview", "pool", "sharpen_decoder")):
        assert not torch.cuda.is_initialized(), "the bank forks its renderers before CUDA starts"
        t0 = time.time()
        bank = ClipBank.render(random.Random(f"{cfg.seed}:bank"), cfg.dit.pool_clips, cfg.dit.long_fraction, log)
        bank.to(DEVICE)
        timings["bank"] = time.time() - t0
    hardware_path = os.path.join(args.work, "hardware.json")
    if not all(stage.done() for stage in stages.values()):  # this run trains: record on what (starts CUDA)
        with open(hardware_path, "w") as f:
            json.dump(describe_run(args.work, describe_hardware(), torch.__version__, run_note(cfg.dit)), f)

    def run(name, fn, *extra):
        if stages[name].done():
            log(f"{name}: done, skipped")
            return
        t0 = time.time()
        fn(*(cfg, models) + extra + (random.Random(f"{cfg.seed}:{name}"), stages[name]))
        timings[name] = timings.get(name, 0) + time.time() - t0
        save_timings()

    run("text", train_text, tokenizer)
    models["text"].load_state_dict(stages["text"].load()["model"])
    run("video_ae", train_video_ae, bank)
    run("audio_ae", train_audio_ae, bank)
    load_autoencoders(models, stages)
    for m in models.values():
        m.to(DEVICE).eval()
    if args.only in (None, "sharpen_decoder"):
        run("sharpen_decoder", sharpen_decoder, bank)
    if stages["sharpen_decoder"].done():  # the preview decoder imitates the final decoder
        models["video_decoder"].load_state_dict(stages["sharpen_decoder"].load()["decoder"])
        models["video_decoder"].to(DEVICE).eval()
    if args.only in (None, "preview"):
        run("preview", train_preview, bank)
    if args.only:
        return
    run("pool", build_pool, bank)
    del bank
    if not stages["dit"].done():
        if init_dit is not None:  # a sync head new to this run starts at zero (sync_head.py)
            missing, unexpected = models["dit"].load_state_dict(init_dit["ema"], strict=False)
            if unexpected or any(not k.startswith("sync.") for k in missing):
                raise SystemExit(f"--init-dit {args.init_dit}: another architecture "
                                 f"(missing {missing}, unexpected {unexpected})")
            log(f"dit starts from {args.init_dit} (step {init_dit['step']})")
        models["dit"].train()
        pool = stages["pool"].load()["pool"]
        train_dit(cfg, models, tokenizer, random.Random(f"{cfg.seed}:dit"), stages["dit"], pool)
        del pool
        timings["dit"] = stages["dit"].load()["seconds"]  # summed over every resumed run
        save_timings()
    if args.no_export:
        log(f"trained; export with: train.py --work {args.work} --out PACK")
        return
    load_trained(cfg, models, stages)

    from export import export_pack  # noqa: E402 (after training: export needs only the models)
    from sample import write_eval_clips  # noqa: E402
    trained_with = read_record(args.work, "hardware.json") or {
        "hardware": "not recorded (trained before hardware.json)", "torch": "not recorded"}
    trained_with["steps"] = {n: (state.get("steps") if n != "dit" else state["step"])
                             for n in MODEL_STAGES for state in [stages[n].load()]}
    trained_with["audio_pitch_ceiling"] = stages["audio_ae"].load().get("pitch_ceiling")
    init = read_record(args.work, "dit_init.json")
    if init is not None:  # a fine-tune: its starting denoiser's training is part of the pack's
        trained_with["init"] = init
        if "dit" in init:  # listed just before this run's denoiser stage
            start = {f"starting denoiser (run {init['from']})": init["dit"]}
            timings = {**{k: v for k, v in timings.items() if k != "dit"}, **start,
                       **({"dit": timings["dit"]} if "dit" in timings else {})}
    export_pack(cfg, models, tokenizer, stages["preview"].load(), args.out, timings, trained_with, args.eval_clips)
    write_eval_clips(cfg, models, tokenizer, os.path.join(args.work, "eval"), args.eval_clips, DEVICE)
    log(f"pack written to {args.out}")


if __name__ == "__main__":
    main()
