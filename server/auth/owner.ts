/**
 * Who is asking: the auth middleware puts the caller's owner id on the request
 * context, and every route that touches jobs scopes by it. With no API keys
 * configured it is undefined, and all callers share one space.
 */
import type { Context } from "hono";

declare module "hono" {
  interface ContextVariableMap {
    /** The caller's owner id; see server/auth/owner.ts. */
    owner: string | undefined;
  }
}

/** The owner of the request `c` (undefined when the server has no keys). */
export function ownerOf(c: Context): string | undefined {
  return c.get("owner");
}
