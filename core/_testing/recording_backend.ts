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

  decodeVideo(latent: Float32Array, g: ClipGeometry, which: VideoDecoder): Promise<Float32Array> {
    if (which === "final") this.finals.push(latent.slice());
    return this.#inner.decodeVideo(latent, g, which);
  }

  decodeAudio(latent: Float32Array, g: ClipGeometry): Promise<Float32Array> {
    return this.#inner.decodeAudio(latent, g);
  }

  stats(): ModelStats {
    return this.#inner.stats();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
