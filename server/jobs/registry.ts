/**
 * Creates jobs and finds them again: by id for REST, resume, steer and cancel,
 * and by client-chosen id so a generate retried after a reconnect does not run
 * twice. Finished jobs stay live for `retainMs` (resume still replays), then only
 * their record remains in the store.
 */
import { join } from "node:path";
import type { GenerationEngine, GenerationRequest } from "../../core/types.ts";
import { checkRequestLimits } from "../limits/check.ts";
import { LimitError, type Limits } from "../limits/limits.ts";
import { newJobId } from "./ids.ts";
import { Job } from "./job.ts";
import { isTerminal } from "./state.ts";
import type { JobRecord, JobStore, ListPage, ListQuery } from "./store.ts";

/** Tunables of the job layer. */
export interface RegistryOptions {
  engine: GenerationEngine;
  dataDir: string;
  store: JobStore;
  /** Model name the REST resource reports. */
  model: string;
  /** Lifecycle events kept per job for resume. */
  logEvents: number;
  /** How long a WS job outlives its last socket. */
  graceMs: number;
  /** How long a finished job stays live for resume. */
  retainMs: number;
  /** Queue, per-client and per-request bounds; none when absent. */
  limits?: Limits;
}

/** How one job is started. */
export interface CreateOptions {
  /** Idempotency key from the client; scoped by `owner`. */
  clientId?: string;
  /** Who asked (an API key, later); separates clientId spaces. */
  owner?: string;
  /** Keep running without subscribers (REST jobs). */
  detached?: boolean;
  /** The video this job remixes. */
  remixOf?: string;
  /** Who counts against the per-client limit when there is no owner (a socket's session id). */
  client?: string;
  /**
   * Runs an acknowledged job again after a restart: its id, time and seq base; no
   * limits apply, and its `clientId` maps to it again so a retried generate replays it.
   */
  restore?: { id: string; createdAt: number; seqBase: number };
}

/** The live jobs of one server. */
export class JobRegistry {
  #options: RegistryOptions;
  /** The engine jobs run on; the request mapping needs its defaults. */
  readonly engine: GenerationEngine;
  #jobs = new Map<string, Job>();
  #byClientId = new Map<string, string>();
  #timers = new Set<ReturnType<typeof setTimeout>>();
  /** Retired jobs whose terminal write still fails: close() gives them a last try. */
  #unsaved = new Map<string, Job>();
  /** Unfinished live jobs per client key, for the per-client limit. */
  #perClient = new Map<string, number>();
  #unfinished = 0;
  #draining = false;

  constructor(options: RegistryOptions) {
    this.#options = options;
    this.engine = options.engine;
  }

  /** Live jobs, for metrics and shutdown. */
  get size(): number {
    return this.#jobs.size;
  }

  /** Resolves the request (throws the engine's error on bad input) and starts it. */
  create(partial: Partial<GenerationRequest> & { prompt: string }, options: CreateOptions = {}): {
    job: Job;
    existing: boolean;
  } {
    const key = options.clientId === undefined
      ? undefined
      : `${options.owner ?? ""}\u0000${options.clientId}`;
    const known = key === undefined ? undefined : this.#jobs.get(this.#byClientId.get(key) ?? "");
    // A restore always runs its own job: an older one with the same key may be repaired.
    if (known && !options.restore) return { job: known, existing: true };
    const { engine, dataDir } = this.#options;
    const request = engine.resolve(partial);
    const client = options.owner ?? options.client;
    if (!options.restore) this.#admit(request, client);
    const id = options.restore?.id ?? newJobId();
    // The engine creates the folder when it writes: an unwritable data dir then
    // fails that job with output_failed instead of refusing the request.
    const outDir = join(dataDir, "videos", id);
    const controller = new AbortController();
    const handle = engine.generate(request, { signal: controller.signal, id, outDir });
    const job = new Job({
      handle,
      controller,
      model: this.#options.model,
      store: this.#options.store,
      logEvents: this.#options.logEvents,
      graceMs: options.detached ? null : this.#options.graceMs,
      ...(options.clientId !== undefined ? { clientId: options.clientId } : {}),
      ...(options.owner !== undefined ? { owner: options.owner } : {}),
      ...(options.remixOf !== undefined ? { remixOf: options.remixOf } : {}),
      onSettled: (done) => {
        this.#count(client, -1);
        this.#retire(done, key);
      },
      ...(options.restore
        ? { createdAt: options.restore.createdAt, seqBase: options.restore.seqBase }
        : {}),
    });
    this.#count(client, +1);
    this.#jobs.set(job.id, job);
    // The newest job holds a key, as without a restart: only it can still be unfinished.
    if (key !== undefined && !(known && known.createdAt > job.createdAt)) {
      this.#byClientId.set(key, job.id);
    }
    return { job, existing: false };
  }

