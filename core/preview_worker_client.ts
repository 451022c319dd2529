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
import { startWorker } from "./worker_start.ts";

/** What the worker answers once started. */
type RenderReply = Exclude<FromWorker, { type: "ready" | "init_failed" }>;

/** A PreviewRenderer backed by a Web Worker with its own ONNX sessions. */
export class PreviewWorker implements PreviewRenderer {
  #worker!: Worker;
  #next = 1;
  #waiting = new Map<
    number,
    { deliver(part: Preview): void; resolve(): void; reject(e: Error): void }
  >();
  #stats: ModelStats = { calls: 0, ms: 0, byComponent: {} };
  #dead: Error | null = null;

  private constructor() {}

  /**
   * Starts a worker on `packDir`; resolves once its sessions are open. One intra-op
   * thread: the worker is meant to own one core, the step loop the other.
   */
  static async start(packDir: string, options: PreviewOptions): Promise<PreviewWorker> {
    const self = new PreviewWorker();
    const init: ToWorker = { type: "init", packDir, options, intraOpThreads: 1 };
    self.#worker = await startWorker<RenderReply>(
      new URL("./preview_worker.ts", import.meta.url),
      init,
      "Preview worker",
      { answer: (m) => self.#answer(m), crashed: (error) => self.#fail(error) },
    );
    return self;
  }

  render(
    request: PreviewRequest,
    stillWanted: () => boolean,
    deliver: (part: Preview) => void,
  ): Promise<void> {
    if (this.#dead) return Promise.reject(this.#dead);
    if (!stillWanted()) return Promise.resolve();
    const id = this.#next++, x0 = request.x0.slice();
    const message: ToWorker = { type: "render", id, request: { ...request, x0 } };
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { deliver, resolve, reject });
      this.#worker.postMessage(message, [x0.buffer]);
    });
  }

  stats(): ModelStats {
    return structuredClone(this.#stats);
  }

  close(): Promise<void> {
    this.#fail(new ModelFailedError("Cannot render preview: the preview worker was closed"));
    this.#worker.terminate();
    return Promise.resolve();
  }

  #answer(m: RenderReply): void {
    const waiter = this.#waiting.get(m.id);
    if (m.type === "part") return waiter?.deliver(m.preview);
    this.#stats = m.stats;
    this.#waiting.delete(m.id);
    if (m.type === "rendered") waiter?.resolve();
    else waiter?.reject(new ModelFailedError(`Cannot render preview: ${m.message}`));
  }

  #fail(error: Error): void {
    this.#dead = error;
    for (const waiter of this.#waiting.values()) waiter.reject(error);
    this.#waiting.clear();
  }
}
