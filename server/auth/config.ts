/**
 * Auth settings from the environment, beside server/config.ts (kept apart so
 * the two grow without touching each other). Pure, so a test checks it directly.
 */
import { number } from "../config.ts";

/** Keys, origins and token lifetime (size caps are server/limits/). */
export interface SecurityConfig {
  /** EMERGE_API_KEYS, comma separated; empty turns auth off. */
  apiKeys: string[];
  /** EMERGE_ALLOWED_ORIGINS, comma separated, "*" for any; empty: same origin + loopback. */
  allowedOrigins: string[];
  /** EMERGE_TOKEN_SECONDS, default 600: lifetime of a WebSocket token. */
  tokenTtlMs: number;
}

/** Reads `env` (Deno.env.toObject() in main). */
export function securityFromEnv(env: Record<string, string | undefined>): SecurityConfig {
  return {
    apiKeys: list(env.EMERGE_API_KEYS),
    allowedOrigins: list(env.EMERGE_ALLOWED_ORIGINS),
    tokenTtlMs: number(env, "EMERGE_TOKEN_SECONDS", 600, 1, 86_400) * 1000,
  };
}

function list(raw: string | undefined): string[] {
  return (raw ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
}
