import assert from "node:assert/strict";
import { ConfigError, configFromEnv } from "./config.ts";
import { DEFAULT_LIMITS } from "./limits/limits.ts";

Deno.test("config defaults to loopback:8080, ./data and the default pack", () => {
  assert.deepEqual(configFromEnv({}), {
    host: "127.0.0.1",
    port: 8080,
    dataDir: "./data",
    packDir: "models/default",
    graceMs: 30_000,
    shutdownMs: 20_000,
    dbSync: "normal",
    device: "cpu",
    limits: { ...DEFAULT_LIMITS },
  });
});

Deno.test("config reads the environment and names a bad value", () => {
  const config = configFromEnv({ HOST: "0.0.0.0", PORT: "9000", EMERGE_GRACE_SECONDS: "2" });
  assert.equal(config.host, "0.0.0.0");
  assert.equal(config.port, 9000);
  assert.equal(config.graceMs, 2000);
  assert.throws(() => configFromEnv({ PORT: "http" }), /Cannot read PORT: "http" is not a number/);
});

Deno.test("config reads limits and the shutdown deadline, and names a bad limit", () => {
  const config = configFromEnv({
    EMERGE_MAX_QUEUE: "3",
    EMERGE_MAX_SOCKETS_PER_ADDRESS: "500",
    EMERGE_SHUTDOWN_SECONDS: "5",
    EMERGE_DB_SYNC: "full",
  });
  assert.equal(config.limits.maxQueue, 3);
  assert.equal(config.limits.maxSocketsPerAddress, 500);
  assert.equal(config.limits.maxSteps, DEFAULT_LIMITS.maxSteps);
  assert.equal(config.shutdownMs, 5000);
  assert.equal(config.dbSync, "full");
  assert.throws(
    () => configFromEnv({ EMERGE_MAX_QUEUE: "0" }),
    /Cannot read EMERGE_MAX_QUEUE: "0" is not a whole number above 0/,
  );
  assert.throws(
    () => configFromEnv({ EMERGE_MAX_STEPS: "1000" }),
    /Cannot use EMERGE_MAX_STEPS=1000: the engine accepts at most 500, so it would not take effect/,
  );
  assert.equal(configFromEnv({ EMERGE_MAX_STEPS: "500" }).limits.maxSteps, 500);
  assert.throws(() => configFromEnv({ EMERGE_DB_SYNC: "yes" }), /EMERGE_DB_SYNC: "yes"/);
});

Deno.test("config reads EMERGE_DEVICE, cpu unless cuda is asked, and names a bad one", () => {
  assert.equal(configFromEnv({ EMERGE_DEVICE: "" }).device, "cpu");
  assert.equal(configFromEnv({ EMERGE_DEVICE: "cpu" }).device, "cpu");
  assert.equal(configFromEnv({ EMERGE_DEVICE: "cuda" }).device, "cuda");
  assert.throws(
    () => configFromEnv({ EMERGE_DEVICE: "gpu" }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message === 'Cannot read EMERGE_DEVICE: "gpu" is not "cpu" or "cuda"',
  );
});

Deno.test("config reads EMERGE_DENOISE_LANE as on or off, unset leaves the engine's default", () => {
  assert.equal(configFromEnv({}).denoiseLane, undefined);
  assert.equal(configFromEnv({ EMERGE_DENOISE_LANE: "" }).denoiseLane, undefined);
  assert.equal(configFromEnv({ EMERGE_DENOISE_LANE: "on" }).denoiseLane, true);
  assert.equal(configFromEnv({ EMERGE_DENOISE_LANE: "off" }).denoiseLane, false);
  assert.throws(
    () => configFromEnv({ EMERGE_DENOISE_LANE: "yes" }),
    (error: Error) =>
      error instanceof ConfigError &&
      error.message === 'Cannot read EMERGE_DENOISE_LANE: "yes" is not "on" or "off"',
  );
});
