import assert from "node:assert/strict";
import { configFromEnv } from "./config.ts";

Deno.test("config defaults to loopback:8080, ./data and the default pack", () => {
  assert.deepEqual(configFromEnv({}), {
    host: "127.0.0.1",
    port: 8080,
    dataDir: "./data",
    packDir: "models/default",
    graceMs: 30_000,
  });
});

Deno.test("config reads the environment and names a bad value", () => {
  const config = configFromEnv({ HOST: "0.0.0.0", PORT: "9000", EMERGE_GRACE_SECONDS: "2" });
  assert.equal(config.host, "0.0.0.0");
  assert.equal(config.port, 9000);
  assert.equal(config.graceMs, 2000);
  assert.throws(() => configFromEnv({ PORT: "http" }), /Cannot read PORT: "http" is not a number/);
});
