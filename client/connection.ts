/**
 * One WebSocket to the server as an explicit state machine (as fal-js's realtime
 * client): idle -> connecting -> open, and on a drop reconnecting -> connecting
 * again with exponential backoff, until `close()` or the attempts run out
 * (closed). Sends queue until the hello handshake is done.
 */
import { ConnectionError, EmergeError, ProtocolError, ServerError } from "./errors.ts";
import {
  type ClientMessage,
  decodeMedia,
  type MediaHeader,
  PROTOCOL_VERSION,
  type ServerHello,
  type ServerMessage,
  splitFrameBundle,
} from "./protocol.ts";

/** The states; transitions are listed in the module doc. */
export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

/**
 * An event handler property. Method syntax makes the parameter bivariant, so the
 * DOM's `(ev: MessageEvent) => any` and `ws`'s handlers both fit.
 */
type Handler<E> = { bivariant(event: E): void }["bivariant"] | null;

/** The part of a WebSocket the client uses: browsers, Deno, Node >= 22 and `ws` all fit. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown>;
  onmessage: Handler<{ data: unknown }>;
  onclose: Handler<{ code: number; reason: string }>;
  onerror: Handler<unknown>;
}

/** A WebSocket constructor, for runtimes without a global one (Node 20: `ws`). */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Backoff between reconnect attempts: `initialMs * factor^n`, capped, with jitter. */
export interface ReconnectOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /**
   * Give up after this many failed attempts in a row; default 10. `Infinity` never
   * gives up, as a page open in a tab should: it keeps trying at `maxMs` apart.
   */
  maxAttempts?: number;
}

/** Who hears what the connection receives. */
export interface ConnectionHandler {
  /** The handshake finished; `again` is true after a reconnect. */
  opened(hello: ServerHello, again: boolean): void;
  message(message: ServerMessage): void;
  media(header: MediaHeader, payload: Uint8Array): void;
  /** The connection is closed for good; `error` says why, unless close() was called. */
  closed(error?: EmergeError): void;
  state?(state: ConnectionState): void;
}

/**
 * Where to connect: a URL, or a function called before every connect and
 * reconnect. The function is for URLs that carry a credential that expires (a
 * short-lived `?token=`): a reconnect after the expiry gets a fresh one instead
 * of a URL the server now refuses.
 */
export type UrlSource = string | (() => string | Promise<string>);

/** Settings of a connection. */
export interface ConnectionOptions {
  WebSocket?: WebSocketConstructor;
  reconnect?: ReconnectOptions;
  /** Whether to receive audio previews; default true. */
  audio?: boolean;
}

const CLIENT_NAME = "emerge-js/0.1.0";
/** The server closes with this after refusing our protocol version. */
const CLOSE_UNSUPPORTED_VERSION = 4001;

/** A self-healing socket with a send queue. */
export class Connection {
  #url: UrlSource;
  /** The URL last dialed, without its query (it may hold a token), for error messages. */
  #href: string;
  #options: ConnectionOptions;
  #handler: ConnectionHandler;
  #state: ConnectionState = "idle";
  #socket: WebSocketLike | null = null;
  #queue: string[] = [];
  #attempts = 0;
  #everOpened = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #fatal: EmergeError | undefined;

  constructor(url: UrlSource, handler: ConnectionHandler, options: ConnectionOptions = {}) {
    this.#url = url;
    this.#href = typeof url === "string" ? withoutQuery(url) : "";
    this.#handler = handler;
    this.#options = options;
  }

