/**
 * The protocol session of one WebSocket, runtime-neutral: it reads client frames,
 * drives the job registry and writes through an {@linkcode Outbox}. Every bad
 * message is answered with an error event and the socket stays open; only a hello
 * with a protocol this server does not speak closes it.
 */
import {
  type ClientMessage,
  type ErrorCode,
  PROTOCOL_VERSION,
  type ResumedMessage,
  type ServerCapabilities,
  type ServerHello,
  type SnapshotMessage,
} from "../../client/protocol.ts";
import { isJobId } from "../jobs/ids.ts";
import type { Job, Subscriber } from "../jobs/job.ts";
import type { LoggedEvent } from "../jobs/log.ts";
import { refusalCode } from "../jobs/refusal.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import { toEngineInput } from "../jobs/request.ts";
import { isTerminal, type JobState } from "../jobs/state.ts";
import { type ErrorRef, parseClientMessage, refOf } from "./messages.ts";
import { Outbox } from "./outbox.ts";
import type { StreamSocket } from "./socket.ts";
import type { StreamStats } from "./stats.ts";
import { errorMessage } from "../../core/errors.ts";

/** Close code sent after a hello with an unknown protocol version. */
export const CLOSE_UNSUPPORTED_VERSION = 4001;

/** What every session of one server shares. */
export interface SessionOptions {
  registry: JobRegistry;
  capabilities: ServerCapabilities;
  /** Name and version in the server hello. */
  server: string;
  maxBufferedBytes: number;
  retryMs: number;
  stats: StreamStats;
  /** Who is on this socket (an API key's owner id); scopes jobs and idempotency keys. */
  owner?: string;
  /** Larger text frames get a `too_large` error and are not parsed; default 64 KiB. */
  maxMessageBytes?: number;
}

/** One socket's conversation. */
export class StreamSession {
  readonly id = crypto.randomUUID();
  #socket: StreamSocket;
  #options: SessionOptions;
  #outbox: Outbox | null = null;
  #watching = new Map<string, { job: Job; sub: Subscriber }>();
  #closed = false;

  constructor(socket: StreamSocket, options: SessionOptions) {
    this.#socket = socket;
    this.#options = options;
    options.stats.openSockets++;
  }

