/**
 * A GenerationEngine that counts what passes through it: it wraps each handle's
 * event stream, so the server measures jobs, step latency and batching without
 * reaching into the engine or the job pump.
 */
import type {
  GenerateOptions,
  GenerationEngine,
  GenerationEvent,
  GenerationHandle,
  GenerationRequest,
} from "../../core/types.ts";
import { Histogram } from "./prometheus.ts";

/** How a job ended. */
export type Outcome = "done" | "cancelled" | "failed";

/** What the meter has seen since start. */
export class JobMeter {
  queued = 0;
  running = 0;
  finished: Record<Outcome, number> = { done: 0, cancelled: 0, failed: 0 };
  /** Seconds between consecutive steps of one job (the first from "started"). */
  stepSeconds = new Histogram([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  /**
   * Jobs stepped together in one denoiser call. The engine steps a batch's jobs
   * in one synchronous pass after the call, so their step events land in the same
   * event-loop turn: counting steps per turn observes the batch size.
   */
  batchJobs = new Histogram([1, 2, 3, 4, 6, 8, 12, 16, 32]);
  #turnSteps = 0;

  /** Counts one step toward the current turn's batch. */
  step(): void {
    if (this.#turnSteps++ === 0) {
      setTimeout(() => {
        this.batchJobs.observe(this.#turnSteps);
        this.#turnSteps = 0;
      }, 0);
    }
  }
}

/** Wraps `inner`; `meter` collects. `stats()` of the inner engine passes through. */
export class MeteredEngine implements GenerationEngine {
  readonly meter = new JobMeter();
  #inner: GenerationEngine;

  constructor(inner: GenerationEngine) {
    this.#inner = inner;
  }

  /** The wrapped engine. */
  get inner(): GenerationEngine {
    return this.#inner;
  }

  resolve(partial: Partial<GenerationRequest> & { prompt: string }): GenerationRequest {
    return this.#inner.resolve(partial);
  }

  generate(request: GenerationRequest, options?: GenerateOptions): GenerationHandle {
    const handle = this.#inner.generate(request, options);
    const events = this.#observe(handle.events);
    return {
      id: handle.id,
      request: handle.request,
      events,
      result: handle.result,
      steer: (change) => handle.steer(change),
    };
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  async *#observe(events: AsyncIterable<GenerationEvent>): AsyncGenerator<GenerationEvent> {
    const m = this.meter;
    let phase: "new" | "queued" | "running" | "ended" = "new";
    let last = 0;
    const leave = () => {
      if (phase === "queued") m.queued--;
      if (phase === "running") m.running--;
    };
    try {
      for await (const event of events) {
        switch (event.type) {
          case "queued":
            if (phase === "new") {
              phase = "queued";
              m.queued++;
            }
            break;
          case "started":
            leave();
            phase = "running";
            m.running++;
            last = performance.now();
            break;
          case "step": {
            const now = performance.now();
            if (last > 0) m.stepSeconds.observe((now - last) / 1000);
            last = now;
            m.step();
            break;
          }
          case "done":
          case "cancelled":
          case "failed":
            leave();
            phase = "ended";
            m.finished[event.type]++;
        }
        yield event;
      }
    } finally {
      // A stream that ends without a terminal event (engine error) still leaves.
      if (phase !== "ended") {
        leave();
        m.finished.failed++;
      }
    }
  }
}
