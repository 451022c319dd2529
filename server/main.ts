/**
 * `deno task start`: environment -> config -> engine -> app -> Deno.serve, and one
 * log line once it serves.
 *
 *     PORT=8080 EMERGE_DATA_DIR=./data EMERGE_PACK=models/default deno task start
 */
import { join } from "node:path";
import { Engine } from "../core/engine.ts";
import { createApp } from "./app.ts";
import { configFromEnv } from "./config.ts";
import { securityFromEnv } from "./auth/config.ts";
import { serveLoading } from "./health/loading_server.ts";

/** What the hello and the REST resource tell about the pack. */
interface PackFacts {
  name?: string;
  sizes?: { width: number; height: number }[];
  durations?: number[];
}

if (import.meta.main) {
  const config = configFromEnv(Deno.env.toObject());
  const security = securityFromEnv(Deno.env.toObject());
  // Alive but not ready while the pack loads: /healthz 200, /readyz 503.
  const loading = await serveLoading(config.port, config.host);
  console.log(`emerge loading pack "${config.packDir}" on port ${loading.port}`);
  const engine = await Engine.load(config.packDir);
  const pack = JSON.parse(
    await Deno.readTextFile(join(config.packDir, "manifest.json")),
  ) as PackFacts;
  await Deno.mkdir(config.dataDir, { recursive: true });
  const emerge = createApp({
    engine,
    dataDir: config.dataDir,
    model: pack.name ?? "emerge",
    sizes: pack.sizes?.map((s) => `${s.width}x${s.height}`) ?? [],
    durations: pack.durations ?? [],
    graceMs: config.graceMs,
    security,
  });
  await loading.stop();
  const server = await emerge.serve(loading.port, config.host);
  console.log(`emerge serving ${server.url} (pack "${config.packDir}", data "${config.dataDir}")`);
  const stop = async () => {
    await server.shutdown();
    await engine.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
