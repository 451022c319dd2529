/**
 * A REST request that cannot be served, thrown by the OpenAI-compatible handlers
 * and turned into an OpenAI-shaped error answer in one place (the routes).
 */
import type { ErrorStatus } from "../http/api_error.ts";

/** Carries the status, the stable code and the field (param) at fault. */
export class ApiFailure extends Error {
  override name = "ApiFailure";
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    readonly param: string | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Throws the first zod issue of a failed parse as a 400 naming the field. */
export function invalidField(
  action: string,
  issues: readonly { path: PropertyKey[]; message: string }[],
): never {
  const issue = issues[0];
  const param = issue?.path.map(String).join(".") || null;
  const why = issue?.message.toLowerCase() ?? "is invalid";
  throw new ApiFailure(
    400,
    "invalid_request",
    param ? `${action}: field "${param}" ${why}` : `${action}: ${why}`,
    param,
  );
}
