/**
 * The narrow interface between the step loop and the models. The engine never touches
 * ONNX directly: `pack/onnx_backend.ts` implements this with onnxruntime sessions, and
 * tests implement it with exact math, so batching, cancel and steer are testable
 * without a trained pack.
 */
import type { ClipGeometry } from "./geometry.ts";
import type { Rgb8Frames } from "./media/frames.ts";

/** One prompt's text encoding (batch axis dropped). */
export interface TextEncoding {
  /** [L, D] */
  tokens: Float32Array;
  /** [L], 1 for a real token, 0 for padding. */
  mask: Float32Array;
  /** [D] */
  pooled: Float32Array;
}

/** One batched denoiser call: `rows` samples of the same geometry, concatenated. */
export interface DenoiseBatch {
  geometry: ClipGeometry;
  rows: number;
  /** [rows, Cv, Tv, Hv, Wv] */
  video: Float32Array;
  /** [rows, Ca, Ta] */
  audio: Float32Array;
  /** [rows] */
  sigma: Float32Array;
  /** [rows, L, D] */
  textTokens: Float32Array;
  /** [rows, L] */
  textMask: Float32Array;
  /** [rows, D] */
  textPooled: Float32Array;
}

/** The denoiser's prediction for a batch, laid out like its inputs. */
export interface Velocity {
  video: Float32Array;
  audio: Float32Array;
}

/**
 * One clip's preview sound: mono samples at the rate the pack's preview decoder makes,
 * which may be below the final audio's (the default pack's is half of it).
 */
export interface PreviewSound {
  samples: Float32Array;
  sampleRate: number;
}

/** Time spent inside model calls, by component; the bench divides wall time by it. */
export interface ModelStats {
  calls: number;
  ms: number;
  byComponent: Record<string, { calls: number; ms: number }>;
}

/** How one model call may run. */
export interface RunOptions {
  /**
   * Nothing else computes now (no preview in flight), so the call may use every core;
   * a backend without a wider session ignores it.
   */
  allCores?: boolean;
}

/** What the engine needs from a model pack. */
export interface Backend {
  /** Token count L every encoding is padded to. */
  readonly textLength: number;
  /** Width D of a text token. */
  readonly textDim: number;
  /** Encodes several prompts in one call. */
  encodeText(prompts: string[]): Promise<TextEncoding[]>;
  denoise(batch: DenoiseBatch, options?: RunOptions): Promise<Velocity>;
  /**
   * `rows` video latents, concatenated, to the outputs' frames [rows, T, H, W, 3] in
   * [0, 1]. Jobs that finish on the same step decode in one call.
   */
  decodeVideo(
    latents: Float32Array,
    rows: number,
    geometry: ClipGeometry,
    options?: RunOptions,
  ): Promise<Float32Array>;
  /** `rows` audio latents, concatenated, to the outputs' mono waveforms [rows, S]. */
  decodeAudio(latents: Float32Array, rows: number, geometry: ClipGeometry): Promise<Float32Array>;
  /** One clip's video latent to its preview frames (the pack's tiny decoder). */
  previewFrames(latent: Float32Array, geometry: ClipGeometry): Promise<Rgb8Frames>;
  /** One clip's audio latent to its preview sound. */
  previewSound(latent: Float32Array, geometry: ClipGeometry): Promise<PreviewSound>;
  /** Cumulative since creation; copy it to diff. */
  stats(): ModelStats;
  close(): Promise<void>;
}

/** Counts calls and milliseconds per component; shared by every Backend. */
export class StatsRecorder {
  #stats: ModelStats = { calls: 0, ms: 0, byComponent: {} };

  /** Times `work` under `component`, counting it even when it throws. */
  async time<T>(component: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      const ms = performance.now() - start;
      const entry = (this.#stats.byComponent[component] ??= { calls: 0, ms: 0 });
      entry.calls++;
      entry.ms += ms;
      this.#stats.calls++;
      this.#stats.ms += ms;
    }
  }

  /** A deep copy of the totals. */
  snapshot(): ModelStats {
    return structuredClone(this.#stats);
  }
}

/** `a` plus `b`, with `b`'s components renamed `prefix + name`. */
export function mergeStats(a: ModelStats, b: ModelStats, prefix: string): ModelStats {
  const out = structuredClone(a);
  for (const [name, entry] of Object.entries(b.byComponent)) {
    out.byComponent[prefix + name] = { ...entry };
    out.calls += entry.calls;
    out.ms += entry.ms;
  }
  return out;
}

/**
 * A Backend that hands every call to `inner`; subclasses override the calls they
 * watch (test recorders, the eval's capture of final decodes).
 */
export class DelegatingBackend implements Backend {
  protected readonly inner: Backend;

  constructor(inner: Backend) {
    this.inner = inner;
  }

  get textLength(): number {
    return this.inner.textLength;
  }

  get textDim(): number {
    return this.inner.textDim;
  }

  encodeText(prompts: string[]): Promise<TextEncoding[]> {
    return this.inner.encodeText(prompts);
  }

  denoise(batch: DenoiseBatch, options?: RunOptions): Promise<Velocity> {
    return this.inner.denoise(batch, options);
  }

  decodeVideo(
    latents: Float32Array,
    rows: number,
    geometry: ClipGeometry,
    options?: RunOptions,
  ): Promise<Float32Array> {
    return this.inner.decodeVideo(latents, rows, geometry, options);
  }

  decodeAudio(latents: Float32Array, rows: number, geometry: ClipGeometry): Promise<Float32Array> {
    return this.inner.decodeAudio(latents, rows, geometry);
  }

  previewFrames(latent: Float32Array, geometry: ClipGeometry): Promise<Rgb8Frames> {
    return this.inner.previewFrames(latent, geometry);
  }

  previewSound(latent: Float32Array, geometry: ClipGeometry): Promise<PreviewSound> {
    return this.inner.previewSound(latent, geometry);
  }

  stats(): ModelStats {
    return this.inner.stats();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
