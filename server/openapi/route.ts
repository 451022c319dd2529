/** `GET /openapi.json` and `GET /docs`, both built once per server. */
import type { Hono } from "hono";
import { docsPage } from "./docs.ts";
import { openApiDocument } from "./spec.ts";

/** Mounts both on `app`. */
export function openApiRoutes(app: Hono, version: string): void {
  const doc = openApiDocument(version);
  const html = docsPage(doc);
  app.get("/openapi.json", (c) => c.json(doc));
  app.get("/docs", (c) => c.html(html));
}
