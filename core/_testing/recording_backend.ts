/** Wraps a Backend and keeps every final video latent it decodes (test helper). */
import { DelegatingBackend, type DenoiseBatch, type Velocity } from "../backend.ts";
import type { ClipGeometry } from "../geometry.ts";

/** Copies each of `rows` concatenated samples of `size` values out of `data`. */
export function splitRows(data: Float32Array, rows: number, size: number): Float32Array[] {
  return Array.from({ length: rows }, (_, r) => data.slice(r * size, (r + 1) * size));
}

/** Delegates everything to `inner`; `finals` holds the final latents in decode order. */
export class RecordingBackend extends DelegatingBackend {
  readonly finals: Float32Array[] = [];
  readonly denoiseRows: number[] = [];

  override denoise(batch: DenoiseBatch): Promise<Velocity> {
    this.denoiseRows.push(batch.rows);
    return this.inner.denoise(batch);
  }

  override decodeVideo(
    latents: Float32Array,
    rows: number,
    g: ClipGeometry,
  ): Promise<Float32Array> {
    this.finals.push(...splitRows(latents, rows, g.videoSize));
    return this.inner.decodeVideo(latents, rows, g);
  }
}
