/**
 * One generation as the server sees it: a single pump reads the engine's events
 * as fast as they come and fans them out to subscribers, whose `event`/`media`
 * calls must return at once (they queue per socket). So the engine's iteration
 * never waits on a socket, and one slow watcher cannot slow another.
 */
import type { JobEvent } from "../../client/protocol.ts";
import type {
  GenerationEvent,
  GenerationHandle,
  GenerationOutputs,
  SteerRequest,
} from "../../core/types.ts";
import { EventLog, type LoggedEvent, type Replay } from "./log.ts";
import { encodePreview, type MediaBatch } from "./media.ts";
import { applyEvent, initialState, isTerminal, type JobState } from "./state.ts";
import type { JobRecord, JobStore } from "./store.ts";
import { outputUrls } from "./urls.ts";
import { errorMessage } from "../../core/errors.ts";

/** First wait before a failed terminal write is tried again; it doubles up to the cap. */
const SAVE_RETRY_MS = 100;
const SAVE_RETRY_MAX_MS = 30_000;

/** Receives a job's events; both calls must return without waiting. */
export interface Subscriber {
  event(entry: LoggedEvent): void;
  media(batch: MediaBatch): void;
}

/** How a job is wired; the registry fills these. */
export interface JobInit {
  handle: GenerationHandle;
  controller: AbortController;
  model: string;
  store: JobStore;
  logEvents: number;
  /** Cancel after this long without subscribers; null keeps it running (REST jobs). */
  graceMs: number | null;
  clientId?: string;
  /** Who created it; see JobRecord. */
  owner?: string;
  /** The video it remixes; see JobRecord. */
  remixOf?: string;
  /** Called once, after the terminal event went out. */
  onSettled?: (job: Job) => void;
  /** When it was first acknowledged; a job run again after a restart keeps its time. */
  createdAt?: number;
  /**
   * Seq of the state before the first event (default 0). A run after a restart
   * starts above every seq the last run could have sent, so a client resuming
   * with its old lastSeq still gets the new run's events.
   */
  seqBase?: number;
}

/** A running or finished generation with its log and subscribers. */
export class Job {
  readonly id: string;
  readonly createdAt: number;
  /** Seq before this run's first event: 0, or above the last run's after a restart. */
  readonly seqBase: number;
  /** Resolves when the pump has seen the last event. */
  readonly settled: Promise<void>;
  #init: JobInit;
  #seq = 0;
  #state: JobState;
  #log: EventLog;
  #subscribers = new Set<Subscriber>();
  #latestMedia = new Map<MediaBatch["kind"], MediaBatch>();
  #files: GenerationOutputs | null = null;
  #completedAt: number | null = null;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  #checkpointed = false;
  #saveRetry: ReturnType<typeof setTimeout> | undefined;

  constructor(init: JobInit) {
    this.#init = init;
    this.id = init.handle.id;
    this.createdAt = init.createdAt ?? Date.now();
    this.seqBase = init.seqBase ?? 0;
    this.#seq = this.seqBase;
    this.#state = { ...initialState(init.handle.request.steps), seq: this.#seq };
    this.#log = new EventLog(init.logEvents, this.#state);
    // The outcome arrives as an event too; this only keeps a rejection from going unhandled.
    init.handle.result.catch(() => {});
    try {
      init.store.save(this.record);
    } catch (cause) {
      // Not written means not acknowledged: refuse the job rather than run one a
      // restart would not know, and stop the engine's run, which nobody would read.
      init.controller.abort();
      const why = errorMessage(cause);
      throw new Error(`Cannot start job "${this.id}": recording it failed: ${why}`, { cause });
    }
    this.settled = this.#pump();
  }

  /** The state after every event so far. */
  get state(): JobState {
    return this.#state;
  }

