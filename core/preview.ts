/**
 * Renders a preview of a job's predicted clean sample x0: every video frame, encoded
 * small, and the decoded audio, as two parts. Two ways to get frames:
 * - "decoder": the pack's tiny preview decoder (TAEHV-like, sharp and cheap);
 * - "linear": the manifest's latent->RGB map, per latent pixel, upscaled nearest and
 *   repeated over the temporal compression. No model call at all.
 * The engine runs this in a worker (preview_worker.ts) or, over a Backend that lives
 * on the step loop's thread, inline behind a PreviewGate (`inlineRenderer`).
 */
import type { Backend } from "./backend.ts";
import type { ClipGeometry } from "./geometry.ts";
import { toRgb8 } from "./media/frames.ts";
import { encodeFrames, type ImageFormat } from "./media/images.ts";
import type { Manifest } from "./pack/manifest.ts";
import type { PreviewRenderer, PreviewRequest } from "./preview_scheduler.ts";
import type { Preview } from "./types.ts";

/** How previews are made. `budget` only applies to inline rendering. */
export interface PreviewOptions {
  mode: "decoder" | "linear";
  format: ImageFormat;
  /** Encoder quality, 1-100; ~70 keeps a 64x64 JPEG near 1 KB. */
  quality: number;
  /**
   * Largest share of wall time inline preview work may take, in (0, 1]; see
   * preview_gate.ts. Preview workers render beside the step loop and need no budget.
   */
  budget: number;
}

/** The defaults: the preview decoder, JPEG at quality 70, at most 10 % of the time. */
export const DEFAULT_PREVIEW: PreviewOptions = {
  mode: "decoder",
  format: "jpeg",
  quality: 70,
  budget: 0.1,
};

/**
 * `rgb = latent . latent_to_rgb + rgb_bias` per latent pixel, clipped to [0, 1]:
 * Tv frames of Hv x Wv, channel last.
 */
export function latentToRgb(
  latent: Float32Array,
  g: ClipGeometry,
  map: Manifest["preview"],
): Float32Array {
  const [channels, frames, height, width] = g.video;
  const plane = frames * height * width;
  const out = new Float32Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let k = 0; k < 3; k++) {
      let sum = map.rgb_bias[k]!;
      for (let c = 0; c < channels; c++) sum += latent[c * plane + p]! * map.latent_to_rgb[c]![k]!;
      out[p * 3 + k] = Math.max(0, Math.min(1, sum));
    }
  }
  return out;
}

async function linearFrames(
  video: Float32Array,
  g: ClipGeometry,
  m: Manifest,
  options: PreviewOptions,
): Promise<Uint8Array[]> {
  const [, latentFrames, height, width] = g.video;
  const rgb = toRgb8(latentToRgb(video, g, m.preview), latentFrames, width, height);
  const encoded = await encodeFrames(rgb, { ...options, scale: g.width / width });
  // One latent frame stands for `temporal_compression` video frames.
  return Array.from(
    { length: g.frames },
    (_, f) => encoded[Math.floor((f * latentFrames) / g.frames)]!,
  );
}

/** A preview's two parts: its frames and its sound. */
export type PreviewPart = "video" | "audio";

/**
 * Decodes and encodes `parts` of one preview, one after the other on the caller's
 * thread, handing each to `deliver` as soon as it is ready. The parts are independent:
 * a preview worker renders one of them (preview_worker_client.ts runs two at once).
 * Frames and audio used to be delivered as one, so the frames (~8 ms of preview decoder)
 * waited for the audio decoder and the first preview came ~90 ms after the first step
 * (issue 5). `stillWanted` is asked before each model call, so a job cancelled meanwhile
 * costs no more model time.
 */
export async function renderPreview(
  backend: Backend,
  manifest: Manifest,
  input: PreviewRequest,
  options: PreviewOptions,
  stillWanted: () => boolean,
  deliver: (part: Preview) => void,
  parts: readonly PreviewPart[] = ["video", "audio"],
): Promise<void> {
  const { geometry: g, x0, step, sigma } = input;
  for (const part of parts) {
    if (!stillWanted()) return;
    if (part === "audio") {
      const sound = await backend.previewSound(x0.subarray(g.videoSize), g);
      deliver({ kind: "audio", step, sigma, audio: sound.samples, sampleRate: sound.sampleRate });
      continue;
    }
    const video = x0.subarray(0, g.videoSize);
    const frames = options.mode === "linear"
      ? await linearFrames(video, g, manifest, options)
      : await encodeFrames(await backend.previewFrames(video, g), options);
    deliver({ kind: "video", step, sigma, frames, format: options.format });
  }
}

/**
 * Renders previews through `backend` on the caller's thread. Its model time is already
 * counted by the backend, so its own stats are empty.
 */
export function inlineRenderer(
  backend: Backend,
  manifest: Manifest,
  options: PreviewOptions,
): PreviewRenderer {
  return {
    render: (r, stillWanted, deliver) =>
      renderPreview(backend, manifest, r, options, stillWanted, deliver),
    stats: () => ({ calls: 0, ms: 0, byComponent: {} }),
    close: () => Promise.resolve(),
  };
}
