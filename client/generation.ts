/**
 * One generation seen from the client: an async iterable of typed events, steer,
 * cancel, and `result`. It survives reconnects: after every (re)open it sends
 * `generate` again with the same clientId while it has no job id (the server
 * dedupes), or `resume` with the last seq it saw, and drops replayed duplicates.
 * One made by `client.resume` starts with a job id, so it only ever resumes.
 */
import { AsyncQueue } from "./_queue.ts";
import type { Connection } from "./connection.ts";
import { CancelledError, type EmergeError, ServerError } from "./errors.ts";
import type {
  ErrorMessage,
  GenerateParams,
  JobEvent,
  MediaHeader,
  OutputUrls,
  ResumedMessage,
  ServerHello,
  ServerMessage,
  SnapshotMessage,
  SteerParams,
} from "./protocol.ts";

/** A preview frame: the encoded image and its header. */
export interface FrameEvent {
  type: "frame";
  header: MediaHeader;
  /** JPEG or WebP bytes. */
  bytes: Uint8Array;
  /** Decodes the frame where `createImageBitmap` exists (browsers). */
  bitmap(): Promise<ImageBitmap>;
}

/** A chunk of the predicted clip's audio: mono float PCM from `header.index`. */
export interface AudioEvent {
  type: "audio";
  header: MediaHeader;
  samples: Float32Array;
}

/**
 * Everything a generation's iterator yields. An `error` is a request about the running
 * job that the server refused (a steer out of range or too late); the job runs on.
 */
export type StreamEvent =
  | JobEvent
  | SnapshotMessage
  | ResumedMessage
  | ErrorMessage
  | FrameEvent
  | AudioEvent;

/** What a finished generation gives. */
export interface GenerationResult {
  id: string;
  /** Absolute URLs of the files. */
  outputs: OutputUrls;
  /** Previews the server dropped for this client because it fell behind. */
  dropped: number;
}

/**
 * What a generation starts from: parameters for a new job, or a job already on the
 * server and the last seq seen of it (0: everything the server kept).
 */
export type GenerationSource = { params: GenerateParams } | { job: string; lastSeq: number };

/** Options of one generate call. */
export interface GenerateOptions {
  /** Aborting cancels the job. */
  signal?: AbortSignal;
}

/**
 * A running generation; iterate it once for events, or just await `result`.
 *
 * Lifecycle events (`queued` to `done`, `steered`, `error`, ...) wait for the loop,
 * so one started late, even after `result`, still sees the whole story from
 * `queued`: they are a few per step. Preview frames and audio go only to a loop that
 * is already running: they are nearly all the bytes (a 30-step job awaited only
 * through `result` held 8 MB of them), a preview is worth only its moment, and the
 * server drops stale ones for a slow reader anyway. Once the loop is done, the
 * generation holds no events.
 *
 * @example
 * ```ts
 * import { EmergeClient } from "./mod.ts";
 * const client = new EmergeClient("http://127.0.0.1:8080");
 * const gen = client.generate({ prompt: "a red ball bounces", steps: 30 });
 * for await (const event of gen) {
 *   if (event.type === "step" && event.i === 10) gen.steer({ prompt: "a blue ball bounces" });
 *   if (event.type === "error") console.warn(event.message); // a refused steer; runs on
 * }
 * console.log((await gen.result).outputs.video);
 * ```
 */
export class Generation implements AsyncIterable<StreamEvent> {
  /** The idempotency key sent with generate. */
  readonly clientId: string;
  /** Settles with the outputs, or rejects with a ServerError, CancelledError or ConnectionError. */
  readonly result: Promise<GenerationResult>;
  #id: string | null = null;
  #lastSeq = 0;
  /** What to send `generate` with; null for a generation that resumes a known job. */
  #params: GenerateParams | null;
  #connection: Connection;
  #events: AsyncQueue<StreamEvent>;
  #resolve!: (r: GenerationResult) => void;
  #reject!: (e: EmergeError) => void;
  #pendingSteers: SteerParams[] = [];
  #cancelRequested = false;
  #done = false;
  /** The client's HTTP base, read at the result: a URL function can change it. */
  #httpBase: () => string;
  #forget: () => void;
  /** Removed at the end: a long-lived signal must not keep every finished generation. */
  #unlisten: () => void = () => {};

