/**
 * The entry point: `new EmergeClient(url)` holds one connection and routes what
 * arrives to the generations started on it.
 */
import { Connection, type ConnectionOptions, type ConnectionState } from "./connection.ts";
import { ConnectionError, type EmergeError } from "./errors.ts";
import { type GenerateOptions, Generation, type GenerationSource } from "./generation.ts";
import type { GenerateParams, ServerHello } from "./protocol.ts";

/**
 * Where the server is: a URL, or a function returning one (or a Promise of one),
 * called before every connect and reconnect. The function form is for
 * credentials that expire, such as a short-lived `?token=`: a reconnect after the
 * expiry puts a fresh one in the URL instead of one the server now refuses.
 */
export type ServerUrl = string | URL | (() => string | URL | Promise<string | URL>);

/** Options of a client. */
export interface EmergeClientOptions extends ConnectionOptions {
  /** Called on every state change of the connection. */
  onState?: (state: ConnectionState) => void;
}

/**
 * A connection to an Emerge server.
 *
 * @example
 * ```ts
 * const client = new EmergeClient("http://127.0.0.1:8080");
 * const gen = client.generate({ prompt: "a red ball bounces", size: "96x64" });
 * for await (const event of gen) if (event.type === "step") console.log(event.i, event.sigma);
 * const { outputs } = await gen.result;
 * client.close();
 * ```
 */
export class EmergeClient {
  /** The server's hello, after the first handshake. */
  hello: ServerHello | null = null;
  #connection: Connection;
  #generations = new Set<Generation>();
  /** Set from the URL at each connect: a URL function may move it. */
  #httpBase = "";
  #helloWaiters: { resolve(h: ServerHello): void; reject(e: EmergeError): void }[] = [];

  /**
   * `url`: the server (http, https, ws or wss), or a function giving it before
   * every connect (see {@linkcode ServerUrl}); "/v1/stream" is added unless present.
   */
  constructor(url: ServerUrl, options: EmergeClientOptions = {}) {
    const source = typeof url === "function"
      ? async () => this.#streamUrl(await url())
      : this.#streamUrl(url);
    this.#connection = new Connection(source, {
      opened: (hello) => {
        this.hello = hello;
        for (const waiter of this.#helloWaiters.splice(0)) waiter.resolve(hello);
        for (const gen of this.#generations) gen.sync(hello);
      },
      message: (message) => {
        if (!("job" in message) && !("clientId" in message)) return;
        for (const gen of this.#generations) if (gen.owns(message)) gen.message(message);
      },
      media: (header, payload) => {
        for (const gen of this.#generations) if (gen.owns(header)) gen.media(header, payload);
      },
      closed: (error) => this.#abandonAll(error),
      ...(options.onState ? { state: options.onState } : {}),
    }, options);
  }

  /** The connection's state. */
  get state(): ConnectionState {
    return this.#connection.state;
  }

  /**
   * Connects now, not at the first generate, and resolves with the server's
   * hello: a page reads its sizes and durations before offering them.
   */
  connect(): Promise<ServerHello> {
    if (this.hello && this.#connection.state === "open") return Promise.resolve(this.hello);
    if (this.#connection.state === "closed") {
      return Promise.reject(new ConnectionError("Cannot connect: the client is closed"));
    }
    // No Promise.withResolvers: the npm build targets ES2022.
    const hello = new Promise<ServerHello>((resolve, reject) => {
      this.#helloWaiters.push({ resolve, reject });
    });
    this.#connection.connect();
    return hello;
  }

  /** Starts a generation; connects first if needed. */
  generate(params: GenerateParams, options: GenerateOptions = {}): Generation {
    return this.#start({ params }, options);
  }

  /**
   * Re-attaches to a job already on the server, as `generate` would have returned
   * it: the events after `lastSeq` (by default all the server kept, or a snapshot),
   * then live ones, steer, cancel and `result`. For a page reloaded mid-run: save
   * the `queued` event's `job` and `seq` when it arrives, and resume them after the
   * load; the server replays the rest and sends the latest preview. A job the
   * server does not know (or that belongs to another API key) rejects `result`
   * with a ServerError `unknown_job`; a finished one settles at once.
   *
   * @example
   * ```ts
   * import { EmergeClient } from "./mod.ts";
   * const client = new EmergeClient("http://127.0.0.1:8080");
   * // Saved before the reload: if (event.type === "queued") sessionStorage.setItem("run",
   * //   JSON.stringify({ job: event.job, seq: event.seq }));
   * const saved = JSON.parse(sessionStorage.getItem("run") ?? "null");
   * if (saved) {
   *   const gen = client.resume(saved.job, saved.seq);
   *   for await (const event of gen) if (event.type === "step") console.log(event.i);
   *   console.log((await gen.result).outputs.video);
   * }
   * ```
   */
  resume(job: string, lastSeq = 0, options: GenerateOptions = {}): Generation {
    return this.#start({ job, lastSeq }, options);
  }

  #start(source: GenerationSource, options: GenerateOptions): Generation {
    const gen: Generation = new Generation(this.#connection, source, {
      httpBase: () => this.#httpBase,
      forget: () => this.#generations.delete(gen),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    this.#generations.add(gen);
    const state = this.#connection.state;
    if (state === "open") gen.sync(this.hello);
    else if (state === "closed") {
      const action = "params" in source ? "generate" : "resume";
      gen.abandon(new ConnectionError(`Cannot ${action}: the client is closed`));
    } else this.#connection.connect();
    return gen;
  }

  /** Drops the socket as a network failure would; the client reconnects and resumes. */
  dropConnection(): void {
    this.#connection.drop();
  }

  /** Closes the connection; unfinished generations reject with a ConnectionError. */
  close(): void {
    this.#connection.close();
  }

  /** The WebSocket URL for `url`; notes the HTTP base that output URLs resolve against. */
  #streamUrl(url: string | URL): string {
    const base = new URL(url);
    base.protocol = base.protocol.replace(/^http/, "ws");
    if (!base.pathname.endsWith("/v1/stream")) {
      base.pathname = base.pathname.replace(/\/?$/, "/v1/stream");
    }
    const http = new URL(base);
    http.protocol = http.protocol.replace(/^ws/, "http");
    http.pathname = http.pathname.slice(0, -"/v1/stream".length) + "/";
    this.#httpBase = http.href;
    return base.href;
  }

  #abandonAll(error: EmergeError | undefined): void {
    const reason = error ?? new ConnectionError("Cannot finish generation: the client was closed");
    for (const waiter of this.#helloWaiters.splice(0)) waiter.reject(reason);
    for (const gen of [...this.#generations]) gen.abandon(reason);
  }
}
