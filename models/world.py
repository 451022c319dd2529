"""The synthetic audio-visual world the default pack is trained on.

One flat shape moves over a flat background; a tone names its pitch and a click
sounds at the exact frame the shape hits a wall. models/WORLD.md is the contract
with the TypeScript scorer (core/eval/), so every number here is written there too.

Write the scorer's ground-truth fixtures:
    /usr/bin/python3 models/world.py --fixtures tests/_fixtures/clips --count 36
"""
import argparse
import gzip
import json
import math
import os
import random
import wave
from dataclasses import dataclass

import numpy as np

FPS = 12
SAMPLE_RATE = 16000
SIZES = {"square": (64, 64), "landscape": (96, 64), "portrait": (64, 96)}  # name -> (W, H)
DURATIONS = (2, 4)  # seconds

BACKGROUNDS = {"black": (15, 15, 15), "white": (240, 240, 240), "gray": (128, 128, 128),
               "brown": (110, 70, 40)}
COLORS = {"red": (220, 40, 40), "orange": (245, 140, 20), "yellow": (235, 220, 40),
          "green": (40, 180, 60), "blue": (40, 80, 230), "purple": (150, 60, 200)}
SHAPES = ("circle", "square", "triangle")
SIZE_NAMES = ("small", "large")
SIZE_FRACTION = {"small": 0.12, "large": 0.2}  # radius as a fraction of min(W, H)
MOTIONS = ("left", "right", "up", "down", "bounce")
PITCHES = ("low", "high", "none")
PITCH_HZ = {"low": 250.0, "high": 1500.0}
ATTRIBUTES = {"shape": SHAPES, "color": tuple(COLORS), "size": SIZE_NAMES,
              "background": tuple(BACKGROUNDS), "motion": MOTIONS, "pitch": PITCHES}


def heldout_combinations(fraction: float = 0.1, seed: int = 1234) -> list:
    """Shape x color x motion triples that never appear in training (>= `fraction`).

    Chosen so every pair inside a held-out triple still appears in training: the
    model must compose known words, not meet a word for the first time.
    """
    rng = random.Random(seed)
    triples = [(s, c, m) for s in SHAPES for c in COLORS for m in MOTIONS]
    rng.shuffle(triples)
    want = math.ceil(fraction * len(triples))
    chosen = []
    used_pairs = set()
    for s, c, m in triples:
        pairs = {("sc", s, c), ("sm", s, m), ("cm", c, m)}
        if pairs & used_pairs:
            continue  # keep each pair seen in training through the other triples
        chosen.append({"shape": s, "color": c, "motion": m})
        used_pairs |= pairs
        if len(chosen) == want:
            break
    return chosen


HELDOUT = heldout_combinations()
_HELDOUT_KEYS = {(h["shape"], h["color"], h["motion"]) for h in HELDOUT}


def is_heldout(attrs: dict) -> bool:
    return (attrs["shape"], attrs["color"], attrs["motion"]) in _HELDOUT_KEYS


@dataclass
class Scene:
    """Everything that decides one clip."""
    shape: str
    color: str
    size: str
    background: str
    motion: str
    pitch: str
    bucket: str  # key of SIZES
    seconds: int
    seed: int  # start position, bounce velocity, caption wording

    def attributes(self) -> dict:
        return {k: getattr(self, k) for k in ATTRIBUTES}


def random_scene(rng: random.Random, heldout: bool | None = False, bucket=None, seconds=None) -> Scene:
    """A scene drawn uniformly; `heldout` False excludes held-out triples, True forces one."""
    while True:
        attrs = {k: rng.choice(v) for k, v in ATTRIBUTES.items()}
        if heldout is True:
            attrs.update(rng.choice(HELDOUT))
        if heldout is False and is_heldout(attrs):
            continue
        return Scene(**attrs, bucket=bucket or rng.choice(tuple(SIZES)),
                     seconds=seconds or rng.choice(DURATIONS), seed=rng.randrange(2**31))