  /** Handles one incoming frame; never throws. */
  receive(data: unknown): void {
    if (this.#closed) return;
    if (typeof data !== "string") {
      return this.#error("bad_message", "Cannot read message: binary frames are not accepted");
    }
    const max = this.#options.maxMessageBytes ?? 64 * 1024;
    // UTF-8 is at most 3 bytes per UTF-16 unit, so short frames skip the encode.
    const bytes = data.length * 3 > max ? new TextEncoder().encode(data).length : 0;
    if (bytes > max) {
      return this.#error(
        "too_large",
        `Cannot read message: it is ${bytes} bytes, over the ${max}-byte limit`,
      );
    }
    const parsed = parseClientMessage(data);
    if (!parsed.ok) return this.#error(parsed.code, parsed.message, parsed.ref);
    try {
      this.#handle(parsed.message);
    } catch (error) {
      const message = errorMessage(error);
      this.#error(
        "internal",
        `Cannot handle "${parsed.message.type}": ${message}`,
        refOf(parsed.message),
      );
    }
  }

  /** The socket closed: stop watching; jobs run on for their grace time. */
  closed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.stats.openSockets--;
    this.#outbox?.close();
    for (const { job, sub } of this.#watching.values()) job.unsubscribe(sub);
    this.#watching.clear();
  }

  #handle(msg: ClientMessage): void {
    if (msg.type === "hello") return this.#hello(msg.protocol, msg.capabilities);
    const outbox = this.#outbox;
    if (!outbox) {
      return this.#error("hello_required", `Cannot handle "${msg.type}": send hello first`);
    }
    switch (msg.type) {
      case "ping":
        return outbox.direct(JSON.stringify({ type: "pong", ts: Date.now(), ...pick(msg, "id") }));
      case "generate":
        return this.#generate(msg);
      case "resume":
        return this.#resume(msg.job, msg.lastSeq);
      case "steer":
      case "cancel": {
        const job = this.#live(msg.type, msg.job);
        if (!job) return;
        if (msg.type === "cancel") return job.cancel();
        const { type: _, job: __, ...change } = msg;
        try {
          job.steer(change);
        } catch (error) {
          // The engine refuses a change it cannot apply (a scale out of its range, a
          // job past its last step) with its own code; the job runs on.
          const message = errorMessage(error);
          this.#error(refusalCode(error), message, { job: job.id });
        }
        return;
      }
    }
  }

  #hello(
    protocol: number,
    caps: { audio?: boolean; frameBundles?: boolean; audioFormats?: string[] } | undefined,
  ): void {
    if (protocol !== PROTOCOL_VERSION) {
      this.#error(
        "unsupported_version",
        `Cannot start session: protocol "${protocol}" is not supported, this server speaks "${PROTOCOL_VERSION}"`,
      );
      this.#socket.close(CLOSE_UNSUPPORTED_VERSION, "unsupported protocol version");
      return this.closed();
    }
    this.#outbox ??= new Outbox(this.#socket, {
      maxBufferedBytes: this.#options.maxBufferedBytes,
      retryMs: this.#options.retryMs,
      video: true,
      audio: caps?.audio ?? true,
      wants: {
        bundles: caps?.frameBundles ?? false,
        pcm: caps?.audioFormats?.includes("pcm_s16") ? "pcm_s16" : "pcm_f32",
      },
      stats: this.#options.stats,
    });
    const hello: ServerHello = {
      type: "hello",
      protocol: PROTOCOL_VERSION,
      server: this.#options.server,
      session: this.id,
      capabilities: this.#options.capabilities,
    };
    this.#outbox.direct(JSON.stringify(hello));
  }

  #generate(msg: ClientMessage & { type: "generate" }): void {
    const { type: _, clientId, ...params } = msg;
    const ref = clientId === undefined ? {} : { clientId };
    let created;
    try {
      created = this.#options.registry.create(toEngineInput(params, this.#engine), {
        ...ref,
        ...pick(this.#options, "owner"),
        client: this.id,
      });
    } catch (error) {
      // The engine's resolve() names what is wrong; its sentence goes to the client.
      const message = errorMessage(error);
      return this.#error(refusalCode(error), message, ref);
    }
    // A retried generate (same clientId) replays the job from its start: the start of
    // this run, so a job run again after a restart opens with queued too, not a snapshot.
    this.#watch(created.job, created.job.seqBase);
  }

  get #engine() {
    return this.#options.registry.engine;
  }

  #resume(id: string, lastSeq: number): void {
    const { registry, owner } = this.#options;
    const job = isJobId(id) ? registry.getFor(id, owner) : undefined;
    if (job) return this.#watch(job, lastSeq, true);
    const record = isJobId(id) ? registry.recordFor(id, owner) : undefined;
    if (!record) {
      return this.#error("unknown_job", `Cannot resume: job "${id}" is unknown`, { job: id });
    }
    this.#resumed(id, lastSeq, 0, true);
    this.#outbox!.direct(JSON.stringify(snapshot(id, record.state)));
  }

  #watch(job: Job, lastSeq: number, resuming = false): void {
    const outbox = this.#outbox!;
    const previous = this.#watching.get(job.id);
    if (previous) job.unsubscribe(previous.sub);
    const sub: Subscriber = {
      event: (entry) => {
        outbox.event(entry);
        if (isTerminal(job.state.status)) this.#unwatch(job.id, sub);
      },
      media: (batch) => outbox.media(batch),
    };
    this.#watching.set(job.id, { job, sub });
    const replay = job.subscribe(sub, lastSeq);
    if (resuming) this.#resumed(job.id, lastSeq, replay.events.length, replay.snapshot !== null);
    if (replay.snapshot) outbox.direct(JSON.stringify(snapshot(job.id, replay.snapshot)));
    for (const entry of replay.events) sub.event(entry as LoggedEvent);
    if (isTerminal(job.state.status)) return;
    for (const media of job.latestMedia) if (media.firstSeq > lastSeq) outbox.media(media);
  }

  #unwatch(id: string, sub: Subscriber): void {
    const watched = this.#watching.get(id);
    if (watched?.sub !== sub) return;
    this.#watching.delete(id);
    watched.job.unsubscribe(sub);
  }

  #resumed(job: string, lastSeq: number, replayed: number, snapshot: boolean): void {
    const msg: ResumedMessage = {
      type: "resumed",
      job,
      lastSeq,
      replayed,
      snapshot,
      ts: Date.now(),
    };
    this.#outbox!.direct(JSON.stringify(msg));
  }

  /** A live, unfinished job for steer or cancel, or an error sent. */
  #live(action: string, id: string): Job | undefined {
    // Another owner's job is "unknown": its existence is not ours to reveal.
    const { registry, owner } = this.#options;
    const job = isJobId(id) ? registry.getFor(id, owner) : undefined;
    const known = job ?? (isJobId(id) ? registry.recordFor(id, owner) : undefined);
    if (!known) {
      this.#error("unknown_job", `Cannot ${action}: job "${id}" is unknown`, { job: id });
    } else if (!job || isTerminal(job.state.status)) {
      this.#error("job_finished", `Cannot ${action}: job "${id}" has finished`, { job: id });
    } else return job;
  }

  #error(code: ErrorCode, message: string, ref: ErrorRef = {}): void {
    this.#options.stats.errors++;
    const text = JSON.stringify({ type: "error", code, message, ts: Date.now(), ...ref });
    if (!this.#closed) this.#socket.send(text);
  }
}

function snapshot(job: string, state: JobState): SnapshotMessage {
  return {
    type: "snapshot",
    job,
    seq: state.seq,
    ts: Date.now(),
    status: state.status,
    step: state.step,
    steps: state.steps,
    sigma: state.sigma,
    ...pick(state, "outputs", "error"),
  };
}

/** The named fields of `obj` that are defined (exactOptionalPropertyTypes-friendly). */
function pick<T extends object, K extends keyof T>(obj: T, ...keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (obj[key] !== undefined) out[key] = obj[key];
  return out;
}
