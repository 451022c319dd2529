/**
 * Reads {@linkcode Limits} from the environment: each limit has one variable
 * (LIMIT_ENV), a positive whole number, at most what the engine accepts; unset means
 * the default.
 */
import { LIMITS as GEOMETRY_LIMITS } from "../../core/geometry.ts";
import { REQUEST_LIMITS } from "../../core/request.ts";
import { DEFAULT_LIMITS, LIMIT_ENV, type Limits } from "./limits.ts";

/**
 * What the engine itself accepts at most: a server limit set above one of these would
 * only move the refusal from the server's sentence to the engine's, so it is refused
 * at startup instead of silently not taking effect.
 */
const ENGINE_CEILINGS: Partial<Record<keyof Limits, number>> = {
  maxPromptChars: REQUEST_LIMITS.maxPromptChars,
  maxSteps: REQUEST_LIMITS.maxSteps,
  maxPixels: GEOMETRY_LIMITS.maxSide * GEOMETRY_LIMITS.maxSide,
  maxSeconds: GEOMETRY_LIMITS.maxSeconds,
};

/** Thrown for a variable that is not a positive whole number. */
export class LimitConfigError extends Error {
  override name = "ConfigError";
}

/** The limits `env` sets, defaults elsewhere. */
export function limitsFromEnv(env: Record<string, string | undefined>): Limits {
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(LIMIT_ENV) as (keyof Limits)[]) {
    const name = LIMIT_ENV[key];
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new LimitConfigError(`Cannot read ${name}: "${raw}" is not a whole number above 0`);
    }
    const ceiling = ENGINE_CEILINGS[key];
    if (ceiling !== undefined && value > ceiling) {
      throw new LimitConfigError(
        `Cannot use ${name}=${value}: the engine accepts at most ${ceiling}, so it would not take effect`,
      );
    }
    limits[key] = value;
  }
  return limits;
}
