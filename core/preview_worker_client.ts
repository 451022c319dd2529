/**
 * The engine's side of the preview worker (preview_worker.ts): starts it, sends it
 * one x0 at a time (PreviewScheduler keeps one in flight), hands on each part of the
 * preview as the worker posts it and settles the render's promise when it ends. The
 * latent is copied and its buffer transferred, so posting costs the step loop a
 * memcpy of a few KB and nothing else.
 */
import type { ModelStats } from "./backend.ts";
import { ModelFailedError } from "./errors.ts";
import type { FromWorker, ToWorker } from "./_preview_protocol.ts";
import type { PreviewOptions } from "./preview.ts";
import type { PreviewRenderer, PreviewRequest } from "./preview_scheduler.ts";
import type { Preview } from "./types.ts";
import { WorkerLink } from "./worker_link.ts";

/** What the worker answers once started. */
type RenderReply = Exclude<FromWorker, { type: "ready" | "init_failed" }>;

type Waiter = { deliver(part: Preview): void; resolve(): void; reject(e: Error): void };

/** A PreviewRenderer backed by a Web Worker with its own ONNX sessions. */
export class PreviewWorker implements PreviewRenderer {
  #link: WorkerLink<RenderReply, Waiter>;
  #stats: ModelStats = { calls: 0, ms: 0, byComponent: {} };

  private constructor(link: WorkerLink<RenderReply, Waiter>) {
    this.#link = link;
  }

  /**
   * Starts a worker on `packDir`; resolves once its sessions are open. One intra-op
   * thread: the worker is meant to own one core, the step loop the other.
   */
  static async start(packDir: string, options: PreviewOptions): Promise<PreviewWorker> {
    const init: ToWorker = { type: "init", packDir, options, intraOpThreads: 1 };
    let self: PreviewWorker | undefined;
    const link = await WorkerLink.start<RenderReply, Waiter>(
      new URL("./preview_worker.ts", import.meta.url),
      init,
      "Preview worker",
      (m) => self!.#answer(m), // replies only answer renders, asked once the worker exists
    );
    return (self = new PreviewWorker(link));
  }

  render(
    request: PreviewRequest,
    stillWanted: () => boolean,
    deliver: (part: Preview) => void,
  ): Promise<void> {
    if (this.#link.dead) return Promise.reject(this.#link.dead);
    if (!stillWanted()) return Promise.resolve();
    const x0 = request.x0.slice();
    return new Promise((resolve, reject) => {
      const message = (id: number): ToWorker => ({
        type: "render",
        id,
        request: { ...request, x0 },
      });
      this.#link.call({ deliver, resolve, reject }, message, [x0.buffer]);
    });
  }

  stats(): ModelStats {
    return structuredClone(this.#stats);
  }

  close(): Promise<void> {
    return this.#link.close(
      new ModelFailedError("Cannot render preview: the preview worker was closed"),
    );
  }

  #answer(m: RenderReply): void {
    if (m.type === "part") return this.#link.waiter(m.id)?.deliver(m.preview);
    this.#stats = m.stats;
    const waiter = this.#link.settle(m.id);
    if (m.type === "rendered") waiter?.resolve();
    else waiter?.reject(new ModelFailedError(`Cannot render preview: ${m.message}`));
  }
}
