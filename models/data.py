"""Batches of world clips as tensors, for every training stage."""
import multiprocessing
import os
import random
import time
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


def _render_arrays(scene: world.Scene) -> tuple:
    frames, audio, _ = world.render(scene)
    return frames, audio


class ClipBank:
    """Clips rendered once, grouped by "bucket:seconds", that every stage samples from.

    NumPy renders a clip in ~7 ms: one process rendering batches on the fly left a
    GPU idle most of the time, so the bank renders in parallel up front. The scenes
    exclude the held-out triples, so the denoiser never sees them.
    """

    def __init__(self, groups: dict):
        self.groups = groups  # key -> {"frames": uint8 (N, T, H, W, 3), "audio": (N, S), "scenes": [Scene]}

    @staticmethod
    def render(rng: random.Random, count: int, long_fraction: float, log=print) -> "ClipBank":
        scenes: dict = {}
        for _ in range(count):
            bucket, seconds = random_shape(rng, long_fraction)
            scenes.setdefault(f"{bucket}:{seconds}", []).append(
                world.random_scene(rng, heldout=False, bucket=bucket, seconds=seconds))
        t0, groups = time.time(), {}
        workers = max(1, (os.cpu_count() or 2) - 1)
        # fork: workers need only NumPy and world.py; train.py renders before CUDA starts.
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for key in sorted(scenes):
                rendered = pool.map(_render_arrays, scenes[key], chunksize=32)
                groups[key] = {"frames": torch.from_numpy(np.stack([r[0] for r in rendered])),
                               "audio": torch.from_numpy(np.stack([r[1] for r in rendered])),
                               "scenes": scenes[key]}
        log(f"bank: {count} clips in {time.time() - t0:.0f}s on {workers} processes")
        return ClipBank(groups)

    def to(self, device) -> "ClipBank":
        for g in self.groups.values():
            g["frames"], g["audio"] = g["frames"].to(device), g["audio"].to(device)
        return self

    def keys(self, seconds: int | None = None) -> list:
        return [k for k in sorted(self.groups) if seconds is None or k.endswith(f":{seconds}")]

    def batch(self, rng: random.Random, count: int, key: str) -> Batch:
        g = self.groups[key]
        idx = [rng.randrange(len(g["scenes"])) for _ in range(count)]
        index = torch.tensor(idx, device=g["frames"].device)
        scenes = [g["scenes"][i] for i in idx]
        return Batch(g["frames"][index].float() / 255.0, g["audio"][index], [world.caption(s, rng) for s in scenes],
                     scenes)

    def random_batch(self, rng: random.Random, count: int, seconds: int = 2) -> Batch:
        """A batch of one random group with clips of `seconds`, square twice as often as the others."""
        keys = self.keys(seconds)
        return self.batch(rng, count, rng.choices(keys, [len(self.groups[k]["scenes"]) for k in keys])[0])


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
