/**
 * The denoiser lane's worker (see denoise_lane.ts): opens the pack's denoiser alone and
 * answers each batch with its velocities, moving their buffers back.
 */
/// <reference lib="deno.worker" />
import type { LaneReply, ToLane } from "./denoise_lane.ts";
import { loadPack } from "./load.ts";
import { OnnxBackend } from "./onnx_backend.ts";

let backend: Promise<OnnxBackend> | null = null;

function post(
  message: LaneReply | { type: "ready" } | { type: "init_failed"; message: string },
  transfer: Transferable[] = [],
): void {
  self.postMessage(message, transfer);
}

self.onmessage = async (event: MessageEvent<ToLane>) => {
  const m = event.data;
  if (m.type === "init") {
    backend = loadPack(m.packDir, {
      components: ["denoiser"],
      device: m.device,
      intraOpThreads: m.intraOpThreads,
    }).then((pack) => new OnnxBackend(pack));
    backend.then(
      () => post({ type: "ready" }),
      (error) => post({ type: "init_failed", message: (error as Error).message }),
    );
    return;
  }
  try {
    const velocity = await (await backend!).denoise(m.batch);
    // Copied first, since onnxruntime may own the buffers it returned.
    const video = velocity.video.slice(), audio = velocity.audio.slice();
    post({ type: "denoised", id: m.id, velocity: { video, audio } }, [video.buffer, audio.buffer]);
  } catch (error) {
    post({ type: "failed", id: m.id, message: (error as Error).message });
  }
};
