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
import { SqliteJobStore } from "./store/sqlite.ts";
import { errorMessage } from "../core/errors.ts";

/** What the hello and the REST resource tell about the pack. */
interface PackFacts {
  name?: string;
  sizes?: { width: number; height: number }[];
  durations?: number[];
}

/** Exit status when the server cannot start (bad config, a pack that does not load). */
export const EXIT_START_FAILED = 2;

/** Runs `fn`; on failure prints its sentence and exits with EXIT_START_FAILED, no stack. */
async function orExit<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    console.error(`emerge: ${errorMessage(error)}`);
    Deno.exit(EXIT_START_FAILED);
  }
}

if (import.meta.main) {
  const config = await orExit(() => configFromEnv(Deno.env.toObject()));
  const security = await orExit(() => securityFromEnv(Deno.env.toObject()));
  // The store locks the data folder, so it opens first: a second server on the
  // same folder is refused at once, before it binds a port or loads a pack.
  await Deno.mkdir(config.dataDir, { recursive: true });
  const store = await orExit(() =>
    new SqliteJobStore(join(config.dataDir, "emerge.db"), { sync: config.dbSync })
  );
  // Alive but not ready while the pack loads: /healthz 200, /readyz 503.
  const loading = await serveLoading(config.port, config.host);
  console.log(`emerge loading pack "${config.packDir}" on port ${loading.port}`);
  // A pack that cannot load (corrupt ONNX, wrong manifest) is an operator error:
  // refuse to start with the engine's sentence rather than accept jobs that all fail.
  const engine = await orExit(() =>
    Engine.load(config.packDir, {
      device: config.device,
      ...(config.denoiseLane !== undefined ? { denoiseLane: config.denoiseLane } : {}),
    })
  );
  const pack = JSON.parse(
    await Deno.readTextFile(join(config.packDir, "manifest.json")),
  ) as PackFacts;
  const emerge = createApp({
    engine,
    store,
    limits: config.limits,
    dataDir: config.dataDir,
    model: pack.name ?? "emerge",
    sizes: pack.sizes?.map((s) => `${s.width}x${s.height}`) ?? [],
    durations: pack.durations ?? [],
    graceMs: config.graceMs,
    security,
  });
  const recovered = emerge.recovery;
  if (recovered && recovered.resumed.length + recovered.repaired.length > 0) {
    console.log(
      `emerge recovered ${recovered.resumed.length} unfinished and ${recovered.repaired.length} damaged jobs`,
    );
  }
  if (recovered && recovered.abandoned.length > 0) {
    // An operator must see these: each crashed the server on every run, so it
    // is likely a poison request, and its client now only sees "failed".
    console.log(
      `emerge gave up on ${recovered.abandoned.length} ${
        recovered.abandoned.length === 1 ? "job that" : "jobs that each"
      } crashed the server on every run: ${recovered.abandoned.join(", ")}`,
    );
  }
  await loading.stop();
  const server = await emerge.serve(loading.port, config.host);
  console.log(
    `emerge serving ${server.url} (pack "${config.packDir}", data "${config.dataDir}", device ${engine.device})`,
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return; // a second signal while draining changes nothing
    stopping = true;
    const report = await server.shutdown(config.shutdownMs);
    await engine.close();
    console.log(
      `emerge stopped: ${report.finished} jobs finished, ${report.checkpointed.length} left queued`,
    );
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