  /** A live job. */
  get(id: string): Job | undefined {
    return this.#jobs.get(id);
  }

  /** A job's record, live or retired. */
  record(id: string): JobRecord | undefined {
    return this.#jobs.get(id)?.record ?? this.#options.store.get(id);
  }

  /**
   * A job's record if `owner` may see it: jobs belong to whoever created them,
   * and another owner gets the same answer as for an id that never existed.
   */
  recordFor(id: string, owner: string | undefined): JobRecord | undefined {
    const record = this.record(id);
    return record?.owner === owner ? record : undefined;
  }

  /** A live job if `owner` may steer or cancel it. */
  getFor(id: string, owner: string | undefined): Job | undefined {
    const job = this.#jobs.get(id);
    return job?.record.owner === owner ? job : undefined;
  }

  /** One page of `query.owner`'s jobs. */
  list(query: ListQuery): ListPage {
    return this.#options.store.list(query);
  }

  /** Cancels `id` if it runs, then forgets it and removes its files; false if unknown. */
  async delete(id: string): Promise<boolean> {
    const live = this.#jobs.get(id);
    if (live) {
      live.cancel();
      await live.settled;
    }
    // A live job, or a retired one whose final write still fails: no more tries either way.
    (live ?? this.#unsaved.get(id))?.endSaveRetries(false);
    this.#jobs.delete(id);
    this.#unsaved.delete(id);
    const known = this.#options.store.delete(id) || live !== undefined;
    await Deno.remove(join(this.#options.dataDir, "videos", id), { recursive: true })
      .catch(() => {});
    return known;
  }

  /** Unfinished jobs: queued or running. */
  get unfinished(): number {
    return this.#unfinished;
  }

  /** Live jobs that have not ended, for shutdown's checkpoint. */
  running(): Job[] {
    return [...this.#jobs.values()].filter((job) => !isTerminal(job.state.status));
  }

  /** Refuses new jobs from now on (graceful shutdown); running ones go on. */
  drain(): void {
    this.#draining = true;
  }

  /** Cancels every live job, waits for their last events, gives failed final writes a last try. */
  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    const jobs = [...this.#jobs.values()];
    for (const job of jobs) job.cancel();
    await Promise.all(jobs.map((job) => job.settled));
    for (const job of [...jobs, ...this.#unsaved.values()]) job.endSaveRetries(true);
    this.#jobs.clear();
    this.#unsaved.clear();
    this.#byClientId.clear();
  }

  /** Throws a LimitError when `request` may not start now. */
  #admit(request: GenerationRequest, client: string | undefined): void {
    if (this.#draining) {
      throw new LimitError("busy", "Cannot start job: the server is shutting down");
    }
    const limits = this.#options.limits;
    if (!limits) return;
    checkRequestLimits(request, limits);
    if (this.#unfinished >= limits.maxQueue) {
      throw new LimitError(
        "busy",
        `Cannot start job: the queue is full ("${limits.maxQueue}" jobs), try again later`,
      );
    }
    const mine = client === undefined ? 0 : this.#perClient.get(client) ?? 0;
    if (mine >= limits.maxJobsPerClient) {
      throw new LimitError(
        "busy",
        `Cannot start job: this client has "${mine}" unfinished jobs, the limit is "${limits.maxJobsPerClient}"`,
      );
    }
  }

  #count(client: string | undefined, delta: number): void {
    this.#unfinished += delta;
    if (client === undefined) return;
    const n = (this.#perClient.get(client) ?? 0) + delta;
    if (n > 0) this.#perClient.set(client, n);
    else this.#perClient.delete(client);
  }

  #retire(job: Job, key: string | undefined): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#jobs.delete(job.id);
      if (job.savePending) this.#unsaved.set(job.id, job);
      if (key !== undefined && this.#byClientId.get(key) === job.id) this.#byClientId.delete(key);
    }, this.#options.retainMs);
    this.#timers.add(timer);
  }
}
