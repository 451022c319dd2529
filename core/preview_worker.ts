/**
 * The preview worker's entry point: a Web Worker with its own ONNX sessions for the
 * preview decoder and the audio decoder, and its own sharp, so preview work runs on
 * the second core while the step loop keeps the first. Before, both shared one
 * thread and a preview (decoders + JPEGs, ~6 denoiser steps' worth) could only run
 * behind a 10 % duty-cycle gate: ~1 preview per 16 steps. Started by
 * preview_worker_client.ts; the engine never waits on it.
 */
/// <reference lib="deno.worker" />
import type { FromWorker, ToWorker } from "./_preview_protocol.ts";
import { loadPack } from "./pack/load.ts";
import { OnnxBackend } from "./pack/onnx_backend.ts";
import { type PreviewOptions, renderPreview } from "./preview.ts";
import type { Preview } from "./types.ts";

let ready: Promise<{ backend: OnnxBackend; options: PreviewOptions }> | null = null;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === "init") {
    ready = (async () => {
      const pack = await loadPack(message.packDir, {
        components: message.options.mode === "linear"
          ? ["audio_decoder"]
          : ["preview_decoder", "audio_decoder"],
        intraOpThreads: message.intraOpThreads,
      });
      return { backend: new OnnxBackend(pack), options: message.options };
    })();
    ready.then(
      () => post({ type: "ready" }),
      (error) => post({ type: "init_failed", message: (error as Error).message }),
    );
    return;
  }
  const { backend, options } = await ready!;
  const { id, request } = message;
  try {
    await renderPreview(
      backend,
      backend.manifest,
      request.geometry,
      request.x0,
      request,
      options,
      () => true,
      (part) => postPart(id, part),
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
