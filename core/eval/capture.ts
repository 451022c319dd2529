/**
 * A Backend wrapper that keeps what the engine decodes at the end of a job: the final
 * latents going in and the frames and waveform coming out. The eval scores exactly
 * what the decoders produced (no MP4 round trip), and the parity test compares the
 * latents with PyTorch's.
 */
import { DelegatingBackend } from "../backend.ts";
import type { ClipGeometry } from "../geometry.ts";

/** Keeps the last final decode. Run one job at a time (rows = 1). */
export class CapturingBackend extends DelegatingBackend {
  videoLatent?: Float32Array;
  audioLatent?: Float32Array;
  /** (T, H, W, 3) in [0, 1]. */
  frames?: Float32Array;
  waveform?: Float32Array;

  override async decodeVideo(
    latents: Float32Array,
    rows: number,
    geometry: ClipGeometry,
  ): Promise<Float32Array> {
    const frames = await this.inner.decodeVideo(latents, rows, geometry);
    Object.assign(this, { videoLatent: latents.slice(), frames });
    return frames;
  }

  override async decodeAudio(
    latents: Float32Array,
    rows: number,
    geometry: ClipGeometry,
  ): Promise<Float32Array> {
    const waveform = await this.inner.decodeAudio(latents, rows, geometry);
    Object.assign(this, { audioLatent: latents.slice(), waveform });
    return waveform;
  }
}
