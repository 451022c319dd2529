"""Video autoencoder (2x time, 8x space) and the tiny preview decoder.

Frames go in and out channel-last in [0, 1] (B, T, H, W, 3), as the pack contract
says. The latents are normalized to zero mean and unit variance per channel by a
fixed affine that export bakes into both graphs.

Time is compressed only 2x: a throwaway prototype at 4x moved the shape in
stair steps at latent-frame boundaries, which made click sync unmeasurable.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from config import Geometry, VideoAEConfig


def depth_to_space(x, r_t: int, r_s: int):
    """(B, C*r_t*r_s*r_s, T, H, W) -> (B, C, T*r_t, H*r_s, W*r_s): sub-pixel upsampling in 3D."""
    b, c, t, h, w = x.shape
    c_out = c // (r_t * r_s * r_s)
    x = x.reshape(b, c_out, r_t, r_s, r_s, t, h, w)
    x = x.permute(0, 1, 5, 2, 6, 3, 7, 4)  # (B, C, T, r_t, H, r_s, W, r_s)
    return x.reshape(b, c_out, t * r_t, h * r_s, w * r_s)


class LatentNorm(nn.Module):
    """Per-channel affine between raw and normalized latents, fitted after training."""

    def __init__(self, channels: int, dims: int):
        super().__init__()
        shape = (1, channels) + (1,) * dims
        self.register_buffer("mean", torch.zeros(shape))
        self.register_buffer("std", torch.ones(shape))

    def normalize(self, z):
        return (z - self.mean) / self.std

    def denormalize(self, z):
        return z * self.std + self.mean

    def fit(self, z):  # z: (B, C, ...) raw latents
        dims = [0] + list(range(2, z.dim()))
        self.mean.copy_(z.mean(dims, keepdim=True))
        self.std.copy_(z.std(dims, keepdim=True).clamp(min=1e-3))


class VideoEncoder(nn.Module):
    def __init__(self, cfg: VideoAEConfig, geo: Geometry):
        super().__init__()
        w = cfg.width
        self.net = nn.Sequential(
            nn.Conv3d(3, w // 2, 3, stride=(1, 2, 2), padding=1), nn.SiLU(),  # (T, H/2, W/2)
            nn.Conv3d(w // 2, w, 3, stride=(2, 2, 2), padding=1), nn.SiLU(),  # (T/2, H/4, W/4)
            nn.Conv3d(w, w, 3, stride=(1, 2, 2), padding=1), nn.SiLU(),  # (T/2, H/8, W/8)
            nn.Conv3d(w, w, 3, padding=1), nn.SiLU(),
            nn.Conv3d(w, geo.latent_channels, 1))
        self.norm = LatentNorm(geo.latent_channels, 3)

    def raw(self, frames):  # frames: (B, T, H, W, 3) in [0, 1]
        return self.net(frames.permute(0, 4, 1, 2, 3) * 2 - 1)  # (B, C, T/2, H/8, W/8)

    def forward(self, frames):
        return self.norm.normalize(self.raw(frames))


class ResBlock3d(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.conv1 = nn.Conv3d(width, width, 3, padding=1)
        self.conv2 = nn.Conv3d(width, width, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(F.silu(self.conv1(F.silu(x))))


class VideoDecoder(nn.Module):
    """Latent (B, C, T/2, H/8, W/8) -> frames (B, T, H, W, 3); ~1.7 GFLOP for 2 s at 64x64."""

    def __init__(self, cfg: VideoAEConfig, geo: Geometry):
        super().__init__()
        w = cfg.width
        self.norm = LatentNorm(geo.latent_channels, 3)
        self.inp = nn.Conv3d(geo.latent_channels, w, 3, padding=1)
        self.res_latent = ResBlock3d(w)
        self.to_time = nn.Conv3d(w, 2 * w, (3, 1, 1), padding=(1, 0, 0))  # 2x frames
        self.res_frames = ResBlock3d(w)  # mixes neighbouring frames: smooth motion, no stair steps
        self.up1 = nn.Conv3d(w, 4 * (w * 3 // 4), (1, 3, 3), padding=(0, 1, 1))  # -> H/4
        self.up2 = nn.Conv3d(w * 3 // 4, 4 * (w * 3 // 8), (1, 3, 3), padding=(0, 1, 1))  # -> H/2
        self.out = nn.Conv3d(w * 3 // 8, 4 * 3, (1, 3, 3), padding=(0, 1, 1))  # -> H

    def decode_raw(self, z):
        x = self.res_latent(self.inp(z))
        x = self.res_frames(depth_to_space(self.to_time(F.silu(x)), 2, 1))
        x = depth_to_space(self.up1(F.silu(x)), 1, 2)
        x = depth_to_space(self.up2(F.silu(x)), 1, 2)
        x = depth_to_space(self.out(F.silu(x)), 1, 2)  # (B, 3, T, H, W) in [-1, 1]
        return (x.permute(0, 2, 3, 4, 1) + 1) / 2

    def forward(self, latent):
        return self.decode_raw(self.norm.denormalize(latent)).clamp(0, 1)


class PreviewDecoder(nn.Module):
    """Tiny decoder (~40 MFLOP for 2 s): each latent cell paints its 2 frames x 8x8 pixels."""

    def __init__(self, geo: Geometry, width: int = 64):
        super().__init__()
        self.geo = geo
        rt, rs = geo.temporal_compression, geo.spatial_compression
        self.net = nn.Sequential(
            nn.Conv3d(geo.latent_channels, width, (1, 3, 3), padding=(0, 1, 1)), nn.SiLU(),
            nn.Conv3d(width, 3 * rt * rs * rs, 1))

    def forward(self, latent):  # latent: normalized (B, C, T', H', W')
        g = self.geo
        x = depth_to_space(self.net(latent), g.temporal_compression, g.spatial_compression)
        return ((x.permute(0, 2, 3, 4, 1) + 1) / 2).clamp(0, 1)
