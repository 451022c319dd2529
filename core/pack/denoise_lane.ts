/**
 * A denoiser lane: a second denoiser session in a Web Worker, so one batched call can
 * run as two halves at once, one here and one there (OnnxBackend.denoise). On a small
 * CPU this beats one session with more intra-op threads, whose ops of a small DiT are
 * too short to share well: measured on the 2-core dev machine, a CFG call (2 rows) took
 * 28-32 ms on one two-thread session and 22-26 ms as two one-row halves; 8 rows 124 ms
 * against 79-99 ms. Each half also leaves a core free at the end of its op instead of
 * spinning, which a preview render beside the steps can use.
 */
import type { DenoiseBatch, Velocity } from "../backend.ts";
import { ModelFailedError } from "../errors.ts";
import { startWorker } from "../worker_start.ts";
import type { Device } from "./load.ts";

/** Engine -> lane worker. */
export type ToLane =
  | { type: "init"; packDir: string; device: Device; intraOpThreads: number }
  | { type: "denoise"; id: number; batch: DenoiseBatch };

/** Lane worker -> engine, once started (see worker_start.ts for "ready" and "init_failed"). */
export type LaneReply =
  | { type: "denoised"; id: number; velocity: Velocity }
  | { type: "failed"; id: number; message: string };

/** The engine's side of a denoiser lane worker (denoise_lane_worker.ts). */
export class DenoiseLane {
  #worker!: Worker;
  #next = 1;
  #waiting = new Map<number, { resolve(v: Velocity): void; reject(e: Error): void }>();
  #dead: Error | null = null;

  private constructor() {}

  /** Starts a lane on `packDir`'s denoiser; resolves once its session is open. */
  static async start(
    packDir: string,
    options: { device: Device; intraOpThreads: number },
  ): Promise<DenoiseLane> {
    const lane = new DenoiseLane();
    const init: ToLane = { type: "init", packDir, ...options };
    lane.#worker = await startWorker<LaneReply>(
      new URL("./denoise_lane_worker.ts", import.meta.url),
      init,
      "Denoiser lane",
      { answer: (m) => lane.#answer(m), crashed: (error) => lane.#fail(error) },
    );
    return lane;
  }

  /** False once the worker crashed or was closed: calls would only fail. */
  get usable(): boolean {
    return this.#dead === null;
  }

  /**
   * Runs `batch` on the lane's session. The batch's arrays are moved to the worker,
   * not copied: the caller must not use them afterwards.
   */
  denoise(batch: DenoiseBatch): Promise<Velocity> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#next++;
    const message: ToLane = { type: "denoise", id, batch };
    const buffers = [
      batch.video,
      batch.audio,
      batch.sigma,
      batch.textTokens,
      batch.textMask,
      batch.textPooled,
    ].map((a) => a.buffer as ArrayBuffer);
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage(message, [...new Set(buffers)]);
    });
  }

  close(): Promise<void> {
    this.#fail(new ModelFailedError("Cannot run denoiser: its lane was closed"));
    this.#worker.terminate();
    return Promise.resolve();
  }

  #answer(m: LaneReply): void {
    const waiter = this.#waiting.get(m.id);
    this.#waiting.delete(m.id);
    if (m.type === "denoised") waiter?.resolve(m.velocity);
    else waiter?.reject(new ModelFailedError(m.message));
  }

  #fail(error: Error): void {
    this.#dead = error;
    for (const waiter of this.#waiting.values()) waiter.reject(error);
    this.#waiting.clear();
  }
}
