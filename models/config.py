"""Configuration of the default pack: geometry, networks and training.

Every checkpoint stores the config it was trained with, so export and sampling
need nothing else.
"""
import json
import os
from dataclasses import dataclass, field, asdict


@dataclass
class Geometry:
    fps: int = 12  # video frames per second
    sample_rate: int = 16000  # audio samples per second
    latent_channels: int = 8  # video latent channels
    temporal_compression: int = 2  # video frames per latent frame
    spatial_compression: int = 8  # pixels per latent cell, per axis
    patch: tuple = (1, 2, 2)  # DiT cube size in latent (t, h, w)
    audio_latent_rate: int = 25  # audio latent frames (= tokens) per second
    audio_latent_channels: int = 8
    n_fft: int = 512  # STFT size of the audio autoencoder (31.25 Hz bins)
    hop: int = 128  # STFT hop: 125 frames/s, 5 per audio latent frame
    max_tokens: int = 32  # text tokens per prompt (padded)


@dataclass
class VideoAEConfig:
    width: int = 64  # channels at latent resolution
    snippet_frames: int = 8  # frames per training snippet (the AE is fully convolutional)
    batch: int = 8
    steps: int = 2000
    lr: float = 1e-3
    latent_noise: float = 0.1  # noise added to latents in training: decoder tolerates denoiser error
    decoder_steps: int = 1500  # decoder-only sharpening on frozen latents (train.sharpen_decoder)
    seconds: float = 0.0  # wall-time budget of the joint stage (0: steps only); see train.Budget
    decoder_seconds: float = 0.0
    decoder_fresh: bool = False  # sharpen_decoder starts from a new decoder instead of the joint stage's
    decoder_outline_weight: float = 8.0  # extra loss weight on objects' outlines (train.decoder_loss)


@dataclass
class AudioAEConfig:
    width: int = 128
    batch: int = 16
    steps: int = 800
    lr: float = 1e-3
    log_floor: float = 1e-3  # magnitude floor before the log: silence is log(1e-3)
    latent_noise: float = 0.1
    seconds: float = 0.0


@dataclass
class TextConfig:
    width: int = 128  # embedding size D of text_tokens and text_pooled
    layers: int = 2
    heads: int = 4
    batch: int = 64
    steps: int = 1200
    lr: float = 1e-3
    seconds: float = 0.0


@dataclass
class DiTConfig:
    width: int = 128  # 160 cost 2.6x the ONNX time per step on this CPU (~75 GFLOP/s on one core)
    depth: int = 8
    heads: int = 4
    mlp_ratio: float = 4.0
    batch: int = 24  # clips per step (4 s batches use half)
    steps: int = 3000
    lr: float = 4e-4
    warmup: int = 200
    ema: float = 0.998
    caption_dropout: float = 0.1  # fraction trained unconditionally, for classifier-free guidance
    pool_clips: int = 16000  # clips rendered once (data.ClipBank); every stage samples from them
    long_fraction: float = 0.15  # fraction of 4 s batches
    seconds: float = 0.0
    # The shortest period, in seconds, of the time code both modalities share (periods run
    # from it up to 16 s). One video frame, so that a click's token and the frame of its
    # wall hit match and their neighbours do not: at 1 s (the shipped pack's, from before
    # this field) codes one frame apart are 0.97 alike (cosine), at 1/12 s 0.54.
    finest_time_period: float = 1 / 12
    # A checkpoint trained with a coarse time code (the shipped pack's 1 s) can learn a
    # one-frame code on top of it: a zero-initialized projection of it added to both
    # modalities' positions, so the retimed model starts exactly where it was (retime.py).
    fine_time_addon: bool = False
    # Share of training clips whose video goes in clean (loss on their audio only): the
    # denoiser learns to put sound to a finished picture (video-to-audio), a case that
    # one noise level for both never shows it: the picture is as noisy as the sound when
    # the sound's timing forms.
    clean_video_fraction: float = 0.0
    # A conv reading of the denoiser's own clean-video estimate that corrects the audio
    # velocity (sync_head.py): the transformer alone left its clicks at chance.
    sync_head: bool = False
    # Train the sync head alone on a trained denoiser (`--init-dit`), its transformer
    # frozen: the backward pass runs through the head only, a fine-tune a CPU affords.
    tune_sync_head_only: bool = False
    # Weight of the sync head's hit loss: its first frame feature fitted to the world's
    # wall hits (binary cross-entropy), beside the flow loss on its audio correction.
    sync_hit_weight: float = 0.5
    # Weight of the audio loss on the tokens around each wall hit, with a sync head: the
    # head's whole signal is in those few tokens of a clip, and at weight 1 the rest of
    # the clip's gradient drowned it (after 350 steps of a CPU fine-tune its output was still near zero).
    sync_click_weight: float = 1.0
    # Train the sync head on the true clean video latents instead of the transformer's
    # estimate of them (sampling still gives it the estimate). Reading the estimate, the
    # head learned little: at sigma >= 0.9, where the sound sets its clicks, the estimate
    # shows the hits about half the time (probe_sync.py --by-step). Taught on a clear
    # picture, it learns what the clicks of one are (models/README.md, "When the sound
    # sets its clicks").
    sync_head_reads_truth: bool = False
    # Training noise levels sigmoid(N(0, 1)) shifted by this factor, as the sampler's
    # schedule is (s' = k s / (1 + (k - 1) s)): at 1, 1.4 % of draws are above 0.9, where
    # the sound sets its clicks (models/README.md); at 3, 14 %.
    train_sigma_shift: float = 1.0


