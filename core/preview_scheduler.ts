/**
 * Decides which preview renders next. One render is in flight at a time (its two
 * parts on two threads, see preview_worker_client.ts), and each job keeps only its newest
 * unrendered request: a preview still waiting when a fresher x0 arrives is replaced,
 * since the fresher one is what a watcher wants (latest-wins, DESIGN.md). Among jobs
 * waiting, the one whose last preview started longest ago goes first, so a batch of
 * jobs shares the renderer fairly. `submit` never waits: the step loop posts and goes on.
 */
import type { ModelStats } from "./backend.ts";
import type { ClipGeometry } from "./geometry.ts";
import type { PreviewGate } from "./preview_gate.ts";
import type { Preview } from "./types.ts";

/** One job's predicted clean latent after a step. */
export interface PreviewRequest {
  x0: Float32Array;
  geometry: ClipGeometry;
  step: number;
  sigma: number;
}

/**
 * Renders one preview, handing each part (frames, sound) to `deliver` once it is ready;
 * settles when the render is over. `stillWanted` is asked before each model call.
 */
export type RenderPreview = (
  request: PreviewRequest,
  stillWanted: () => boolean,
  deliver: (part: Preview) => void,
) => Promise<void>;

/** Where previews are rendered: on the step loop's thread, or in a worker. */
export interface PreviewRenderer {
  render: RenderPreview;
  /** Model time spent by the renderer itself (not by the engine's Backend). */
  stats(): ModelStats;
  close(): Promise<void>;
}

/** What the scheduler needs of a job: whether it is over (then its requests are dropped). */
export interface PreviewSubject {
  readonly ended: boolean;
}

/** How the scheduler renders and hands out previews. */
export interface PreviewSchedulerInit<J extends PreviewSubject> {
  render: RenderPreview;
  /** Called per part (frames, sound) as each is ready, never for an ended job. */
  deliver(job: J, preview: Preview): void;
  /** Called when a render of `job`'s is over, every part delivered or failed. */
  settled?(job: J): void;
  /** A failed preview is not a failed job: it is reported here and the loop goes on. */
  onError(job: J, request: PreviewRequest, error: unknown): void;
  /** When previews share the step loop's thread, the gate bounds their share of it. */
  gate?: PreviewGate;
}

/** Latest-wins, one-in-flight preview queue. */
export class PreviewScheduler<J extends PreviewSubject> {
  #init: PreviewSchedulerInit<J>;
  #pending = new Map<J, PreviewRequest>();
  #lastStart = new WeakMap<J, number>();
  #starts = 0;
  #current: Promise<void> | null = null;

  constructor(init: PreviewSchedulerInit<J>) {
    this.#init = init;
  }

  /** Requests waiting (at most one per job). */
  get pending(): number {
    return this.#pending.size;
  }

  /** A render in flight or waiting: the preview worker is using (or about to use) a core. */
  get busy(): boolean {
    return this.#current !== null || this.#pending.size > 0;
  }

  /** Queues `request` for `job`, replacing the job's older waiting one; never waits. */
  submit(job: J, request: PreviewRequest): void {
    this.#pending.set(job, request);
    this.#pump();
  }

  /** Resolves when nothing renders (requests still waiting on a closed gate stay). */
  async idle(): Promise<void> {
    while (this.#current) await this.#current;
  }

  #pump(): void {
    if (this.#current) return;
    for (const job of this.#pending.keys()) if (job.ended) this.#pending.delete(job);
    if (this.#pending.size === 0 || (this.#init.gate && !this.#init.gate.open)) return;
    let job: J | null = null;
    for (const candidate of this.#pending.keys()) {
      const at = this.#lastStart.get(candidate) ?? 0;
      if (job === null || at < (this.#lastStart.get(job) ?? 0)) job = candidate;
    }
    const picked = job!, request = this.#pending.get(picked)!;
    this.#pending.delete(picked);
    this.#lastStart.set(picked, ++this.#starts);
    const { render, gate } = this.#init;
    // The render stays in flight until its last part: a part that is ready goes out at
    // once, but the next render waits for this one's slower part.
    // async: a renderer that throws before its first await still ends in onError.
    const work = async () =>
      await render(request, () => !picked.ended, (part) => {
        if (!picked.ended) this.#init.deliver(picked, part);
      });
    this.#current = (gate ? gate.run(work) : work())
      .catch((error) => this.#init.onError(picked, request, error))
      .finally(() => {
        this.#current = null;
        this.#init.settled?.(picked);
        this.#pump();
      });
  }
}
