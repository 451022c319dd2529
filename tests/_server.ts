/**
 * Test helpers that cross the process boundary for real: a server on a free
 * port around any engine, and a WebSocket that records everything it receives.
 */
import { type AppOptions, createApp, type EmergeApp } from "../server/app.ts";
import {
  type Capabilities,
  decodeMedia,
  type MediaHeader,
  type ServerMessage,
} from "../client/protocol.ts";

/** A running test server; `stop` ends jobs, listener and temp dir. */
export interface TestServer {
  url: string;
  wsUrl: string;
  emerge: EmergeApp;
  dataDir: string;
  stop(): Promise<void>;
}

/** Starts createApp(options) on a free loopback port with a temp data dir. */
export async function startServer(
  options: Omit<AppOptions, "dataDir"> & { dataDir?: string },
): Promise<TestServer> {
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "emerge_test_" });
  const emerge = createApp({ ...options, dataDir });
  const server = await emerge.serve(0);
  return {
    url: server.url,
    wsUrl: server.url.replace("http", "ws") + "/v1/stream",
    emerge,
    dataDir,
    async stop() {
      await server.shutdown();
      if (!options.dataDir) await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/** A received frame: JSON or decoded media, with its arrival time. */
export type Received =
  | { kind: "json"; at: number; message: ServerMessage }
  | { kind: "media"; at: number; header: MediaHeader; payload: Uint8Array };

/** A WebSocket that logs every frame and lets a test wait for one. */
export class TestSocket {
  readonly received: Received[] = [];
  readonly closed: Promise<CloseEvent>;
  #ws: WebSocket;
  #waiters: (() => void)[] = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.binaryType = "arraybuffer";
    this.closed = new Promise((resolve) => ws.addEventListener("close", resolve));
    ws.addEventListener("message", (e) => {
      const at = performance.now();
      if (typeof e.data === "string") {
        this.received.push({ kind: "json", at, message: JSON.parse(e.data) });
      } else {
        const { header, payload } = decodeMedia(new Uint8Array(e.data as ArrayBuffer));
        this.received.push({ kind: "media", at, header, payload });
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed.then(() => {
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** Opens `url`; with `hello`, also completes the handshake, asking for `capabilities`. */
  static async open(
    url: string,
    hello = true,
    capabilities?: Partial<Capabilities>,
  ): Promise<TestSocket> {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.addEventListener("open", resolve, { once: true });
      ws.addEventListener("error", reject, { once: true });
    });
    const socket = new TestSocket(ws);
    if (hello) {
      socket.send({ type: "hello", protocol: 1, ...(capabilities ? { capabilities } : {}) });
      await socket.next((m) => m.type === "hello");
    }
    return socket;
  }

  /** Sends a JSON message (or raw text). */
  send(message: unknown): void {
    this.#ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** JSON messages so far. */
  get messages(): ServerMessage[] {
    return this.received.flatMap((r) => r.kind === "json" ? [r.message] : []);
  }

  /** Media frames so far. */
  get media(): (Received & { kind: "media" })[] {
    return this.received.filter((r): r is Received & { kind: "media" } => r.kind === "media");
  }

  /** The first JSON message after index `from` matching `match`; waits up to `ms`. */
  async next(
    match: (m: ServerMessage) => boolean,
    { from = 0, ms = 10_000 } = {},
  ): Promise<ServerMessage> {
    const deadline = Date.now() + ms;
    for (let i = from;;) {
      for (; i < this.received.length; i++) {
        const r = this.received[i]!;
        if (r.kind === "json" && match(r.message)) return r.message;
      }
      if (this.#ws.readyState === WebSocket.CLOSED) throw new Error("Socket closed while waiting");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("Timed out waiting for a message");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Closes and waits for the close to finish. */
  async close(): Promise<void> {
    if (this.#ws.readyState !== WebSocket.CLOSED) this.#ws.close();
    await this.closed;
  }
}

/** Whether `m` ends a job. */
export function isTerminal(m: ServerMessage): boolean {
  return m.type === "done" || m.type === "cancelled" || m.type === "failed";
}

/** Runs `fn` against a fresh server and always stops it. */
export async function withServer(
  options: Omit<AppOptions, "dataDir"> & { dataDir?: string },
  fn: (server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startServer(options);
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

/** A `deno task start` server in its own process, as users run it. */
export interface ServerProcess {
  url: string;
  wsUrl: string;
  dataDir: string;
  /** Its ready line. */
  ready: string;
  /** The server's process id (for /proc/<pid>/status). */
  pid: number;
  /** Sends `signal` and waits for the exit; the data dir stays. */
  kill(signal: Deno.Signal): Promise<Deno.CommandStatus>;
  /** SIGTERM, wait, and remove the data dir unless the caller chose it. */
  stop(): Promise<void>;
  /** Everything it wrote to stderr, once it exits; "" unless spawned with `stderr: "piped"`. */
  stderr: Promise<string>;
}

/**
 * The command that runs server/main.ts on `dataDir` and a free port, stdout
 * piped; `stderr` "piped" for a test that reads why a start was refused.
 */
export function serverCommand(
  env: Record<string, string>,
  dataDir: string,
  stderr: "inherit" | "piped",
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../server/main.ts", import.meta.url).pathname],
    env: { PORT: "0", EMERGE_DATA_DIR: dataDir, ...env },
    stdout: "piped",
    stderr,
  });
}

/**
 * Runs server/main.ts with the real Deno binary (not an npx wrapper, so the
 * signal reaches it) on a free port and a temp data dir; resolves at its ready line.
 * With `stderr: "piped"` its stderr is collected (`ServerProcess.stderr`) instead of shown.
 */
export async function spawnServer(
  env: Record<string, string> = {},
  options: { dataDir?: string; stderr?: "inherit" | "piped" } = {},
): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "emerge_proc_" });
  const child = serverCommand(env, dataDir, options.stderr ?? "inherit").spawn();
  const stderr = options.stderr === "piped"
    ? new Response(child.stderr).text()
    : Promise.resolve("");
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/http:\/\/\S+/.test(text)) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`Server exited before it was ready: ${text}`);
    text += value;
  }
  const url = text.match(/http:\/\/[^\s)]+/)![0];
  // Keep draining stdout so the child never blocks on a full pipe.
  const drained = (async () => {
    while (!(await lines.read()).done);
  })();
  const kill = async (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch {
      // Already exited: the status below says how.
    }
    const status = await child.status;
    await drained.catch(() => {});
    return status;
  };
  return {
    url,
    wsUrl: url.replace("http", "ws") + "/v1/stream",
    dataDir,
    ready: text.trim(),
    pid: child.pid,
    kill,
    stderr,
    async stop() {
      await kill("SIGTERM");
      if (!options.dataDir) await Deno.remove(dataDir, { recursive: true });
    },
  };
}
