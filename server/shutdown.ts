/**
 * Graceful shutdown, in the order that loses nothing: refuse new work (HTTP 503,
 * WS generate `busy`), give running jobs until the deadline to finish, then
 * checkpoint the rest (they stay unfinished in the store, so the next start runs
 * them again from their seed), close every socket with 1001 and a reason, stop
 * listening, and close the store last, after every job wrote its final state.
 */
import type { Gate } from "./limits/http.ts";
import type { OpenSockets } from "./limits/sockets.ts";
import type { JobRegistry } from "./jobs/registry.ts";
import type { JobStore } from "./jobs/store.ts";

/** Close code for "the server is going away" (RFC 6455 §7.4.1). */
export const CLOSE_GOING_AWAY = 1001;
/** Close reason sent with {@linkcode CLOSE_GOING_AWAY}. */
export const CLOSE_SHUTDOWN_REASON = "server shutting down";

/** What a shutdown touches. */
export interface ShutdownParts {
  registry: JobRegistry;
  store: JobStore & { requeue?(id: string): void; close?(): void };
  sockets: OpenSockets;
  gate: Gate;
  /** The listener; absent when the app never served. */
  server?: Deno.HttpServer;
}

/** How a shutdown went. */
export interface ShutdownReport {
  /** Jobs that finished within the deadline. */
  finished: number;
  /** Jobs left unfinished in the store, to run on the next start. */
  checkpointed: string[];
}

/** Runs the shutdown sequence; jobs get `deadlineMs` to finish. */
export async function gracefulShutdown(
  parts: ShutdownParts,
  deadlineMs: number,
): Promise<ShutdownReport> {
  const { registry, store, sockets, gate, server } = parts;
  gate.draining = true;
  registry.drain();
  const running = registry.running();
  if (running.length > 0 && deadlineMs > 0) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(running.map((job) => job.settled)),
      new Promise((resolve) => (timer = setTimeout(resolve, deadlineMs))),
    ]);
    clearTimeout(timer);
  }
  const left = registry.running();
  for (const job of left) {
    // Requeue first: if the process dies between the two, the job is still unfinished.
    store.requeue?.(job.id);
    job.checkpoint();
  }
  sockets.closeAll(CLOSE_GOING_AWAY, CLOSE_SHUTDOWN_REASON);
  await sockets.closed(1000);
  await registry.close();
  if (server) await bounded(server.shutdown(), 2000);
  store.close?.();
  return { finished: running.length - left.length, checkpointed: left.map((job) => job.id) };
}

/** `promise`, or nothing after `ms`: a peer that never acknowledges a close must not hold exit. */
async function bounded(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