  /** Where the machine is now. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Starts connecting if idle; otherwise does nothing. */
  connect(): void {
    if (this.#state === "idle") this.#open();
  }

  /** Sends now if open, else queues for the next open. */
  send(message: ClientMessage): void {
    if (this.#state === "closed") {
      throw new ConnectionError("Cannot send: the connection is closed", { cause: this.#fatal });
    }
    const text = JSON.stringify(message);
    if (this.#state === "open") this.#socket!.send(text);
    else {
      this.#queue.push(text);
      this.connect();
    }
  }

  /** Closes the socket as a network failure would; the machine reconnects. */
  drop(): void {
    this.#socket?.close(4000, "dropped by client");
  }

  /** Closes for good. */
  close(): void {
    if (this.#state === "closed") return;
    this.#finish(undefined);
  }

  #open(): void {
    const Ctor = this.#options.WebSocket ??
      (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) {
      return this.#finish(
        new ConnectionError(
          "Cannot connect: this runtime has no WebSocket, pass options.WebSocket",
        ),
      );
    }
    this.#set("connecting");
    const url = this.#url;
    if (typeof url === "string") return this.#dial(Ctor, url);
    Promise.resolve().then(url).then(
      (href) => {
        if (this.#state === "connecting") this.#dial(Ctor, href); // else closed meanwhile
      },
      (error) => {
        // A function that fails (say, its token request) is one failed attempt: retry.
        const why = `the URL function failed: ${error?.message ?? error}`;
        if (this.#state === "connecting") this.#retry(why);
      },
    );
  }

  #dial(Ctor: WebSocketConstructor, href: string): void {
    this.#href = withoutQuery(href);
    let socket: WebSocketLike;
    try {
      socket = new Ctor(href);
    } catch (cause) {
      return this.#finish(new ConnectionError(`Cannot connect to "${this.#href}"`, { cause }));
    }
    this.#socket = socket;
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      const hello: ClientMessage = {
        type: "hello",
        protocol: PROTOCOL_VERSION,
        client: CLIENT_NAME,
        capabilities: {
          previewFormats: ["jpeg", "webp"],
          audio: this.#options.audio ?? true,
          resume: true,
          frameBundles: true,
          audioFormats: ["pcm_s16", "pcm_f32"],
        },
      };
      socket.send(JSON.stringify(hello));
    };
    socket.onmessage = (event) => this.#receive(event.data);
    socket.onerror = () => {}; // onclose follows and decides
    socket.onclose = (event) => {
      if (socket !== this.#socket) return;
      this.#socket = null;
      if (this.#state === "closed") return;
      if (event.code === CLOSE_UNSUPPORTED_VERSION) {
        return this.#finish(
          this.#fatal ??
            new ProtocolError(`Cannot connect: server refused protocol "${PROTOCOL_VERSION}"`),
        );
      }
      this.#retry(`close code ${event.code}${event.reason ? `: ${event.reason}` : ""}`);
    };
  }

  #receive(data: unknown): void {
    if (typeof data !== "string") {
      const bytes = data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : null;
      if (!bytes) return; // a Blob would mean binaryType was ignored; nothing to read
      try {
        const { header, payload } = decodeMedia(bytes);
        if (!header.bundle) return this.#handler.media(header, payload);
        // Hand a bundle on frame by frame: generations see what per-frame messages give.
        const { bundle: _, ...frame } = header;
        splitFrameBundle(payload).forEach((bytes, i) =>
          this.#handler.media({ ...frame, index: header.index + i }, bytes)
        );
      } catch {
        // A frame we cannot read is one lost preview, not a broken session.
      }
      return;
    }
    let message: ServerMessage;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message.type === "hello") return this.#handshake(message);
    if (message.type === "error" && message.code === "unsupported_version") {
      this.#fatal = new ProtocolError(message.message, {
        cause: new ServerError(message.code, message.message),
      });
    }
    this.#handler.message(message);
  }

  #handshake(hello: ServerHello): void {
    if (hello.protocol !== PROTOCOL_VERSION) {
      return this.#finish(
        new ProtocolError(
          `Cannot connect: server speaks protocol "${hello.protocol}", not "${PROTOCOL_VERSION}"`,
        ),
      );
    }
    const again = this.#everOpened;
    this.#everOpened = true;
    this.#attempts = 0;
    this.#set("open");
    this.#handler.opened(hello, again);
    const queued = this.#queue;
    this.#queue = [];
    for (const text of queued) this.#socket?.send(text);
  }

  /** Tries again after a backoff; `why` the last attempt failed goes in the final error. */
  #retry(why: string): void {
    const { initialMs = 200, maxMs = 5000, factor = 2, maxAttempts = 10 } =
      this.#options.reconnect ?? {};
    if (this.#attempts >= maxAttempts) {
      const to = this.#href ? ` to "${this.#href}"` : "";
      return this.#finish(
        new ConnectionError(`Cannot reconnect${to} after ${this.#attempts} attempts (${why})`),
      );
    }
    // Full jitter keeps a crowd of clients from reconnecting in lockstep.
    const delay = Math.min(maxMs, initialMs * factor ** this.#attempts) * (0.5 + Math.random() / 2);
    this.#attempts++;
    this.#set("reconnecting");
    this.#timer = setTimeout(() => this.#open(), delay);
  }

  #finish(error: EmergeError | undefined): void {
    clearTimeout(this.#timer);
    this.#set("closed");
    this.#queue = [];
    const socket = this.#socket;
    this.#socket = null;
    if (socket && socket.readyState <= 1) socket.close(1000, "client closed");
    this.#handler.closed(error);
  }

  #set(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#handler.state?.(state);
  }
}

/**
 * `href` without its query: a `?token=` is a credential, and error messages end up
 * in logs and on screens.
 */
function withoutQuery(href: string): string {
  const at = href.search(/[?#]/);
  return at < 0 ? href : href.slice(0, at);
}
