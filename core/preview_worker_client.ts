/**
 * The engine's side of the preview workers (preview_worker.ts): two of them, one for a
 * preview's frames and one for its sound. A render sends the job's x0 to both at once
 * (PreviewScheduler keeps one render in flight), hands on each part as its worker posts
 * it and settles once both have answered. The latent is copied and its buffers
 * transferred, so posting costs the step loop a memcpy of a few KB.
 *
 * Why two: the step loop's call already keeps both cores busy (a denoiser lane halves
 * it). One render thread beside the two halves shares a core with one half only, and
 * the call ends with that half: a whole render's time later (~11 ms, of a ~28 ms step)
 * while the other core idled. Split in two, each core takes one part (frames ~6 ms,
 * sound ~5 ms) beside its half, and the step grows by about half as much.
 */
import type { ModelStats } from "./backend.ts";
import { mergeStats } from "./backend.ts";
import { ModelFailedError } from "./errors.ts";
import type { FromWorker, ToWorker } from "./_preview_protocol.ts";
import type { PreviewOptions, PreviewPart } from "./preview.ts";
import type { PreviewRenderer, PreviewRequest } from "./preview_scheduler.ts";
import type { Preview } from "./types.ts";
import { WorkerLink } from "./worker_link.ts";

/** What a worker answers once started. */
type RenderReply = Exclude<FromWorker, { type: "ready" | "init_failed" }>;

type Waiter = { deliver(part: Preview): void; resolve(): void; reject(e: Error): void };

/** One preview worker and the model stats it last reported. */
class PartWorker {
  stats: ModelStats = { calls: 0, ms: 0, byComponent: {} };
  #link: WorkerLink<RenderReply, Waiter>;

  private constructor(link: WorkerLink<RenderReply, Waiter>) {
    this.#link = link;
  }

  /** One intra-op thread: the two workers share the cores with the step loop. */
  static async start(packDir: string, part: PreviewPart, options: PreviewOptions) {
    const init: ToWorker = { type: "init", packDir, part, options, intraOpThreads: 1 };
    return await WorkerLink.start<RenderReply, Waiter, PartWorker>(
      new URL("./preview_worker.ts", import.meta.url),
      init,
      "Preview worker",
      (link) => new PartWorker(link),
      (worker, m) => worker.#answer(m),
    );
  }

  render(request: PreviewRequest, deliver: (part: Preview) => void): Promise<void> {
    if (this.#link.dead) return Promise.reject(this.#link.dead);
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

  close(): Promise<void> {
    return this.#link.close(
      new ModelFailedError("Cannot render preview: the preview worker was closed"),
    );
  }

  #answer(m: RenderReply): void {
    if (m.type === "part") return this.#link.waiter(m.id)?.deliver(m.preview);
    this.stats = m.stats;
    const waiter = this.#link.settle(m.id);
    if (m.type === "rendered") waiter?.resolve();
    else waiter?.reject(new ModelFailedError(`Cannot render preview: ${m.message}`));
  }
}

/** A PreviewRenderer backed by two Web Workers with their own ONNX sessions. */
export class PreviewWorker implements PreviewRenderer {
  #frames: PartWorker;
  #sound: PartWorker;

  private constructor(frames: PartWorker, sound: PartWorker) {
    this.#frames = frames;
    this.#sound = sound;
  }

  /** Starts both workers on `packDir`; resolves once their sessions are open. */
  static async start(packDir: string, options: PreviewOptions): Promise<PreviewWorker> {
    const started = await Promise.allSettled(
      (["video", "audio"] as const).map((part) => PartWorker.start(packDir, part, options)),
    );
    const [frames, sound] = started.map((s) => s.status === "fulfilled" ? s.value : null);
    if (!frames || !sound) {
      await Promise.all([frames?.close(), sound?.close()]);
      throw started.find((s): s is PromiseRejectedResult => s.status === "rejected")!.reason;
    }
    return new PreviewWorker(frames, sound);
  }

  /** Renders both parts at once; settles when both have, failing if either failed. */
  async render(
    request: PreviewRequest,
    stillWanted: () => boolean,
    deliver: (part: Preview) => void,
  ): Promise<void> {
    if (!stillWanted()) return;
    const parts = await Promise.allSettled([
      this.#frames.render(request, deliver),
      this.#sound.render(request, deliver),
    ]);
    const failed = parts.find((p): p is PromiseRejectedResult => p.status === "rejected");
    if (failed) throw failed.reason;
  }

  stats(): ModelStats {
    return mergeStats(this.#frames.stats, this.#sound.stats, "");
  }

  async close(): Promise<void> {
    await Promise.all([this.#frames.close(), this.#sound.close()]);
  }
}
