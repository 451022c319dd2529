"""Audio autoencoder: log-magnitude STFT <-> latents at 25 frames per second, and a
fixed synthesizer from magnitude back to waveform.

The STFT and its inverse are convolutions with fixed Fourier kernels, so both
export to plain ONNX Conv / ConvTranspose. The synthesizer gives every bin the
phase of a steady sinusoid at the bin's centre frequency (phase advances
2*pi*k*hop/n_fft a frame): exact for the world's tones, which sit on bin centres
(250 Hz = bin 8, 1500 Hz = bin 48 at 31.25 Hz a bin), and it keeps clicks within
one STFT frame. Real audio needs a learned vocoder (Vocos-like) in its place.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from config import AudioAEConfig, Geometry
from video_ae import LatentNorm


def fourier_kernels(n_fft: int) -> torch.Tensor:
    """(2 * bins, 1, n_fft): Hann-windowed cos and -sin rows for bins 0..n_fft/2."""
    bins = n_fft // 2 + 1
    n = torch.arange(n_fft, dtype=torch.float64)
    k = torch.arange(bins, dtype=torch.float64)[:, None]
    window = 0.5 - 0.5 * torch.cos(2 * math.pi * n / n_fft)
    angle = 2 * math.pi * k * n / n_fft
    return torch.cat([torch.cos(angle) * window, -torch.sin(angle) * window]).float()[:, None, :]


class Spectrogram(nn.Module):
    """waveform (B, S) -> log magnitude (B, bins, S / hop)."""

    def __init__(self, geo: Geometry, log_floor: float):
        super().__init__()
        self.n_fft, self.hop, self.log_floor = geo.n_fft, geo.hop, log_floor
        self.register_buffer("kernels", fourier_kernels(geo.n_fft))

    def forward(self, wave):
        pad = (self.n_fft - self.hop) // 2  # frame m is centred on samples [m*hop, (m+1)*hop)
        x = F.pad(wave[:, None, :], (pad, pad))
        spec = F.conv1d(x, self.kernels, stride=self.hop)  # (B, 2*bins, frames)
        re, im = spec.chunk(2, dim=1)
        return torch.log(torch.sqrt(re * re + im * im + 1e-12) + self.log_floor)


class Synthesizer(nn.Module):
    """log magnitude (B, bins, frames) -> waveform (B, frames * hop), bin-centre phases."""

    def __init__(self, geo: Geometry, log_floor: float):
        super().__init__()
        self.n_fft, self.hop, self.log_floor = geo.n_fft, geo.hop, log_floor
        bins = geo.n_fft // 2 + 1
        n = torch.arange(geo.n_fft, dtype=torch.float64)
        k = torch.arange(bins, dtype=torch.float64)[:, None]
        window = 0.5 - 0.5 * torch.cos(2 * math.pi * n / geo.n_fft)
        weight = torch.where((k == 0) | (k == bins - 1), 1.0, 2.0) / geo.n_fft  # one-sided inverse DFT
        angle = 2 * math.pi * k * n / geo.n_fft
        basis = torch.cat([torch.cos(angle), -torch.sin(angle)]) * torch.cat([weight, weight]) * window
        self.register_buffer("basis", basis.float()[:, None, :])  # (2*bins, 1, n_fft)
        # Overlap-added squared windows: 1.5 everywhere inside for Hann at 75 % overlap.
        self.register_buffer("ola", torch.tensor(float((window ** 2).sum() / geo.hop)))

    def _load_from_state_dict(self, state_dict, prefix, *args):
        # Checkpoints before the integer phase carry a per-bin phase-advance table.
        state_dict.pop(prefix + "advance", None)
        super()._load_from_state_dict(state_dict, prefix, *args)

    def forward(self, log_mag):
        mag = (torch.exp(log_mag) - self.log_floor).clamp(min=0)  # (B, bins, M)
        frame_index = torch.cumsum(torch.ones_like(log_mag[:1, :1, :]), dim=-1) - 1  # (1, 1, M)
        # Identity phase locking (Laroche & Dolson): each bin takes the steady phase of the
        # strongest bin within +-2 and the Hann sign flip per bin away from it, so the
        # main lobe of a tone sums into one sinusoid instead of beating at +-31 Hz.
        # The strongest of the 5 bins around each bin: an ArgMax over shifted copies, which
        # onnxruntime runs ~3x faster than MaxPool with indices. Padding of -1 is never
        # chosen (mag >= 0); ties go to the lowest bin, as max_pool1d's did.
        bins = mag.shape[1]
        padded = F.pad(mag, (0, 0, 2, 2), value=-1.0)
        nearby = torch.stack([padded[:, j: j + bins] for j in range(5)])  # (5, B, bins, M)
        bin_index = torch.cumsum(torch.ones_like(mag[:1, :, :1]), dim=1) - 1  # (1, bins, 1)
        owner = nearby.argmax(dim=0).float() + bin_index - 2  # (B, bins, M)
        # Bin k's centre advances k hop turns of 2 pi / n_fft a frame, and the sign flip
        # adds n_fft / 2 turns per bin from the owner: the phase is a whole number of
        # turns, counted exactly in float32 (below 2^24) once the frame's advance is taken
        # modulo n_fft. Before, a per-bin table lookup and a full-size modulo took as long
        # as the ArgMax, and float rounding grew with the clip's length.
        advance = torch.fmod(frame_index * self.hop, self.n_fft)  # (1, 1, M)
        turns = owner * advance + (bin_index - owner) * (self.n_fft // 2)
        phase = turns * (2 * math.pi / self.n_fft)
        spec = torch.cat([mag * torch.cos(phase), mag * torch.sin(phase)], dim=1)  # (B, 2*bins, M)
        # Inverse DFT of every frame as one MatMul, then overlap-add of the n_fft / hop
        # quarters: what conv_transpose1d computed, in ops onnxruntime runs ~1.6x faster.
        frames = torch.matmul(spec.transpose(1, 2), self.basis[:, 0, :])  # (B, M, n_fft)
        r = self.n_fft // self.hop
        frames = frames.reshape(frames.shape[0], frames.shape[1], r, self.hop)
        wave = sum(F.pad(frames[:, :, j], (0, 0, j, r - 1 - j)) for j in range(r))  # (B, M + r - 1, hop)
        wave = wave.flatten(1) / self.ola
        pad = (self.n_fft - self.hop) // 2
        return wave[:, pad: pad + log_mag.shape[-1] * self.hop]


class SpectrumNorm(nn.Module):
    """Per-bin affine that gives every STFT bin zero mean and unit variance over the data.

    Measured: on raw log magnitude the tone bins (2 of 257) carry almost none of the
    loss next to broadband clicks, and the autoencoder sat for hundreds of steps
    (800 in the first pack: pitch at chance) reconstructing only the silence floor.
    Per-bin units weight each bin by its own variance, and the tone is learned.
    """

    def __init__(self, bins: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(1, bins, 1))
        self.register_buffer("std", torch.ones(1, bins, 1))

    @torch.no_grad()
    def fit(self, log_mag) -> None:  # (B, bins, frames)
        self.mean.copy_(log_mag.mean(dim=(0, 2))[None, :, None])
        self.std.copy_(log_mag.std(dim=(0, 2)).clamp(min=0.05)[None, :, None])


class AudioEncoder(nn.Module):
    """waveform (B, S) -> normalized latent (B, C, S / sample_rate * 25)."""

    def __init__(self, cfg: AudioAEConfig, geo: Geometry):
        super().__init__()
        bins, w = geo.n_fft // 2 + 1, cfg.width
        per_latent = geo.sample_rate // geo.hop // geo.audio_latent_rate  # 5 STFT frames a latent frame
        self.spectrogram = Spectrogram(geo, cfg.log_floor)
        self.spectrum_norm = SpectrumNorm(bins)
        self.net = nn.Sequential(
            nn.Conv1d(bins, w, 3, padding=1), nn.SiLU(),
            nn.Conv1d(w, w, per_latent, stride=per_latent), nn.SiLU(),
            nn.Conv1d(w, w, 3, padding=1), nn.SiLU(),
            nn.Conv1d(w, geo.audio_latent_channels, 1))
        self.norm = LatentNorm(geo.audio_latent_channels, 1)

    def normalized_spectrum(self, wave):
        s = self.spectrogram(wave)
        return (s - self.spectrum_norm.mean) / self.spectrum_norm.std

    def raw(self, wave):
        return self.net(self.normalized_spectrum(wave))

    def forward(self, wave):
        return self.norm.normalize(self.raw(wave))


class AudioDecoder(nn.Module):
    """normalized latent (B, C, Ta) -> log magnitude -> waveform (B, S)."""

    def __init__(self, cfg: AudioAEConfig, geo: Geometry):
        super().__init__()
        bins, w = geo.n_fft // 2 + 1, cfg.width
        per_latent = geo.sample_rate // geo.hop // geo.audio_latent_rate
        self.norm = LatentNorm(geo.audio_latent_channels, 1)
        self.spectrum_norm = SpectrumNorm(bins)
        self.net = nn.Sequential(
            nn.Conv1d(geo.audio_latent_channels, w, 3, padding=1), nn.SiLU(),
            nn.ConvTranspose1d(w, w, per_latent, stride=per_latent), nn.SiLU(),
            nn.Conv1d(w, w, 3, padding=1), nn.SiLU(),
            nn.Conv1d(w, bins, 3, padding=1))
        self.synthesizer = Synthesizer(geo, cfg.log_floor)

    def log_magnitude(self, latent):
        s = self.net(self.norm.denormalize(latent))  # per-bin normalized units
        return s * self.spectrum_norm.std + self.spectrum_norm.mean

    def forward(self, latent):
        return self.synthesizer(self.log_magnitude(latent)).clamp(-1, 1)
