/**
 * Server settings from the environment, read once at start. A pure function of
 * the variables, so a test can check it without touching the process.
 */

/** Everything `deno task start` can be told. */
export interface ServerConfig {
  /** HOST, default 127.0.0.1: loopback unless asked. */
  host: string;
  /** PORT, default 8080. */
  port: number;
  /** EMERGE_DATA_DIR, default ./data: jobs and outputs. */
  dataDir: string;
  /** EMERGE_PACK, default models/default. */
  packDir: string;
  /** EMERGE_GRACE_SECONDS, default 30: how long a WS job outlives its socket. */
  graceMs: number;
}

/** Thrown when a variable cannot be read. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads `env` (Deno.env.toObject() in main). */
export function configFromEnv(env: Record<string, string | undefined>): ServerConfig {
  return {
    host: env.HOST || "127.0.0.1",
    port: number(env, "PORT", 8080, 0, 65535),
    dataDir: env.EMERGE_DATA_DIR || "./data",
    packDir: env.EMERGE_PACK || "models/default",
    graceMs: number(env, "EMERGE_GRACE_SECONDS", 30, 0, 86400) * 1000,
  };
}

function number(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`Cannot read ${name}: "${raw}" is not a number from ${min} to ${max}`);
  }
  return value;
}
