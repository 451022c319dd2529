"""Batches of world clips as tensors, for every training stage."""
import random
from dataclasses import dataclass

import numpy as np
import torch

import world


@dataclass
class Batch:
    frames: torch.Tensor  # (B, T, H, W, 3) float in [0, 1]
    audio: torch.Tensor  # (B, S) float in [-1, 1]
    captions: list
    scenes: list


def render_batch(rng: random.Random, count: int, bucket: str, seconds: int, heldout=False) -> Batch:
    scenes = [world.random_scene(rng, heldout=heldout, bucket=bucket, seconds=seconds) for _ in range(count)]
    rendered = [world.render(s) for s in scenes]
    frames = torch.from_numpy(np.stack([r[0] for r in rendered])).float() / 255.0
    audio = torch.from_numpy(np.stack([r[1] for r in rendered]))
    return Batch(frames, audio, [world.caption(s, rng) for s in scenes], scenes)


def random_shape(rng: random.Random, long_fraction: float) -> tuple[str, int]:
    """A (bucket, seconds) pair; square clips twice as often, as users ask for them most."""
    bucket = rng.choice(("square", "square", "landscape", "portrait"))
    return bucket, (4 if rng.random() < long_fraction else 2)


def attribute_targets(scenes: list) -> dict:
    """name -> (B,) class indices, in the order of world.ATTRIBUTES."""
    return {k: torch.tensor([values.index(getattr(s, k)) for s in scenes])
            for k, values in world.ATTRIBUTES.items()}


def random_captions(rng: random.Random, count: int) -> tuple[list, list]:
    scenes = [world.random_scene(rng, heldout=False) for _ in range(count)]
    return [world.caption(s, rng) for s in scenes], scenes
