/**
 * A Backend made of exact math, for engine tests without a trained pack. The text
 * encoder maps a prompt to a number (its "target mean"); the denoiser is the exact
 * rectified-flow velocity for data N(target, 0.5^2) (gaussian_flow.ts), so prompts,
 * guidance, steers and seeds all change the result in a predictable way. Every call is
 * recorded, and optional delays stand in for model time.
 */
import {
  type Backend,
  type DenoiseBatch,
  type ModelStats,
  type PreviewSound,
  type RunOptions,
  StatsRecorder,
  type TextEncoding,
  type Velocity,
} from "../backend.ts";
import type { ClipGeometry } from "../geometry.ts";
import { type Rgb8Frames, toRgb8 } from "../media/frames.ts";
import { gaussianVelocity } from "./gaussian_flow.ts";
import { splitRows } from "./recording_backend.ts";

/** Milliseconds each kind of call waits before answering. */
export interface FakeDelays {
  denoise?: number;
  previewDecode?: number;
  finalDecode?: number;
  audioDecode?: number;
}

const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

/** A prompt's target mean: stable, different for different prompts, 0 for "". */
export function promptTarget(prompt: string): number {
  let h = 0;
  for (const ch of prompt) h = (h * 31 + ch.charCodeAt(0)) % 1000;
  return prompt === "" ? 0 : 0.5 + h / 1000;
}

/** The fake; `calls` lists every model call in order. */
export class FakeBackend implements Backend {
  readonly textLength = 4;
  readonly textDim = 2;
  readonly calls: {
    kind: string;
    rows: number;
    sigmas?: number[];
    /** A denoiser call's clip width (which shape it stepped). */
    width?: number;
    prompts?: string[];
    allCores?: boolean;
  }[] = [];
  /** Every final video latent decoded, in order. */
  readonly decodedFinal: Float32Array[] = [];
  delays: FakeDelays;
  #stats = new StatsRecorder();

  constructor(delays: FakeDelays = {}) {
    this.delays = delays;
  }

  encodeText(prompts: string[]): Promise<TextEncoding[]> {
    this.calls.push({ kind: "text", rows: prompts.length, prompts });
    return this.#stats.time("text_encoder", () =>
      Promise.resolve(prompts.map((p) => ({
        tokens: new Float32Array(this.textLength * this.textDim).fill(promptTarget(p)),
        mask: new Float32Array(this.textLength).fill(p === "" ? 0 : 1),
        pooled: Float32Array.of(promptTarget(p), 0),
      }))));
  }

  denoise(batch: DenoiseBatch, options: RunOptions = {}): Promise<Velocity> {
    this.calls.push({
      kind: "denoise",
      rows: batch.rows,
      sigmas: Array.from(batch.sigma),
      width: batch.geometry.width,
      allCores: options.allCores ?? false,
    });
    return this.#stats.time("denoiser", async () => {
      await sleep(this.delays.denoise ?? 0);
      const { videoSize, audioSize } = batch.geometry;
      const out = {
        video: new Float32Array(batch.video.length),
        audio: new Float32Array(batch.audio.length),
      };
      for (let r = 0; r < batch.rows; r++) {
        const data = {
          mu: Float32Array.of(batch.textPooled[r * this.textDim]!),
          s: Float32Array.of(0.5),
        };
        const t = batch.sigma[r]!;
        out.video.set(
          gaussianVelocity(data, batch.video.subarray(r * videoSize, (r + 1) * videoSize), t),
          r * videoSize,
        );
        out.audio.set(
          gaussianVelocity(data, batch.audio.subarray(r * audioSize, (r + 1) * audioSize), t),
          r * audioSize,
        );
      }
      return out;
    });
  }

  decodeVideo(
    latents: Float32Array,
    rows: number,
    g: ClipGeometry,
    options: RunOptions = {},
  ): Promise<Float32Array> {
    this.calls.push({ kind: "video_final", rows, allCores: options.allCores ?? false });
    this.decodedFinal.push(...splitRows(latents, rows, g.videoSize));
    return this.#stats.time("video_decoder", async () => {
      await sleep(this.delays.finalDecode ?? 0);
      return fakeFrames(latents, rows, g);
    });
  }

  decodeAudio(latents: Float32Array, rows: number, g: ClipGeometry): Promise<Float32Array> {
    this.calls.push({ kind: "audio", rows });
    return this.#stats.time("audio_decoder", async () => {
      await sleep(this.delays.audioDecode ?? 0);
      return fakeWaveforms(latents, rows, g, g.samples);
    });
  }

  previewFrames(latent: Float32Array, g: ClipGeometry): Promise<Rgb8Frames> {
    this.calls.push({ kind: "video_preview", rows: 1 });
    return this.#stats.time("preview_decoder", async () => {
      await sleep(this.delays.previewDecode ?? 0);
      return toRgb8(fakeFrames(latent, 1, g), g.frames, g.width, g.height);
    });
  }

  /** Like the default pack's: the final sound at half its rate. */
  previewSound(latent: Float32Array, g: ClipGeometry): Promise<PreviewSound> {
    this.calls.push({ kind: "audio_preview", rows: 1 });
    return this.#stats.time("audio_preview_decoder", async () => {
      await sleep(this.delays.audioDecode ?? 0);
      return { samples: fakeWaveforms(latent, 1, g, g.samples / 2), sampleRate: g.sampleRate / 2 };
    });
  }

  /** How many calls of `kind` were made. */
  count(kind: string): number {
    return this.calls.filter((c) => c.kind === kind).length;
  }

  stats(): ModelStats {
    return this.#stats.snapshot();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Nearest upsampling of latent channel 0, grey around 0.5: [rows, T, H, W, 3]. */
function fakeFrames(latents: Float32Array, rows: number, g: ClipGeometry): Float32Array {
  const [, tv, hv, wv] = g.video;
  const perRow = g.frames * g.height * g.width * 3;
  const frames = new Float32Array(rows * perRow);
  for (let i = 0; i < frames.length; i++) {
    const r = Math.floor(i / perRow), p = Math.floor((i % perRow) / 3);
    const x = p % g.width, y = Math.floor(p / g.width) % g.height;
    const t = Math.floor(p / (g.width * g.height));
    const lt = Math.floor((t * tv) / g.frames), ly = Math.floor((y * hv) / g.height);
    const lx = Math.floor((x * wv) / g.width);
    frames[i] = 0.5 + 0.2 * latents[r * g.videoSize + (lt * hv + ly) * wv + lx]!;
  }
  return frames;
}

/** A sine shaped by each audio latent step, `samples` a row: [rows, samples]. */
function fakeWaveforms(
  latents: Float32Array,
  rows: number,
  g: ClipGeometry,
  samples: number,
): Float32Array {
  const [, ta] = g.audio;
  return Float32Array.from({ length: rows * samples }, (_, i) => {
    const r = Math.floor(i / samples), s = i % samples;
    return 0.1 * latents[r * g.audioSize + Math.floor((s * ta) / samples)]! * Math.sin(s / 5);
  });
}
