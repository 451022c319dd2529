/**
 * The answers no route gives: an unknown path, and an exception a handler did not
 * expect. Both come in the REST error shape (api_error.ts) instead of Hono's
 * plain-text 404 and 500, so a client reads every error of this server the same
 * way, and the official OpenAI clients raise their typed errors for them too.
 */
import type { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { apiError } from "./api_error.ts";

/** Mounts the not-found and error handlers on `app`. */
export function jsonFallbacks(app: Hono): void {
  app.notFound((c) =>
    apiError(c, 404, "not_found", `Cannot find route "${c.req.method} ${c.req.path}"`)
  );
  app.onError((error, c) => {
    // Hono's own HTTP errors carry the answer they mean.
    if (error instanceof HTTPException) return error.getResponse();
    // The cause stays in the server's log: it may name files or the database.
    console.error(`emerge: Cannot handle "${c.req.method} ${c.req.path}":`, error);
    return apiError(
      c,
      500,
      "internal",
      `Cannot handle "${c.req.method} ${c.req.path}": the server failed unexpectedly`,
    );
  });
}
