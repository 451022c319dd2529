/**
 * Errors of the REST API in OpenAI's shape, `{error: {message, type, param,
 * code}}`, so the official clients raise their typed errors (BadRequestError,
 * AuthenticationError, NotFoundError, ...) from the status, and read our code
 * and sentence from the body.
 */
import type { Context } from "hono";

/** The statuses the API answers errors with. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 503;

/** OpenAI's error `type` per status. */
const TYPES: Record<ErrorStatus, string> = {
  400: "invalid_request_error",
  401: "invalid_request_error",
  403: "invalid_request_error",
  404: "invalid_request_error",
  409: "invalid_request_error",
  413: "invalid_request_error",
  429: "rate_limit_error",
  500: "server_error",
  503: "server_error",
};

/** The body of an error answer. */
export interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string };
}

/** The body for `status` with a stable `code` and a human `message`. */
export function errorBody(
  status: ErrorStatus,
  code: string,
  message: string,
  param: string | null = null,
): ErrorBody {
  return { error: { message, type: TYPES[status], param, code } };
}

/**
 * An error answer.
 *
 * @example
 * ```ts
 * return apiError(c, 404, "video_not_found", `Cannot find video "${id}"`);
 * ```
 */
export function apiError(
  c: Context,
  status: ErrorStatus,
  code: string,
  message: string,
  param: string | null = null,
): Response {
  return c.json(errorBody(status, code, message, param), status);
}
