/**
 * The Emerge server as a value: `createApp` wires an engine to the job registry,
 * the stream endpoint, the OpenAI-compatible REST API, auth guards, metrics,
 * OpenAPI docs and the demo page, and returns the Hono app with a
 * `serve` helper. main.ts builds one from the environment; tests build one
 * in-process around any GenerationEngine.
 */
import { join } from "node:path";
import { Hono } from "hono";
import type { ServerCapabilities } from "../client/protocol.ts";
import type { GenerationEngine } from "../core/types.ts";
import { jsonFallbacks } from "./http/fallbacks.ts";
import { JobRegistry } from "./jobs/registry.ts";
import type { JobStore } from "./jobs/store.ts";
import { guardHttp } from "./limits/http.ts";
import { DEFAULT_LIMITS, type Limits } from "./limits/limits.ts";
import { OpenSockets } from "./limits/sockets.ts";
import { guardSockets } from "./limits/ws.ts";
import { gracefulShutdown, type ShutdownReport } from "./shutdown.ts";
import { recoverJobs, type RecoveryReport } from "./store/recover.ts";
import { SqliteJobStore } from "./store/sqlite.ts";
import { streamRoute } from "./routes/stream.ts";
import { videosRoute } from "./routes/videos.ts";
import { StreamStats } from "./ws/stats.ts";
import { type SecurityConfig, securityFromEnv } from "./auth/config.ts";
import { ApiKeys } from "./auth/keys.ts";
import { guard } from "./auth/middleware.ts";
import { TokenIssuer } from "./auth/tokens.ts";
import { healthRoutes } from "./health/route.ts";
import { MeteredEngine } from "./metrics/metered_engine.ts";
import { metricsRoute, type ModelCallStats } from "./metrics/route.ts";
import { openaiRoutes } from "./openai/routes.ts";
import { openApiRoutes } from "./openapi/route.ts";
import { pageRoutes } from "./page/route.ts";

/** Name and version the server reports in its hello. */
export const SERVER_NAME = "emerge/0.1.0";

/** What createApp needs; everything but engine and dataDir has a default. */
export interface AppOptions {
  engine: GenerationEngine;
  dataDir: string;
  /** Model name in the REST resource (the pack's name). */
  model?: string;
  /** Sizes ("WxH") and durations the pack supports, told to clients in hello. */
  sizes?: string[];
  durations?: number[];
  /** Where jobs are recorded; default SQLite in `<dataDir>/emerge.db`, recovered at start. */
  store?: JobStore;
  /** Queue, request, message, body and socket bounds; default DEFAULT_LIMITS. */
  limits?: Limits;
  /**
   * Runs of a job that may end in a server crash before it is failed as
   * "interrupted"; graceful restarts do not count. Default 3.
   */
  maxAttempts?: number;
  /** Lifecycle events kept per job for resume; default 1024. */
  logEvents?: number;
  /** How long a WS job outlives its last socket; default 30 s. */
  graceMs?: number;
  /** How long a finished job stays live for resume; default 10 min. */
  retainMs?: number;
  /** Hold previews while a socket has more than this queued; default 256 KiB. */
  maxBufferedBytes?: number;
  /** How soon a held socket is looked at again; default 25 ms. */
  retryMs?: number;
  /** API keys, WebSocket origins, token lifetime; see server/auth/config.ts. */
  security?: Partial<SecurityConfig>;
  /** Null when jobs can be taken, else why not (/readyz); default always ready. */
  notReady?: () => string | null;
}

/** A built server, not yet listening. */
export interface EmergeApp {
  app: Hono;
  registry: JobRegistry;
  stats: StreamStats;
  /** Open WebSockets by address. */
  sockets: OpenSockets;
  /** What start-up recovery re-ran; null when the store is not durable. */
  recovery: RecoveryReport | null;
  /** Listens on `port` (0 picks a free one); resolves once it serves. */
  serve(port: number, hostname?: string): Promise<RunningServer>;
  /** Checkpoints live jobs (they stay unfinished in the store) and closes the store. */
  close(): Promise<void>;
}

