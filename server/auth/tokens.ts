/**
 * Short-lived tokens for what a browser cannot send headers on: the WebSocket
 * upgrade and `<video src>`. A page trades its API key for one
 * (`POST /v1/tokens`), so no long-lived key ever sits in a URL, a log line or the
 * history. A token is `base64url(payload).base64url(hmac)`, signed with a secret
 * made at start: a restart voids every token, which their short life allows.
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

/** What a valid token says. */
export interface TokenClaims {
  /** The owner id, or null when the server has no keys. */
  owner: string | null;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

/** Issues and checks tokens. */
export class TokenIssuer {
  #secret: Uint8Array;
  #ttlMs: number;
  #now: () => number;

  /** `ttlMs`: lifetime of each token; `now` is for tests. */
  constructor(ttlMs: number, now: () => number = Date.now) {
    this.#secret = crypto.getRandomValues(new Uint8Array(32));
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** A new token for `owner`. */
  issue(owner: string | undefined): { token: string; expiresAt: number } {
    const expiresAt = this.#now() + this.#ttlMs;
    const payload = Buffer.from(JSON.stringify({ o: owner ?? null, e: expiresAt }))
      .toString("base64url");
    return { token: `${payload}.${this.#sign(payload)}`, expiresAt };
  }

  /** The claims of `token`, or null when it is forged, malformed or expired. */
  verify(token: string): TokenClaims | null {
    const [payload, signature, extra] = token.split(".");
    if (!payload || !signature || extra !== undefined) return null;
    const expected = Buffer.from(this.#sign(payload));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const { o, e } = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
      if (typeof e !== "number" || e <= this.#now()) return null;
      return { owner: typeof o === "string" ? o : null, expiresAt: e };
    } catch {
      return null;
    }
  }

  #sign(payload: string): string {
    return createHmac("sha256", this.#secret).update(payload).digest("base64url");
  }
}