def trajectory(scene: Scene) -> tuple[np.ndarray, list[int], float]:
    """Centre positions (T, 2) in pixels, the hit frames, and the radius."""
    width, height = SIZES[scene.bucket]
    radius = SIZE_FRACTION[scene.size] * min(width, height)
    frames = scene.seconds * FPS
    rng = np.random.default_rng(scene.seed)
    lo = np.array([radius, radius])
    hi = np.array([width - 1 - radius, height - 1 - radius])
    free = hi - lo  # (2,) free range of the centre in x, y
    hits: list[int] = []
    if scene.motion == "bounce":
        speed = rng.uniform(0.6, 0.9, size=2) * free / FPS  # px per frame, per axis
        velocity = speed * rng.choice([-1.0, 1.0], size=2)
        pos = lo + rng.uniform(0.1, 0.9, size=2) * free
        track = [pos.copy()]
        for i in range(1, frames):
            pos = pos + velocity
            hit = False
            for axis in range(2):
                if pos[axis] <= lo[axis] or pos[axis] >= hi[axis]:
                    pos[axis] = lo[axis] if pos[axis] <= lo[axis] else hi[axis]
                    velocity[axis] = -velocity[axis]
                    hit = True
            if hit:
                hits.append(i)
            track.append(pos.copy())
        return np.stack(track), hits, radius
    axis, sign = {"left": (0, -1), "right": (0, 1), "up": (1, -1), "down": (1, 1)}[scene.motion]
    travel = 0.55 * free[axis]
    start = lo.copy() + rng.uniform(0.05, 0.95, size=2) * free
    start[axis] = (lo[axis] + 0.5 * (free[axis] - travel) + rng.uniform(-0.2, 0.2) * (free[axis] - travel)
                   + (0 if sign > 0 else travel))
    t = np.arange(frames) / max(frames - 1, 1)
    track = np.repeat(start[None], frames, axis=0)
    track[:, axis] = start[axis] + sign * travel * t
    return track, hits, radius


