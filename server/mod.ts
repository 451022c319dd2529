/**
 * @module
 * The Emerge server: a Hono app on Deno.serve that speaks the WebSocket protocol,
 * the REST API, auth and limits, and serves the demo page. It knows nothing of ONNX.
 *
 * @example
 * ```ts
 * import { createApp } from "./mod.ts";
 * const emerge = createApp({ engine, dataDir: "./data" });
 * const server = await emerge.serve(8080);
 * ```
 */
export * from "./app.ts";
export * from "./config.ts";
export * from "./jobs/ids.ts";
export * from "./jobs/job.ts";
export * from "./jobs/registry.ts";
export * from "./jobs/store.ts";
export * from "./ws/session.ts";
export * from "./ws/socket.ts";
export * from "./ws/stats.ts";