  /** Used by EmergeClient; call `client.generate` or `client.resume` instead. */
  constructor(
    connection: Connection,
    source: GenerationSource,
    init: { httpBase: () => string; forget: () => void; signal?: AbortSignal },
  ) {
    this.clientId = crypto.randomUUID();
    this.#connection = connection;
    if ("params" in source) this.#params = source.params;
    else {
      this.#params = null;
      this.#id = source.job;
      this.#lastSeq = source.lastSeq;
    }
    this.#httpBase = init.httpBase;
    this.#forget = init.forget;
    // Breaking out of the loop early means the caller lost interest: cancel.
    this.#events = new AsyncQueue(() => this.#done || this.cancel());
    this.result = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.result.catch(() => {}); // callers that only iterate must not see an unhandled rejection
    const signal = init.signal;
    if (signal?.aborted) this.cancel();
    else if (signal) {
      const onAbort = () => this.cancel();
      signal.addEventListener("abort", onAbort, { once: true });
      this.#unlisten = () => signal.removeEventListener("abort", onAbort);
    }
  }

  /** The server's job id (also the REST video id), once known. */
  get id(): string | null {
    return this.#id;
  }

  /** The highest seq received. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamEvent> {
    return this.#events[Symbol.asyncIterator]();
  }

  /**
   * Changes prompt or guidance from the next step on. It comes back as a `steered`
   * event once applied, or as an `error` event when the server refuses it (a
   * guidance out of range: `invalid_request`; the job past its last step:
   * `job_finished`); either way the job runs on and `result` is not affected.
   */
  steer(change: SteerParams): void {
    if (this.#done) return;
    if (this.#id === null) this.#pendingSteers.push(change);
    else this.#connection.send({ type: "steer", job: this.#id, ...change });
  }

  /** Stops the job; `result` rejects with a CancelledError once the server confirms. */
  cancel(): void {
    if (this.#done || this.#cancelRequested) return;
    this.#cancelRequested = true;
    // Not open: sync() sends it after the resume, once, when the socket opens.
    if (this.#id !== null && this.#connection.state === "open") {
      this.#connection.send({ type: "cancel", job: this.#id });
    }
  }

  /** Called by the client after every handshake: start or pick up where we were. */
  sync(hello: ServerHello | null): void {
    if (this.#done) return;
    if (this.#id === null) {
      const message = { type: "generate" as const, clientId: this.clientId, ...this.#params! };
      // The server cannot parse a message over its limit, so its too_large answer could
      // not name this generation and it would wait forever: refuse it here instead.
      const size = new TextEncoder().encode(JSON.stringify(message)).length;
      const max = hello?.capabilities.maxMessageBytes;
      if (max !== undefined && size > max) {
        return this.#fail(
          new ServerError(
            "too_large",
            `Cannot generate: the request is ${size} bytes, more than this server's ${max}`,
          ),
        );
      }
      this.#connection.send(message);
    } else {
      this.#connection.send({ type: "resume", job: this.#id, lastSeq: this.#lastSeq });
      if (this.#cancelRequested) this.#connection.send({ type: "cancel", job: this.#id });
    }
  }

  /** Whether `message` belongs to this generation. */
  owns(message: { job?: string; clientId?: string }): boolean {
    return (message.job !== undefined && message.job === this.#id) ||
      (message.clientId !== undefined && message.clientId === this.clientId);
  }

  /** Takes a JSON message the client routed here. */
  message(message: ServerMessage): void {
    if (this.#done) return;
    switch (message.type) {
      case "error":
        // An error naming the job answers a steer, cancel or resume of it. unknown_job
        // means the job is gone, which ends the generation whatever asked; any other
        // refuses only that request (a steer out of range or too late), so the caller
        // hears of it and the job runs on. One naming only the clientId refused the
        // generate itself.
        if (message.job !== undefined && message.code !== "unknown_job") {
          return this.#events.push(message);
        }
        return this.#fail(new ServerError(message.code, message.message));
      case "resumed":
        return this.#events.push(message);
      case "snapshot":
        this.#lastSeq = Math.max(this.#lastSeq, message.seq);
        this.#events.push(message);
        if (message.status === "done" && message.outputs) return this.#succeed(message.outputs, 0);
        if (message.status === "cancelled") return this.#cancelled();
        if (message.status === "failed" && message.error) {
          return this.#fail(new ServerError(message.error.code, message.error.message));
        }
        return;
      case "hello":
      case "pong":
        return;
    }
    if (message.seq <= this.#lastSeq) return; // replayed after a resume, already seen
    this.#lastSeq = message.seq;
    if (message.type === "queued" && this.#id === null) this.#learnId(message.job);
    this.#events.push(message);
    if (message.type === "done") this.#succeed(message.outputs, message.dropped ?? 0);
    else if (message.type === "cancelled") this.#cancelled();
    else if (message.type === "failed") this.#fail(new ServerError(message.code, message.message));
  }

  /** Takes a media frame the client routed here. */
  media(header: MediaHeader, payload: Uint8Array): void {
    if (this.#done) return;
    this.#lastSeq = Math.max(this.#lastSeq, header.seq);
    // No loop to show it to: see the class comment.
    if (!this.#events.reading) return;
    if (header.kind === "audio") {
      return this.#events.push({ type: "audio", header, samples: pcm(header, payload) });
    }
    const type = header.format === "webp" ? "image/webp" : "image/jpeg";
    this.#events.push({
      type: "frame",
      header,
      bytes: payload,
      bitmap: () => createImageBitmap(new Blob([payload as Uint8Array<ArrayBuffer>], { type })),
    });
  }

  /** The connection gave up: nothing more will come. */
  abandon(error: EmergeError): void {
    if (!this.#done) this.#fail(error);
  }

  #learnId(id: string): void {
    this.#id = id;
    for (const change of this.#pendingSteers) {
      this.#connection.send({ type: "steer", job: id, ...change });
    }
    this.#pendingSteers = [];
    if (this.#cancelRequested) this.#connection.send({ type: "cancel", job: id });
  }

  #succeed(outputs: OutputUrls, dropped: number): void {
    const absolute = Object.fromEntries(
      Object.entries(outputs).map(([k, v]) => [k, new URL(v, this.#httpBase()).href]),
    ) as unknown as OutputUrls;
    this.#end();
    this.#resolve({ id: this.#id!, outputs: absolute, dropped });
  }

  #cancelled(): void {
    this.#end();
    this.#reject(new CancelledError(`Generation "${this.#id}" was cancelled`));
  }

  #fail(error: EmergeError): void {
    this.#end(error);
    this.#reject(error);
  }

  #end(error?: EmergeError): void {
    this.#done = true;
    this.#events.end(error);
    this.#unlisten();
    this.#forget();
  }
}

/**
 * An audio payload as float samples. It sits 64 bytes into a fresh buffer, so it is
 * aligned for either sample type and float32 is viewed in place.
 */
function pcm(header: MediaHeader, payload: Uint8Array): Float32Array {
  if (header.format === "pcm_f32") {
    return new Float32Array(payload.buffer, payload.byteOffset, payload.byteLength / 4);
  }
  const ints = new Int16Array(payload.buffer, payload.byteOffset, payload.byteLength / 2);
  return Float32Array.from(ints, (v) => v / 32767);
}
