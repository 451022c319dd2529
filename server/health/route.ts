/**
 * `/healthz` (the process answers) and `/readyz` (it can take jobs: the pack is
 * loaded). Orchestrators restart on the first and route traffic on the second.
 */
import type { Hono } from "hono";
import { apiError } from "../http/api_error.ts";

/** Mounts both; `notReady` returns null when ready, else the reason. */
export function healthRoutes(app: Hono, notReady: () => string | null): void {
  app.get("/healthz", (c) => c.text("ok"));
  app.get("/readyz", (c) => {
    const reason = notReady();
    return reason === null ? c.text("ready") : apiError(c, 503, "not_ready", reason);
  });
}
