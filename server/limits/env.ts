/**
 * Reads {@linkcode Limits} from the environment: each limit has one variable
 * (LIMIT_ENV), a positive whole number; unset means the default.
 */
import { DEFAULT_LIMITS, LIMIT_ENV, type Limits } from "./limits.ts";

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
    limits[key] = value;
  }
  return limits;
}
