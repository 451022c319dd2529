/**
 * What answers on the port while the pack loads (seconds for a large one): the
 * process is alive (`/healthz` 200) but not ready (`/readyz` and everything else
 * 503, OpenAI's error shape), so an orchestrator can tell "starting" from
 * "dead". main.ts stops it and starts the real app on the same port once the
 * engine is in: the app is built after the load because start-up recovery
 * re-runs jobs on the engine.
 */
import { errorBody } from "../http/api_error.ts";

/** A listener to stop once the app can take over its port. */
export interface LoadingServer {
  port: number;
  /** Stops listening; resolves once the port is free. */
  stop(): Promise<void>;
}

/** Listens on `port` (0 picks one) and answers as "loading". */
export async function serveLoading(port: number, hostname: string): Promise<LoadingServer> {
  const { promise, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const body = JSON.stringify(errorBody(503, "not_ready", "The model pack is loading"));
  const server = Deno.serve({ port, hostname, onListen: resolve }, (req) => {
    if (new URL(req.url).pathname === "/healthz") return new Response("ok");
    return new Response(body, {
      status: 503,
      headers: { "content-type": "application/json", "retry-after": "2" },
    });
  });
  const addr = await promise;
  return { port: addr.port, stop: () => server.shutdown() };
}
