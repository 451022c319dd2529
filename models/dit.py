"""The joint audio-video diffusion transformer (DiT with adaLN-Zero).

Video latents are cut into 1x2x2 cubes and audio latents are one token per latent
frame (25 a second); both token streams share one self-attention so picture and
sound see each other at every layer. Positions are in seconds for both modalities
(as LTX-2 does), so a click token and the frame of the wall hit carry the same
time code. Text enters twice: its tokens by cross-attention and its pooled vector
beside the timestep in the adaLN modulation. The model predicts the flow-matching
velocity v = noise - x0.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from config import DiTConfig, Geometry
from sync_head import SyncHead
from text import masked_attention


def sinusoid(x, dim: int, max_period: float):
    """(...,) positions -> (..., dim) sin/cos features with periods up to max_period."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=x.device) / half)
    angles = x[..., None].float() * freqs * (2 * math.pi)
    return torch.cat([torch.cos(angles), torch.sin(angles)], dim=-1)


def grid_index(length_source, axis: int):
    """0..n-1 along `axis` of a tensor, computed from its shape (keeps ONNX axes dynamic)."""
    ones = torch.ones_like(length_source.select(0, 0).select(0, 0))  # drop batch and channel axes
    return torch.cumsum(ones, dim=axis) - 1


class Block(nn.Module):
    def __init__(self, cfg: DiTConfig, text_width: int):
        super().__init__()
        d, self.heads = cfg.width, cfg.heads
        self.norm1 = nn.LayerNorm(d)  # affine kept: ONNX export of LayerNorm needs weights
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.norm_cross = nn.LayerNorm(d)
        self.q_cross, self.kv_cross = nn.Linear(d, d), nn.Linear(text_width, 2 * d)
        self.null_kv = nn.Parameter(torch.zeros(1, 1, text_width))  # always-visible key: empty prompts work
        self.proj_cross = nn.Linear(d, d)
        self.norm2 = nn.LayerNorm(d)
        hidden = int(d * cfg.mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(d, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, d))
        self.modulation = nn.Linear(d, 6 * d)
        nn.init.zeros_(self.modulation.weight)  # adaLN-Zero: every block starts as the identity
        nn.init.zeros_(self.modulation.bias)
        nn.init.zeros_(self.proj_cross.weight)

    def split_heads(self, x):  # (B, N, D) -> (B, h, N, D/h)
        b, n, d = x.shape
        return x.reshape(b, n, self.heads, d // self.heads).transpose(1, 2)

    def merge_heads(self, x):  # (B, h, N, D/h) -> (B, N, D)
        b, h, n, dh = x.shape
        return x.transpose(1, 2).reshape(b, n, h * dh)

    def self_attention(self, q, k, v):
        """Unmasked multi-head attention on (B, N, D) tensors; export.py swaps in a fused op."""
        return self.merge_heads(masked_attention(self.split_heads(q), self.split_heads(k), self.split_heads(v), None))

    def forward(self, x, cond, text, text_mask):
        # x: (B, N, D), cond: (B, D), text: (B, L, Dt), text_mask: (B, L)
        shift1, scale1, gate1, shift2, scale2, gate2 = self.modulation(cond)[:, None].chunk(6, dim=-1)
        h = self.norm1(x) * (1 + scale1) + shift1
        x = x + gate1 * self.proj(self.self_attention(*self.qkv(h).chunk(3, dim=-1)))

        keys = torch.cat([self.null_kv.expand(text.shape[0], -1, -1), text], dim=1)  # (B, 1 + L, Dt)
        mask = torch.cat([torch.ones_like(text_mask[:, :1]), text_mask], dim=1)
        kc, vc = (self.split_heads(t) for t in self.kv_cross(keys).chunk(2, dim=-1))
        qc = self.split_heads(self.q_cross(self.norm_cross(x)))
        x = x + self.proj_cross(self.merge_heads(masked_attention(qc, kc, vc, mask)))

        h = self.norm2(x) * (1 + scale2) + shift2
        return x + gate2 * self.mlp(h)


class JointDiT(nn.Module):
    def __init__(self, cfg: DiTConfig, geo: Geometry, text_width: int):
        super().__init__()
        self.cfg, self.geo = cfg, geo
        d = cfg.width
        pt, ph, pw = geo.patch
        self.video_in = nn.Linear(geo.latent_channels * pt * ph * pw, d)
        self.audio_in = nn.Linear(geo.audio_latent_channels, d)
        self.modality = nn.Parameter(torch.zeros(2, d))  # 0: video, 1: audio
        self.fine_time = nn.Linear(d // 2, d) if cfg.fine_time_addon else None
        if self.fine_time is not None:  # zero: the model starts as it was trained
            nn.init.zeros_(self.fine_time.weight)
            nn.init.zeros_(self.fine_time.bias)
        self.time_mlp = nn.Sequential(nn.Linear(256, d), nn.SiLU(), nn.Linear(d, d))
        self.text_mlp = nn.Sequential(nn.Linear(text_width, d), nn.SiLU(), nn.Linear(d, d))
        self.blocks = nn.ModuleList([Block(cfg, text_width) for _ in range(cfg.depth)])
        self.norm_out = nn.LayerNorm(d)
        self.modulation_out = nn.Linear(d, 2 * d)
        self.video_out = nn.Linear(d, geo.latent_channels * pt * ph * pw)
        self.audio_out = nn.Linear(d, geo.audio_latent_channels)
        for layer in (self.modulation_out, self.video_out, self.audio_out):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        self.sync = SyncHead(geo, d) if cfg.sync_head else None

    def time_code(self, seconds, dim: int):
        """Sinusoids of time with periods from cfg.finest_time_period up to 16 s."""
        finest = self.cfg.finest_time_period
        return sinusoid(seconds / finest, dim, 16.0 / finest)

    def positions(self, video_grid, audio_len_source):
        """Additive position codes: seconds for both modalities, plus the place in the frame."""
        g, d = self.geo, self.cfg.width
        t = grid_index(video_grid, 0)  # (T'', H'', W'') token index along time
        y, x = grid_index(video_grid, 1), grid_index(video_grid, 2)
        height, width = y.amax(dim=1, keepdim=True) + 1, x.amax(dim=2, keepdim=True) + 1
        span = g.patch[0] * g.temporal_compression  # video frames per token: its centre is its time
        seconds = (t * span + 0.5 * (span - 1)) / g.fps
        video = torch.cat([self.time_code(seconds, d // 2),
                           sinusoid(y, d // 8, 64.0), sinusoid(x, d // 8, 64.0),
                           sinusoid((y + 0.5) / height, d // 8, 4.0), sinusoid((x + 0.5) / width, d // 8, 4.0)], -1)
        a = grid_index(audio_len_source, 0)  # (Ta,)
        audio_seconds = (a + 0.5) / g.audio_latent_rate
        audio = F.pad(self.time_code(audio_seconds, d // 2), (0, d - d // 2))  # no place in a frame
        if self.fine_time is not None:  # periods from one video frame up to 16 s
            fine = lambda s: self.fine_time(sinusoid(s * g.fps, d // 2, 16.0 * g.fps))  # noqa: E731
            video, audio = video + fine(seconds), audio + fine(audio_seconds)
        return video.reshape(-1, d), audio  # (Nv, D), (Ta, D)

    def forward(self, video, audio, sigma, text_tokens, text_mask, text_pooled, with_hit_logits=False,
                head_video=None):
        # video: (B, C, T', H', W'), audio: (B, Ca, Ta), sigma: (B,)
        b, c, t, h, w = video.shape
        pt, ph, pw = self.geo.patch
        cubes = video.reshape(b, c, t // pt, pt, h // ph, ph, w // pw, pw)
        cubes = cubes.permute(0, 2, 4, 6, 1, 3, 5, 7)  # (B, T'', H'', W'', C, pt, ph, pw)
        grid = cubes[:, :, :, :, 0, 0, 0, 0][:, None]  # (B, 1, T'', H'', W'') for shapes only
        cubes = cubes.reshape(b, -1, c * pt * ph * pw)  # (B, Nv, C*pt*ph*pw)
        video_pos, audio_pos = self.positions(grid, audio[:, :1])
        xv = self.video_in(cubes) + video_pos + self.modality[0]
        xa = self.audio_in(audio.transpose(1, 2)) + audio_pos + self.modality[1]  # (B, Ta, D)
        n_video = xv.shape[1]
        x = torch.cat([xv, xa], dim=1)  # (B, Nv + Ta, D)

        cond = self.time_mlp(sinusoid(sigma * 1000, 256, 10000.0)) + self.text_mlp(text_pooled)
        for block in self.blocks:
            x = block(x, cond, text_tokens, text_mask.float())
        shift, scale = self.modulation_out(cond)[:, None].chunk(2, dim=-1)
        x = self.norm_out(x) * (1 + scale) + shift

        v = self.video_out(x[:, :n_video])  # (B, Nv, C*pt*ph*pw)
        v = v.reshape(b, t // pt, h // ph, w // pw, c, pt, ph, pw).permute(0, 4, 1, 5, 2, 6, 3, 7)
        v = v.reshape(b, c, t, h, w)
        a = self.audio_out(x[:, n_video:]).transpose(1, 2)  # (B, Ca, Ta)
        hit_logits = None  # the sync head's, for its hit loss in training (sync_head.py)
        if self.sync is not None:
            # It reads the clean-video estimate x0 = x - sigma v, detached: the sound's
            # losses do not steer the picture. Training may give it the true clean video
            # instead (`head_video`, dit.sync_head_reads_truth).
            x0_video = (video - sigma[:, None, None, None, None] * v).detach() if head_video is None else head_video
            correction, hit_logits = self.sync(x0_video, x[:, n_video:])
            a = a + correction
        return (v, a, hit_logits) if with_hit_logits else (v, a)