@dataclass
class SamplerConfig:
    # deno task eval on the H200-trained pack: 8 Euler steps scored adherence 0.904 / motion 0.852 /
    # persistence 0.978, 12 steps 0.896 / 0.852 / 0.982, 6 steps 0.896 / 0.926 / 0.953; 8 costs 2/3 of 12.
    steps: int = 8
    shift: float = 3.0
    guidance_video: float = 4.0
    guidance_audio: float = 4.0


@dataclass
class PackConfig:
    geometry: Geometry = field(default_factory=Geometry)
    video_ae: VideoAEConfig = field(default_factory=VideoAEConfig)
    audio_ae: AudioAEConfig = field(default_factory=AudioAEConfig)
    text: TextConfig = field(default_factory=TextConfig)
    dit: DiTConfig = field(default_factory=DiTConfig)
    sampler: SamplerConfig = field(default_factory=SamplerConfig)
    preview_steps: int = 400
    preview_seconds: float = 0.0
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict) -> "PackConfig":
        # Checkpoints from before finest_time_period were trained with a 1 s one (and
        # without a sync head), and decoders from before decoder_outline_weight without
        # the outline term.
        d = {**d, "dit": {"finest_time_period": 1.0, "sync_head": False, **d["dit"]},
             "video_ae": {"decoder_outline_weight": 0.0, **d["video_ae"]}}
        return PackConfig(Geometry(**{**d["geometry"], "patch": tuple(d["geometry"]["patch"])}),
                          VideoAEConfig(**d["video_ae"]), AudioAEConfig(**d["audio_ae"]),
                          TextConfig(**d["text"]), DiTConfig(**d["dit"]), SamplerConfig(**d["sampler"]),
                          d["preview_steps"], d.get("preview_seconds", 0.0), d["seed"])


def read_config(work: str) -> PackConfig:
    """The config of the run in `work` (its config.json)."""
    with open(os.path.join(work, "config.json")) as f:
        return PackConfig.from_dict(json.load(f))


def write_config(work: str, cfg: PackConfig) -> None:
    with open(os.path.join(work, "config.json"), "w") as f:
        json.dump(cfg.to_dict(), f, indent=1)


def quick_config() -> PackConfig:
    """Same architecture, a few steps each: proves the train + export path in CI time."""
    c = PackConfig()
    c.video_ae.steps, c.audio_ae.steps, c.text.steps, c.video_ae.decoder_steps = 20, 20, 40, 10
    c.dit.steps, c.dit.pool_clips, c.dit.batch, c.dit.warmup, c.dit.lr = 30, 96, 8, 5, 3e-3
    c.video_ae.width, c.dit.width, c.dit.depth, c.dit.heads = 32, 64, 2, 2
    c.dit.sync_head = True  # the default pack has one: its export and the engine's parity cover it
    c.preview_steps = 10
    return c


def gpu_config() -> PackConfig:
    """The same networks trained on one GPU in about nine minutes.

    Every stage has a wall-time budget (its step count is only a ceiling), so the
    run fits a fixed lease whatever the card; batches are large because a step of
    these small networks costs little more at batch 256 than at 16 on a GPU.
    """
    c = PackConfig()
    c.text.batch, c.text.steps, c.text.seconds = 256, 4000, 15
    c.video_ae.batch, c.video_ae.steps, c.video_ae.seconds = 32, 100_000, 90
    c.video_ae.decoder_steps, c.video_ae.decoder_seconds, c.video_ae.decoder_fresh = 100_000, 120, True
    c.audio_ae.batch, c.audio_ae.steps, c.audio_ae.seconds = 64, 100_000, 25
    c.preview_steps, c.preview_seconds = 100_000, 15
    d = c.dit
    d.batch, d.steps, d.seconds, d.lr, d.warmup, d.ema = 256, 1_000_000, 200, 1e-3, 300, 0.999
    d.pool_clips = 24000
    return c


def apply_overrides(c: PackConfig, items: list) -> PackConfig:
    """`section.field=value` pairs (from --set), typed like the field they replace."""
    for item in items:
        path, _, text = item.partition("=")
        *sections, name = path.split(".")
        target = c
        for section in sections:
            target = getattr(target, section)
        if not hasattr(target, name):
            raise SystemExit(f"--set {item}: no config field {path}")
        kind = type(getattr(target, name))
        if kind is bool and text.lower() not in ("true", "false"):
            raise SystemExit(f"--set {item}: {path} is true or false")
        setattr(target, name, text.lower() == "true" if kind is bool else kind(text))
    return c