  /** What the REST resource shows. */
  get record(): JobRecord {
    return {
      id: this.id,
      request: this.#init.handle.request,
      model: this.#init.model,
      createdAt: this.createdAt,
      completedAt: this.#completedAt,
      state: this.#state,
      files: this.#files,
      ...(this.#init.owner !== undefined ? { owner: this.#init.owner } : {}),
      ...(this.#init.remixOf !== undefined ? { remixOf: this.#init.remixOf } : {}),
      ...(this.#init.clientId !== undefined ? { clientId: this.#init.clientId } : {}),
    };
  }

  /**
   * The latest preview frames and the latest preview sound, in seq order, for a client
   * that resumes mid-run. Each part is its own batch: the sound may be a step behind.
   */
  get latestMedia(): MediaBatch[] {
    return [...this.#latestMedia.values()].sort((a, b) => a.firstSeq - b.firstSeq);
  }

  /**
   * Adds `sub` for live events and returns what it missed after `lastSeq`
   * (everything for a new watcher). Synchronous, so nothing falls in between.
   */
  subscribe(sub: Subscriber, lastSeq = 0): Replay {
    this.#subscribers.add(sub);
    clearTimeout(this.#graceTimer);
    return this.#log.since(lastSeq);
  }

  /** Removes `sub`; the last one leaving starts the grace timer. */
  unsubscribe(sub: Subscriber): void {
    if (!this.#subscribers.delete(sub) || this.#subscribers.size > 0) return;
    const grace = this.#init.graceMs;
    if (grace === null || isTerminal(this.#state.status)) return;
    this.#graceTimer = setTimeout(() => this.cancel(), grace);
  }

  /** Applies from the next step. */
  steer(change: SteerRequest): void {
    this.#init.handle.steer(change);
  }

  /** Aborts; the engine answers with a cancelled event. */
  cancel(): void {
    this.#init.controller.abort();
  }

  /**
   * Stops the run without recording an end (graceful shutdown past its deadline):
   * the store keeps the job unfinished, so the next start runs it again.
   */
  checkpoint(): void {
    this.#checkpointed = true;
    clearTimeout(this.#graceTimer);
    this.#init.controller.abort();
  }

  async #pump(): Promise<void> {
    try {
      for await (const event of this.#init.handle.events) this.#accept(event);
    } catch (error) {
      if (!isTerminal(this.#state.status)) {
        this.#accept({ type: "failed", code: "engine_error", message: errorMessage(error) });
      }
    }
    if (!isTerminal(this.#state.status)) {
      this.#accept({
        type: "failed",
        code: "engine_error",
        message: "Cannot finish job: the engine ended its events without a result",
      });
    }
  }

  #accept(event: GenerationEvent): void {
    if (isTerminal(this.#state.status) || this.#checkpointed) return;
    if (event.type === "preview") {
      const batch = encodePreview(this.id, event.preview, () => ++this.#seq);
      this.#latestMedia.set(batch.kind, batch);
      for (const sub of this.#subscribers) sub.media(batch);
      return;
    }
    const base = { job: this.id, seq: ++this.#seq, ts: Date.now() };
    let out: JobEvent;
    switch (event.type) {
      case "queued":
        out = { ...base, type: "queued", position: event.position };
        if (this.#init.clientId !== undefined) out.clientId = this.#init.clientId;
        break;
      case "done":
        this.#files = event.outputs;
        out = { ...base, type: "done", outputs: outputUrls(this.id) };
        break;
      case "step":
        out = { ...base, type: "step", i: event.i, n: event.n, sigma: event.sigma };
        break;
      case "steered":
        out = { ...base, type: "steered", steer: event.steer };
        break;
      case "failed":
        out = { ...base, type: "failed", code: event.code, message: event.message };
        break;
      default:
        out = { ...base, type: event.type };
    }
    const entry = { event: out, text: JSON.stringify(out) };
    this.#state = applyEvent(this.#state, out);
    this.#log.append(entry);
    const terminal = isTerminal(this.#state.status);
    if (terminal) {
      this.#completedAt = Date.now();
      this.#latestMedia.clear();
      clearTimeout(this.#graceTimer);
    }
    this.#save();
    for (const sub of this.#subscribers) sub.event(entry);
    if (terminal) this.#init.onSettled?.(this);
  }

  /** True while a failed terminal write waits for its retry. */
  get savePending(): boolean {
    return this.#saveRetry !== undefined;
  }

  /**
   * Stops retrying a failed terminal write: with one last try when the server
   * closes, with none when the job is deleted (a retry would bring its row back).
   */
  endSaveRetries(lastTry: boolean): void {
    if (this.#saveRetry === undefined) return;
    clearTimeout(this.#saveRetry);
    this.#saveRetry = undefined;
    if (lastTry) this.#trySave();
  }

  /**
   * Records the job. A write that fails (disk full, the database locked past its
   * busy timeout) is logged and the run goes on: the events still reach watchers
   * and `onSettled` still runs, so the job's limit slots are given back and no
   * throw escapes the pump, where it would end the process as an unhandled
   * rejection. The next state's write supersedes a failed one, except after the
   * last: a terminal state not written would leave the job unfinished in the
   * store and the next start would run it again, so that write is retried, with
   * backoff, until it lands or `endSaveRetries` is called.
   */
  #save(): void {
    this.endSaveRetries(false); // this write supersedes a pending retry
    if (!this.#trySave() && isTerminal(this.#state.status)) this.#retrySave(SAVE_RETRY_MS);
  }

  #retrySave(delay: number): void {
    this.#saveRetry = setTimeout(() => {
      this.#saveRetry = undefined;
      if (this.#trySave()) console.error(`emerge: Saved job "${this.id}" on a retry`);
      else this.#retrySave(Math.min(2 * delay, SAVE_RETRY_MAX_MS));
    }, delay);
    Deno.unrefTimer(this.#saveRetry); // a pending retry does not hold the process open
  }

  #trySave(): boolean {
    try {
      this.#init.store.save(this.record);
      return true;
    } catch (error) {
      console.error(`emerge: Cannot save job "${this.id}": ${errorMessage(error)}`);
      return false;
    }
  }
}
