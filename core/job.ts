/**
 * One generation's state inside the engine: its latent, where it is in the schedule,
 * its current text and guidance (steers change them), its event channel and its result.
 * Ending is idempotent: the first of done / cancelled / failed wins, the rest are no-ops.
 */
import type { TextEncoding } from "./backend.ts";
import type { Batchable } from "./batching.ts";
import { abortError, type EngineError } from "./errors.ts";
import { EventChannel } from "./event_channel.ts";
import type { ClipGeometry } from "./geometry.ts";
import type { SolverHistory } from "./schedulers/mod.ts";
import type {
  GenerationEvent,
  GenerationHandle,
  GenerationOutputs,
  GenerationRequest,
  Guidance,
  SteerRequest,
} from "./types.ts";

/** Where a job is: waiting for its first step, stepping, decoding, or over. */
export type JobState = "queued" | "running" | "decoding" | "ended";

/** A job as the step loop sees it. */
export class Job implements Batchable {
  readonly id: string;
  readonly request: GenerationRequest;
  readonly geometry: ClipGeometry;
  readonly signal: AbortSignal;
  readonly outDir: string;
  /** Admission order, the tie-break for fairness. */
  readonly order: number;
  readonly sigmas: Float64Array;
  readonly events = new EventChannel<GenerationEvent>();
  readonly result: Promise<GenerationOutputs>;

  state: JobState = "queued";
  /** The latent, packed `[video (Cv, Tv, Hv, Wv)..., audio (Ca, Ta)...]`. */
  x: Float32Array;
  /** Steps taken; the next model call is at `sigmas[step]`. */
  step = 0;
  history: SolverHistory | null = null;
  /**
   * Serial of the last model call this job was in; on admission, the loop's latest
   * serial (the back of the rotation). Fairness, see batching.ts.
   */
  lastServed = 0;
  prompt: string;
  negativePrompt: string;
  guidance: Guidance;
  /** Encodings of `prompt` and `negativePrompt`; null until (re-)encoded. */
  text: { cond: TextEncoding; uncond: TextEncoding } | null = null;
  /** Steers received since the last step, applied before the next one. */
  pendingSteers: SteerRequest[] = [];

  /** Aborted when the job stops short: ends its file writes (see `stopSignal`). */
  #stop = new AbortController();
  #resolve!: (outputs: GenerationOutputs) => void;
  #reject!: (error: unknown) => void;

  constructor(init: {
    id: string;
    request: GenerationRequest;
    geometry: ClipGeometry;
    signal: AbortSignal;
    outDir: string;
    order: number;
    sigmas: Float64Array;
    noise: Float32Array;
  }) {
    this.id = init.id;
    this.request = init.request;
    this.geometry = init.geometry;
    this.signal = init.signal;
    this.outDir = init.outDir;
    this.order = init.order;
    this.sigmas = init.sigmas;
    this.x = init.noise;
    this.prompt = init.request.prompt;
    this.negativePrompt = init.request.negativePrompt;
    this.guidance = { ...init.request.guidance };
    this.result = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Nobody has to await `result`: a rejection must not crash the process.
    this.result.catch(() => {});
  }

  /** Jobs with equal keys have equal latent shapes and can share a call. */
  get key(): string {
    return this.geometry.key;
  }

  /** Steps in the schedule. */
  get steps(): number {
    return this.sigmas.length - 1;
  }

  get ended(): boolean {
    return this.state === "ended";
  }

  emit(event: GenerationEvent): void {
    if (!this.ended) this.events.push(event);
  }

  #end(event: GenerationEvent): boolean {
    if (this.ended) return false;
    this.events.push(event);
    this.state = "ended";
    this.events.close();
    return true;
  }

  done(outputs: GenerationOutputs): void {
    if (this.#end({ type: "done", outputs })) this.#resolve(outputs);
  }

  /**
   * Fires when the job is cancelled or failed, or `stop()` is called: the final write
   * kills its encoder and removes its files on it. A job cancelled while decoding is
   * stopped first and ended once the files are gone, so `cancelled` never comes while
   * a half-written file is still there.
   */
  get stopSignal(): AbortSignal {
    return this.#stop.signal;
  }

  /** Stops the work in flight without ending the job (its end follows the cleanup). */
  stop(): void {
    this.#stop.abort(abortError(this.id));
  }

  cancel(): void {
    if (this.#end({ type: "cancelled" })) this.#reject(abortError(this.id));
    this.stop();
  }

  fail(error: EngineError): void {
    if (this.#end({ type: "failed", code: error.code, message: error.message })) {
      this.#reject(error);
    }
    this.stop();
  }

  /** The public view handed to callers of `generate`. */
  handle(steer: (change: SteerRequest) => void): GenerationHandle {
    return { id: this.id, request: this.request, events: this.events, result: this.result, steer };
  }
}
