/**
 * A preview worker's entry point: a Web Worker that renders one part of every preview
 * (the frames, with the preview decoder and sharp, or the sound, with the pack's audio
 * preview decoder, else its audio decoder) in ONNX sessions of its own, so preview work
 * runs beside the step loop.
 * Before, both shared one thread and a preview (decoders + JPEGs, ~6 denoiser steps'
 * worth) could only run behind a 10 % duty-cycle gate: ~1 preview per 16 steps.
 * Started by preview_worker_client.ts, two of them; the engine never waits on them.
 */
/// <reference lib="deno.worker" />
import type { FromWorker, ToWorker } from "./_preview_protocol.ts";
import { loadPack } from "./pack/load.ts";
import { previewSoundDecoder } from "./pack/manifest.ts";
import { OnnxBackend } from "./pack/onnx_backend.ts";
import { type PreviewOptions, type PreviewPart, renderPreview } from "./preview.ts";
import type { Preview } from "./types.ts";

let ready: Promise<{ backend: OnnxBackend; part: PreviewPart; options: PreviewOptions }> | null =
  null;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === "init") {
    ready = (async () => {
      const { part, options } = message;
      const pack = await loadPack(message.packDir, {
        // Linear frames need no model at all.
        components: (manifest) =>
          part === "audio"
            ? [previewSoundDecoder(manifest)]
            : options.mode === "linear"
            ? []
            : ["preview_decoder"],
        intraOpThreads: message.intraOpThreads,
      });
      return { backend: new OnnxBackend(pack), part, options };
    })();
    ready.then(
      () => post({ type: "ready" }),
      (error) => post({ type: "init_failed", message: (error as Error).message }),
    );
    return;
  }
  const { backend, part, options } = await ready!;
  const { id, request } = message;
  try {
    await renderPreview(
      backend,
      backend.manifest,
      request,
      options,
      () => true,
      (preview) => postPart(id, preview),
      [part],
    );
    post({ type: "rendered", id, stats: backend.stats() });
  } catch (error) {
    post({ type: "render_failed", id, message: (error as Error).message, stats: backend.stats() });
  }
};

/** Posts one part of a preview, moving its buffers rather than copying them. */
function postPart(id: number, part: Preview): void {
  if (part.kind === "audio") {
    // Copied first, since onnxruntime may own the buffer it returned.
    const audio = part.audio.slice();
    return post({ type: "part", id, preview: { ...part, audio } }, [audio.buffer]);
  }
  // Linear previews repeat one image over several frames: transfer each buffer once.
  const buffers = new Set(part.frames.map((f) => f.buffer as ArrayBuffer));
  post({ type: "part", id, preview: part }, [...buffers]);
}
