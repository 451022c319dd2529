/**
 * Server settings from the environment, read once at start. A pure function of
 * the variables, so a test can check it without touching the process.
 *
 * Limits (server/limits/limits.ts), each a positive whole number:
 * - EMERGE_MAX_QUEUE (64): unfinished jobs server-wide; over it `busy` / 429
 * - EMERGE_MAX_JOBS_PER_CLIENT (4): unfinished jobs per API key, else per socket
 * - EMERGE_MAX_PROMPT_CHARS (2000), EMERGE_MAX_PIXELS (262144 = 512x512),
 *   EMERGE_MAX_STEPS (200), EMERGE_MAX_SECONDS (20): one request; over them `invalid_request` / 400
 * - EMERGE_MAX_MESSAGE_BYTES (65536): one WS text frame; over it `too_large`
 * - EMERGE_MAX_BODY_BYTES (1048576): one HTTP body; over it 413 `too_large`
 * - EMERGE_MAX_SOCKETS_PER_ADDRESS (64): open WebSockets per remote IP; over it 429 `busy`
 *
 * Engine:
 * - EMERGE_DEVICE (cpu): "cpu" or "cuda"; cuda runs on the CPU, with a warning, where
 *   CUDA is unavailable
 * - EMERGE_DENOISE_LANE (on for the CPU, off for cuda): "on" or "off"; a second
 *   denoiser session in a worker that takes half of every denoiser call
 *   (core/pack/denoise_lane.ts); "off" leaves a core to other work on the machine
 */
import type { Device } from "../core/pack/load.ts";
import { type Limits, limitsFromEnv } from "./limits/mod.ts";

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
  /**
   * EMERGE_SHUTDOWN_SECONDS, default 20: on SIGTERM/SIGINT, how long running jobs
   * may take to finish; the rest stay queued in the database and run on next start.
   */
  shutdownMs: number;
  /**
   * EMERGE_DB_SYNC, "normal" (default) or "full": SQLite's fsync policy. Normal
   * survives any process crash; full also a power cut, at one fsync per write.
   */
  dbSync: "normal" | "full";
  /** EMERGE_DEVICE, "cpu" (default) or "cuda": where the pack's ONNX sessions run. */
  device: Device;
  /** EMERGE_DENOISE_LANE, "on" or "off"; unset: the engine's default for the device. */
  denoiseLane?: boolean;
  /** The EMERGE_MAX_* variables above. */
  limits: Limits;
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
    shutdownMs: number(env, "EMERGE_SHUTDOWN_SECONDS", 20, 0, 3600) * 1000,
    dbSync: dbSync(env.EMERGE_DB_SYNC),
    device: device(env.EMERGE_DEVICE),
    ...denoiseLane(env.EMERGE_DENOISE_LANE),
    limits: limitsFromEnv(env),
  };
}

/** `env[name]` as a number from `min` to `max`, `fallback` when unset; else a ConfigError. */
export function number(
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

function dbSync(raw: string | undefined): "normal" | "full" {
  if (raw === undefined || raw === "" || raw === "normal" || raw === "full") {
    return raw === "full" ? "full" : "normal";
  }
  throw new ConfigError(`Cannot read EMERGE_DB_SYNC: "${raw}" is not "normal" or "full"`);
}

function device(raw: string | undefined): Device {
  if (raw === undefined || raw === "" || raw === "cpu" || raw === "cuda") {
    return raw === "cuda" ? "cuda" : "cpu";
  }
  throw new ConfigError(`Cannot read EMERGE_DEVICE: "${raw}" is not "cpu" or "cuda"`);
}

function denoiseLane(raw: string | undefined): { denoiseLane?: boolean } {
  if (raw === undefined || raw === "") return {};
  if (raw === "on" || raw === "off") return { denoiseLane: raw === "on" };
  throw new ConfigError(`Cannot read EMERGE_DENOISE_LANE: "${raw}" is not "on" or "off"`);
}