def shape_mask(shape: str, cx: float, cy: float, radius: float, width: int, height: int) -> np.ndarray:
    """Boolean (H, W) mask of the shape centred at (cx, cy), sampled at pixel centres."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    dx, dy = xs - cx, ys - cy
    if shape == "circle":
        return dx * dx + dy * dy <= radius * radius
    if shape == "square":
        return (np.abs(dx) <= radius) & (np.abs(dy) <= radius)
    # Apex up at cy - r, base at cy + r: half width grows linearly from 0 to r.
    inside_y = (dy >= -radius) & (dy <= radius)
    half = (dy + radius) / 2.0
    return inside_y & (np.abs(dx) <= half)


def render_video(scene: Scene) -> tuple[np.ndarray, list[int]]:
    """uint8 frames (T, H, W, 3) and the hit frame indices."""
    width, height = SIZES[scene.bucket]
    track, hits, radius = trajectory(scene)
    frames = np.empty((len(track), height, width, 3), dtype=np.uint8)
    bg = np.array(BACKGROUNDS[scene.background], dtype=np.uint8)
    fg = np.array(COLORS[scene.color], dtype=np.uint8)
    for i, (cx, cy) in enumerate(track):
        frames[i] = bg
        frames[i][shape_mask(scene.shape, cx, cy, radius, width, height)] = fg
    return frames, hits


def render_audio(scene: Scene, hits: list[int]) -> np.ndarray:
    """float32 mono waveform: the tone plus a click at every hit frame."""
    samples = scene.seconds * SAMPLE_RATE
    t = np.arange(samples) / SAMPLE_RATE
    rng = np.random.default_rng(scene.seed + 1)
    wave_ = np.zeros(samples, dtype=np.float32)
    if scene.pitch != "none":
        phase = rng.uniform(0, 2 * math.pi)
        wave_ += 0.3 * np.sin(2 * math.pi * PITCH_HZ[scene.pitch] * t + phase).astype(np.float32)
    click_len = int(0.015 * SAMPLE_RATE)
    envelope = np.exp(-np.arange(click_len) / (0.003 * SAMPLE_RATE))
    for frame in hits:
        start = int(round(frame / FPS * SAMPLE_RATE))
        end = min(start + click_len, samples)
        wave_[start:end] += (0.8 * envelope[: end - start] * rng.uniform(-1, 1, end - start)).astype(np.float32)
    return np.clip(wave_, -1, 1)


def render(scene: Scene) -> tuple[np.ndarray, np.ndarray, list[int]]:
    frames, hits = render_video(scene)
    return frames, render_audio(scene, hits), hits


# ---------------------------------------------------------------- captions

SYNONYMS = {
    "circle": ["circle", "ball", "disc", "round dot"],
    "square": ["square", "box", "block", "cube"],
    "triangle": ["triangle", "wedge", "pyramid"],
    "small": ["small", "little", "tiny"],
    "large": ["large", "big", "huge"],
    "left": ["moves left", "slides to the left", "drifts leftward", "travels left"],
    "right": ["moves right", "slides to the right", "drifts rightward", "travels right"],
    "up": ["moves up", "rises", "floats upward", "climbs"],
    "down": ["moves down", "falls", "sinks downward", "drops"],
    "bounce": ["bounces off the walls", "bounces around", "ricochets around the room",
               "bounces, a click at every bounce"],
    "low": ["with a low hum", "humming low", "with a deep hum", "with a low tone"],
    "high": ["with a high whistle", "whistling high", "with a high pitched tone", "with a shrill whistle"],
    "none": ["in silence", "silently", "with no tone", "without a sound"],
    "bg": ["on a {} background", "against {}", "in a {} room", "over {}"],
}
TEMPLATES = [
    "a {size} {color} {shape} {motion} {bg}, {pitch}",
    "{bg}, a {color} {shape}, {size}, {motion} {pitch}",
    "{pitch}, a {size} {color} {shape} {motion} {bg}",
    "the {color} {shape} {motion} {bg} {pitch}; it is {size}",
    "{size} {shape}, {color}, {motion}, {bg}, {pitch}",
]


def caption(scene: Scene, rng: random.Random) -> str:
    pick = lambda key: rng.choice(SYNONYMS[key])  # noqa: E731
    text = rng.choice(TEMPLATES).format(
        size=pick(scene.size), color=scene.color, shape=pick(scene.shape), motion=pick(scene.motion),
        bg=pick("bg").format(scene.background), pitch=pick(scene.pitch))
    return " ".join(text.split())


def vocabulary() -> list[str]:
    """Every word a caption can use (the tokenizer splits on whitespace and punctuation)."""
    words = set(COLORS) | set(BACKGROUNDS) | {"a", "the", "it", "is"}
    for key, phrases in SYNONYMS.items():
        for phrase in phrases:
            words |= set(phrase.replace("{}", " ").replace(",", " ").split())
    for template in TEMPLATES:
        for token in template.replace(",", " ").replace(";", " ").split():
            if not token.startswith("{"):
                words.add(token)
    return sorted(words)


# ---------------------------------------------------------------- clip folders

def write_clip(folder: str, scene: Scene, frames: np.ndarray, audio: np.ndarray, prompt: str,
               hits: list[int] | None = None) -> None:
    """One clip folder in the format of WORLD.md (what `deno task eval --clips` reads)."""
    os.makedirs(folder, exist_ok=True)
    height, width = frames.shape[1:3]
    meta = {"prompt": prompt, "attributes": scene.attributes(), "width": int(width), "height": int(height),
            "fps": FPS, "frames": int(frames.shape[0]), "sample_rate": SAMPLE_RATE,
            "heldout": is_heldout(scene.attributes()), "seconds": scene.seconds, "bucket": scene.bucket}
    if hits is not None:
        meta["hits"] = hits
    with open(os.path.join(folder, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    with gzip.open(os.path.join(folder, "frames.rgb.gz"), "wb", compresslevel=9) as f:
        f.write(np.ascontiguousarray(frames, dtype=np.uint8).tobytes())
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2")
    with wave.open(os.path.join(folder, "audio.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.tobytes())


def fixture_scenes(count: int, seed: int = 7) -> list[Scene]:
    """Walks every value of every attribute, every bucket and duration; every sixth is held out."""
    rng = random.Random(seed)
    scenes = []
    for i in range(count):
        attrs = {key: values[i % len(values)] for key, values in ATTRIBUTES.items()}
        if i % 6 == 5:
            attrs.update(HELDOUT[(i // 6) % len(HELDOUT)])
        scenes.append(Scene(**attrs, bucket=tuple(SIZES)[(i // 2) % 3], seconds=DURATIONS[i % 2],
                            seed=rng.randrange(2**31)))
    return scenes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixtures", required=True, help="folder to write ground-truth clips into")
    parser.add_argument("--count", type=int, default=36)
    args = parser.parse_args()
    rng = random.Random(99)
    for i, scene in enumerate(fixture_scenes(args.count)):
        frames, audio, hits = render(scene)
        write_clip(os.path.join(args.fixtures, f"clip{i:03d}"), scene, frames, audio, caption(scene, rng), hits)
    print(f"wrote {args.count} clips to {args.fixtures}")


if __name__ == "__main__":
    main()
