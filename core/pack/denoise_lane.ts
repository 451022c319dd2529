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
import { WorkerLink } from "../worker_link.ts";
import type { Device } from "./load.ts";

/** Engine -> lane worker. */
export type ToLane =
  | { type: "init"; packDir: string; device: Device; intraOpThreads: number }
  | { type: "denoise"; id: number; batch: DenoiseBatch };

/** Lane worker -> engine, once started (see worker_link.ts for "ready" and "init_failed"). */
export type LaneReply =
  | { type: "denoised"; id: number; velocity: Velocity }
  | { type: "failed"; id: number; message: string };

type Waiter = { resolve(v: Velocity): void; reject(e: Error): void };

/** The engine's side of a denoiser lane worker (denoise_lane_worker.ts). */
export class DenoiseLane {
  #link: WorkerLink<LaneReply, Waiter>;

  private constructor(link: WorkerLink<LaneReply, Waiter>) {
    this.#link = link;
  }

  /** Starts a lane on `packDir`'s denoiser; resolves once its session is open. */
  static async start(
    packDir: string,
    options: { device: Device; intraOpThreads: number },
  ): Promise<DenoiseLane> {
    const init: ToLane = { type: "init", packDir, ...options };
    return await WorkerLink.start<LaneReply, Waiter, DenoiseLane>(
      new URL("./denoise_lane_worker.ts", import.meta.url),
      init,
      "Denoiser lane",
      (link) => new DenoiseLane(link),
      (lane, m) => lane.#answer(m),
    );
  }

  /** False once the worker crashed or was closed: calls would only fail. */
  get usable(): boolean {
    return this.#link.dead === null;
  }

  /**
   * Runs `batch` on the lane's session. The batch's arrays are moved to the worker,
   * not copied: the caller must not use them afterwards.
   */
  denoise(batch: DenoiseBatch): Promise<Velocity> {
    if (this.#link.dead) return Promise.reject(this.#link.dead);
    const buffers = [
      batch.video,
      batch.audio,
      batch.sigma,
      batch.textTokens,
      batch.textMask,
      batch.textPooled,
    ].map((a) => a.buffer as ArrayBuffer);
    return new Promise((resolve, reject) => {
      const message = (id: number): ToLane => ({ type: "denoise", id, batch });
      this.#link.call({ resolve, reject }, message, [...new Set(buffers)]);
    });
  }

  close(): Promise<void> {
    return this.#link.close(new ModelFailedError("Cannot run denoiser: its lane was closed"));
  }

  #answer(m: LaneReply): void {
    const waiter = this.#link.settle(m.id);
    if (m.type === "denoised") waiter?.resolve(m.velocity);
    else waiter?.reject(new ModelFailedError(m.message));
  }
}
