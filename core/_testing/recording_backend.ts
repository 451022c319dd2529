/** Wraps a Backend and keeps every final video latent it decodes (test helper). */
import type {
  Backend,
  DenoiseBatch,
  ModelStats,
  TextEncoding,
  Velocity,
  VideoDecoder,
} from "../backend.ts";
import type { ClipGeometry } from "../geometry.ts";

/** Copies each of `rows` concatenated samples of `size` values out of `data`. */
export function splitRows(data: Float32Array, rows: number, size: number): Float32Array[] {
  return Array.from({ length: rows }, (_, r) => data.slice(r * size, (r + 1) * size));
}

/** Delegates everything to `inner`; `finals` holds the final latents in decode order. */
export class RecordingBackend implements Backend {
  readonly finals: Float32Array[] = [];
  readonly denoiseRows: number[] = [];
  #inner: Backend;

  constructor(inner: Backend) {
    this.#inner = inner;
  }

  get textLength(): number {
    return this.#inner.textLength;
  }

  get textDim(): number {
    return this.#inner.textDim;
  }

  encodeText(prompts: string[]): Promise<TextEncoding[]> {
    return this.#inner.encodeText(prompts);
  }

  denoise(batch: DenoiseBatch): Promise<Velocity> {
    this.denoiseRows.push(batch.rows);
    return this.#inner.denoise(batch);
  }

  decodeVideo(
    latents: Float32Array,
    rows: number,
    g: ClipGeometry,
    which: VideoDecoder,
  ): Promise<Float32Array> {
    if (which === "final") this.finals.push(...splitRows(latents, rows, g.videoSize));
    return this.#inner.decodeVideo(latents, rows, g, which);
  }

  decodeAudio(latents: Float32Array, rows: number, g: ClipGeometry): Promise<Float32Array> {
    return this.#inner.decodeAudio(latents, rows, g);
  }

  stats(): ModelStats {
    return this.#inner.stats();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
