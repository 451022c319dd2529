"""The sync head: puts the sound's clicks on the picture's wall hits.

The joint transformer learned what a clip sounds like but not when: its clicks fall
at chance against the wall hits (models/README.md), although its attention looks at
the right frames and a small conv net reads the hits off clean video latents (76 %
within a frame). This head is such a conv net inside the denoiser. It reads the
transformer's own estimate of the clean video (x0 = x - sigma v, the sharpest
picture there is at any noise level), turns each latent frame into features of the
video frames it holds, resamples them to the audio tokens' times, and corrects the
audio velocity from them and the transformer's last audio features. Its last layer
starts at zero: a trained denoiser given a fresh head is the denoiser it was.

Factorized (2-D convs per frame, then 1-D convs over time) because hit timing is a
per-frame place (the object against a wall) followed by a change over time (its
velocity flips), and onnxruntime's 2-D convolutions are faster than its 3-D ones.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from config import Geometry


class SyncHead(nn.Module):
    def __init__(self, geo: Geometry, width: int, channels: int = 64, frame_features: int = 32):
        super().__init__()
        self.frames_per_latent = geo.temporal_compression * geo.patch[0]
        self.picture = nn.Sequential(
            nn.Conv2d(geo.latent_channels, channels, 3, padding=1), nn.SiLU(),
            nn.Conv2d(channels, channels, 3, padding=1), nn.SiLU())
        self.over_time = nn.Sequential(
            nn.Conv1d(2 * channels, channels, 3, padding=1), nn.SiLU(),
            nn.Conv1d(channels, frame_features * self.frames_per_latent, 3, padding=1))
        self.to_audio = nn.Sequential(
            nn.Conv1d(width + frame_features, width, 3, padding=1), nn.SiLU(),
            nn.Conv1d(width, geo.audio_latent_channels, 3, padding=1))
        nn.init.zeros_(self.to_audio[-1].weight)
        nn.init.zeros_(self.to_audio[-1].bias)

    def frame_features(self, x0_video):
        """(B, C, T', H', W') clean-video latents -> (B, F, T' * frames per latent)."""
        b, c, t, h, w = x0_video.shape
        x = self.picture(x0_video.transpose(1, 2).reshape(b * t, c, h, w))  # every latent frame an image
        # Max: is anything against a wall anywhere; mean: the frame as a whole.
        pooled = torch.cat([x.amax(dim=(2, 3)), x.mean(dim=(2, 3))], dim=1).reshape(b, t, -1).transpose(1, 2)
        f = self.over_time(pooled)  # (B, F * k, T'): channel i * k + j is feature i of frame j of the latent
        k = self.frames_per_latent
        return f.reshape(b, -1, k, t).transpose(2, 3).reshape(b, f.shape[1] // k, t * k)

    def forward(self, x0_video, audio_hidden):
        """x0_video (B, C, T', H', W'), audio_hidden (B, Ta, D) -> the audio velocity's
        correction (B, Ca, Ta) and each video frame's logit of being a wall hit (B, frames):
        the first frame feature, which training also fits to the world's hits
        (train.flow_loss), so that the rest of the head has a schedule of clicks to follow
        from its first steps."""
        frames = self.frame_features(x0_video)
        # Linear resampling from the frame rate to the audio token rate (4-D: onnxruntime's
        # Resize interpolates linearly on 2-D images).
        at_audio = F.interpolate(frames[..., None], size=(audio_hidden.shape[1], 1), mode="bilinear",
                                 align_corners=False)[..., 0]
        return self.to_audio(torch.cat([audio_hidden.transpose(1, 2), at_audio], dim=1)), frames[:, 0]
