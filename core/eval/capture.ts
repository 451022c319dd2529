/**
 * A Backend wrapper that keeps what the engine decodes at the end of a job: the final
 * latents going in and the frames and waveform coming out. The eval scores exactly
 * what the decoders produced (no MP4 round trip), and the parity test compares the
 * latents with PyTorch's.
 */
import type { Backend } from "../backend.ts";

/** The last final decode seen. Run one job at a time (rows = 1) with previews off:
 * preview decodes of audio look the same as the final one to a backend. */
export interface Captured {
  videoLatent?: Float32Array;
  audioLatent?: Float32Array;
  /** (T, H, W, 3) in [0, 1]. */
  frames?: Float32Array;
  waveform?: Float32Array;
}

/** Wraps `inner`; `captured` is overwritten by every final decode. */
export function captureFinalDecodes(inner: Backend): { backend: Backend; captured: Captured } {
  const captured: Captured = {};
  const backend: Backend = {
    textLength: inner.textLength,
    textDim: inner.textDim,
    encodeText: (prompts) => inner.encodeText(prompts),
    denoise: (batch) => inner.denoise(batch),
    decodeVideo: async (latents, rows, geometry, which) => {
      const frames = await inner.decodeVideo(latents, rows, geometry, which);
      if (which === "final") Object.assign(captured, { videoLatent: latents.slice(), frames });
      return frames;
    },
    decodeAudio: async (latents, rows, geometry) => {
      const waveform = await inner.decodeAudio(latents, rows, geometry);
      Object.assign(captured, { audioLatent: latents.slice(), waveform });
      return waveform;
    },
    stats: () => inner.stats(),
    close: () => inner.close(),
  };
  return { backend, captured };
}
