/**
 * The latent geometry of one clip, derived from the pack and the request's size and
 * length (models/PACK.md, "Geometry"). Jobs with equal `key` can share a model call.
 */
import { InvalidRequestError, quote } from "./errors.ts";
import type { Manifest } from "./pack/manifest.ts";

/** Sizes and latent shapes of one clip. Shapes exclude the batch axis. */
export interface ClipGeometry {
  width: number;
  height: number;
  seconds: number;
  fps: number;
  /** Video frames, `seconds * fps`. */
  frames: number;
  sampleRate: number;
  /** Audio samples, `seconds * sample_rate`. */
  samples: number;
  /** [Cv, Tv, Hv, Wv] */
  video: [number, number, number, number];
  /** [Ca, Ta] */
  audio: [number, number];
  /** Elements of the video latent, then of the audio latent. */
  videoSize: number;
  audioSize: number;
  /** Transformer tokens: video cubes plus audio latent steps (drives dynamic shift). */
  tokens: number;
  /** Equal keys mean equal latent shapes, so the jobs can batch. */
  key: string;
}

/**
 * The largest side and length the engine accepts; the pack's `max_tokens` bounds their
 * product (one job's attention memory).
 */
export const LIMITS = { maxSide: 1024, maxSeconds: 60 } as const;

function whole(value: number): boolean {
  return Math.abs(value - Math.round(value)) < 1e-9;
}

/**
 * Computes the latent shapes; throws InvalidRequestError when the size or length does
 * not divide into whole latents.
 */
export function clipGeometry(
  m: Manifest,
  width: number,
  height: number,
  seconds: number,
): ClipGeometry {
  const fail = (why: string) => {
    throw new InvalidRequestError(`Cannot start job: ${why}`);
  };
  const [pt, ph, pw] = m.video.patch;
  const sc = m.video.spatial_compression, tc = m.video.temporal_compression;
  for (
    const [name, value, unit] of [["width", width, sc * pw], ["height", height, sc * ph]] as const
  ) {
    if (!Number.isInteger(value) || value < unit || value > LIMITS.maxSide) {
      fail(`${name} ${quote(value)} is not a whole number from ${unit} to ${LIMITS.maxSide}`);
    }
    if (value % unit !== 0) fail(`${name} ${value} is not a multiple of ${unit}`);
  }
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > LIMITS.maxSeconds) {
    fail(`seconds ${quote(seconds)} is not between 0 and ${LIMITS.maxSeconds}`);
  }
  const frames = seconds * m.video.fps;
  const latentSteps = seconds * m.audio.latent_rate;
  const samples = seconds * m.audio.sample_rate;
  if (!whole(frames) || Math.round(frames) % (tc * pt) !== 0) {
    fail(`seconds ${seconds} gives ${+frames.toFixed(6)} frames, not a multiple of ${tc * pt}`);
  }
  if (!whole(latentSteps) || !whole(samples)) {
    fail(`seconds ${seconds} is not a whole number of audio latent steps`);
  }
  const video: ClipGeometry["video"] = [
    m.video.latent_channels,
    Math.round(frames) / tc,
    height / sc,
    width / sc,
  ];
  const audio: ClipGeometry["audio"] = [m.audio.latent_channels, Math.round(latentSteps)];
  const tokens = (video[1] / pt) * (video[2] / ph) * (video[3] / pw) + audio[1];
  if (tokens > m.max_tokens) {
    fail(
      `${width}x${height} for ${seconds} s is ${tokens} tokens, more than this pack's ${m.max_tokens}`,
    );
  }
  return {
    width,
    height,
    seconds,
    fps: m.video.fps,
    frames: Math.round(frames),
    sampleRate: m.audio.sample_rate,
    samples: Math.round(samples),
    video,
    audio,
    videoSize: video.reduce((a, b) => a * b, 1),
    audioSize: audio[0] * audio[1],
    tokens,
    key: `${video.join("x")}|${audio.join("x")}`,
  };
}
