/**
 * Why a job could not start, or a steer could not apply, as one stable code: a WS
 * `generate` or `steer` answers it in an error event, REST create picks its status
 * from it. The engine's errors carry their own code (core/errors.ts), so "the engine
 * is shutting down" reads `engine_closed`, not a fault of the request.
 */
import { ERROR_CODES, type ErrorCode } from "../../client/protocol.ts";
import { LimitError } from "../limits/limits.ts";

/**
 * Errors without a code that still mean the request is wrong: toEngineInput's
 * RangeError, and an engine's input error from before codes (the test fakes').
 */
const BAD_INPUT = new Set(["EngineError", "InvalidRequestError", "RangeError"]);

/**
 * The code for an error thrown while starting or steering a job: a limit's, else
 * the error's own when it is a protocol code, else `invalid_request` for bad input,
 * else `internal`.
 *
 * @example
 * ```ts
 * refusalCode(new EngineClosedError("Cannot start job: the engine is closed")); // "engine_closed"
 * ```
 */
export function refusalCode(error: unknown): ErrorCode {
  if (error instanceof LimitError) return error.code;
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  if (isErrorCode(code)) return code;
  if (error instanceof Error && BAD_INPUT.has(error.name)) return "invalid_request";
  return "internal";
}

function isErrorCode(code: unknown): code is ErrorCode {
  return (ERROR_CODES as readonly unknown[]).includes(code);
}
