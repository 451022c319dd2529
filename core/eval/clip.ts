/** The in-memory clip the scorer works on, from a folder or straight from the engine. */
import type { Attributes } from "./world.ts";

/**
 * One clip and the prompt attributes it was asked to show.
 *
 * @example
 * ```ts
 * const clip: Clip = {
 *   frames, width: 64, height: 64, fps: 12, waveform, sampleRate: 16000,
 *   attributes: { shape: "circle", color: "red", size: "small", background: "gray",
 *     motion: "bounce", pitch: "low" },
 *   heldout: false,
 * };
 * ```
 */
export interface Clip {
  /** A name for tables and errors (the folder name when read from disk). */
  id?: string;
  /** uint8 RGB, frame-major: (T, H, W, 3). */
  frames: Uint8Array;
  width: number;
  height: number;
  fps: number;
  /** Mono float PCM in [-1, 1]. */
  waveform: Float32Array;
  sampleRate: number;
  /** What the prompt asked for. */
  attributes: Attributes;
  /** Whether the prompt's shape x color x motion was held out of training. */
  heldout: boolean;
  /** Ground-truth hit frames, when the clip comes from models/world.py. */
  hits?: number[];
}

/** Number of video frames in a clip. */
export function frameCount(clip: Clip): number {
  return Math.floor(clip.frames.length / (clip.width * clip.height * 3));
}

/** The bytes of frame `t`: (H, W, 3), a view, not a copy. */
export function frameAt(clip: Clip, t: number): Uint8Array {
  const size = clip.width * clip.height * 3;
  return clip.frames.subarray(t * size, (t + 1) * size);
}