/** A listening server. */
export interface RunningServer {
  port: number;
  /** http://host:port */
  url: string;
  /**
   * Graceful shutdown (server/shutdown.ts): new work gets 503/`busy`, running jobs
   * get `deadlineMs` (default 0) to finish, the rest stay queued in the store.
   */
  shutdown(deadlineMs?: number): Promise<ShutdownReport>;
}

/** Builds the app around `options.engine`. */
export function createApp(options: AppOptions): EmergeApp {
  const graceMs = options.graceMs ?? 30_000;
  const logEvents = options.logEvents ?? 1024;
  const limits = options.limits ?? DEFAULT_LIMITS;
  Deno.mkdirSync(options.dataDir, { recursive: true });
  const store = options.store ?? new SqliteJobStore(join(options.dataDir, "emerge.db"));
  // Metering wraps the engine, so jobs from every door are counted the same way.
  const engine = new MeteredEngine(options.engine);
  const security = { ...securityFromEnv({}), ...options.security };
  const registry = new JobRegistry({
    engine,
    dataDir: options.dataDir,
    limits,
    store,
    model: options.model ?? "emerge",
    logEvents,
    graceMs,
    retainMs: options.retainMs ?? 600_000,
  });
  const stats = new StreamStats();
  const capabilities: ServerCapabilities = {
    previewFormats: ["jpeg", "webp"],
    audio: true,
    resume: true,
    frameBundles: true,
    audioFormats: ["pcm_s16", "pcm_f32"],
    sizes: options.sizes ?? [],
    durations: options.durations ?? [],
    logEvents,
    graceSeconds: graceMs / 1000,
    // So a form can bound its inputs as this server does (EMERGE_MAX_STEPS ...).
    maxSteps: limits.maxSteps,
    maxPromptChars: limits.maxPromptChars,
    maxMessageBytes: limits.maxMessageBytes,
  };
  const app = new Hono();
  const gate = { draining: false };
  const sockets = new OpenSockets(limits.maxSocketsPerAddress);
  guardHttp(app, { gate, maxBodyBytes: limits.maxBodyBytes });
  guardSockets(app, "/v1/stream", sockets);
  healthRoutes(app, options.notReady ?? (() => null));
  guard(app, {
    keys: new ApiKeys(security.apiKeys),
    tokens: new TokenIssuer(security.tokenTtlMs),
    allowedOrigins: security.allowedOrigins,
  });
  streamRoute(app, {
    registry,
    capabilities,
    server: SERVER_NAME,
    maxBufferedBytes: options.maxBufferedBytes ?? 256 * 1024,
    retryMs: options.retryMs ?? 25,
    stats,
    maxMessageBytes: limits.maxMessageBytes,
  });
  openaiRoutes(app, registry, capabilities);
  videosRoute(app, registry);
  openApiRoutes(app, SERVER_NAME);
  metricsRoute(app, {
    meter: engine.meter,
    stream: stats,
    modelStats: () => (options.engine as { stats?: () => ModelCallStats | undefined }).stats?.(),
    jobsInMemory: () => registry.size,
  });
  pageRoutes(app);
  jsonFallbacks(app);
  // Acknowledged jobs a previous run left unfinished start again before any new one.
  const recovery = store instanceof SqliteJobStore
    ? recoverJobs(registry, store, {
      dataDir: options.dataDir,
      maxAttempts: options.maxAttempts ?? 3,
    })
    : null;
  const close = async () => {
    await gracefulShutdown({ registry, store, sockets, gate }, 0);
  };

  async function serve(port: number, hostname = "127.0.0.1"): Promise<RunningServer> {
    const { promise, resolve } = Promise.withResolvers<Deno.NetAddr>();
    const server = Deno.serve({ port, hostname, onListen: resolve }, app.fetch);
    const addr = await promise;
    return {
      port: addr.port,
      url: `http://${addr.hostname}:${addr.port}`,
      shutdown: (deadlineMs = 0) =>
        gracefulShutdown({ registry, store, sockets, gate, server }, deadlineMs),
    };
  }
  return { app, registry, stats, sockets, recovery, serve, close };
}
