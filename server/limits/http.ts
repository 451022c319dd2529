/**
 * The HTTP side of the limits, as hono middleware in front of every route: a
 * server that is shutting down answers 503 to anything new, a body over the cap
 * gets 413 before any route reads it (the length header when there is one,
 * counted while streaming when not), and the remote address every per-address
 * limit keys on.
 */
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { errorBody } from "../http/api_error.ts";

/** Flipped once by graceful shutdown; the middleware reads it per request. */
export interface Gate {
  draining: boolean;
}

/** The caller's IP as the listener saw it; "unknown" off a real socket (app.request in tests). */
export function remoteAddress(c: Context): string {
  const env = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return env?.remoteAddr?.hostname ?? "unknown";
}

/** Mounts the drain gate and the body cap on `app`, ahead of the routes. */
export function guardHttp(app: Hono, options: { gate: Gate; maxBodyBytes: number }): void {
  const { gate, maxBodyBytes } = options;
  app.use("*", async (c, next) => {
    if (!gate.draining) return await next();
    c.header("connection", "close");
    c.header("retry-after", "5");
    return c.json(
      errorBody(503, "shutting_down", "Cannot handle request: the server is shutting down"),
      503,
    );
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) =>
        c.json(
          errorBody(
            413,
            "too_large",
            `Cannot read request: the body is over the ${maxBodyBytes}-byte limit`,
          ),
          413,
        ),
    }),
  );
}
