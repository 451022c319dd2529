/**
 * The demo page: `/` (index.html), `/page/app.js` with the modules it imports
 * and `/page/style.css` from this folder, and `/client/emerge.js`, the client
 * library's browser bundle the page is built on. Only the named files are
 * served, so no request names a path.
 */
import type { Hono } from "hono";
import { join } from "node:path";
import { apiError } from "../http/api_error.ts";
import { ClientBundle } from "./bundle.ts";

const DIR = import.meta.dirname!;
const FILES: Record<string, string> = {
  "app.js": "text/javascript; charset=utf-8",
  "history.js": "text/javascript; charset=utf-8",
  "preview.js": "text/javascript; charset=utf-8",
  "tokens.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
};

/** Mounts the page routes; `bundle` is for tests that build elsewhere. */
export function pageRoutes(app: Hono, bundle = new ClientBundle()): void {
  app.get("/", async (c) => c.html(await Deno.readTextFile(join(DIR, "index.html"))));
  app.get("/page/:file", async (c) => {
    const file = c.req.param("file");
    const type = Object.hasOwn(FILES, file) ? FILES[file] : undefined;
    if (!type) return apiError(c, 404, "not_found", `Cannot find page file "${file}"`);
    return c.body(await Deno.readTextFile(join(DIR, file)), 200, {
      "content-type": type,
      "cache-control": "no-cache",
    });
  });
  app.get("/client/emerge.js", async (c) =>
    c.body(await bundle.text(), 200, {
      "content-type": "text/javascript; charset=utf-8",
      "cache-control": "no-cache",
    }));
}
