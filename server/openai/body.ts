/**
 * Reads a request body the way OpenAI's API does: JSON, or a form (multipart or
 * urlencoded), which is how the official client sends `videos.create`. A form
 * gives text fields; the schema accepts numbers as text, so both read the same.
 */
import type { Context } from "hono";
import { ApiFailure } from "./failure.ts";

/** The body of `c` as a plain object; throws an ApiFailure (400) when unreadable. */
export async function readBody(c: Context, action: string): Promise<Record<string, unknown>> {
  const type = c.req.header("content-type") ?? "";
  if (type.includes("multipart/form-data") || type.includes("application/x-www-form-urlencoded")) {
    const form = await c.req.parseBody().catch((cause) => {
      throw new ApiFailure(400, "invalid_body", `${action}: the form cannot be read`, null, {
        cause,
      });
    });
    for (const [name, value] of Object.entries(form)) {
      if (typeof value !== "string") {
        throw new ApiFailure(
          400,
          "unsupported_parameter",
          `${action}: field "${name}" is a file, and Emerge takes no reference files`,
          name,
        );
      }
    }
    return form as Record<string, string>;
  }
  const text = await c.req.text();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ApiFailure(400, "invalid_json", `${action}: the body is not JSON`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ApiFailure(400, "invalid_json", `${action}: the body is not a JSON object`);
  }
  return raw as Record<string, unknown>;
}
