/**
 * The guards in front of `/v1/*`: caller identity (API key or token) and the
 * WebSocket origin allowlist (the body and message caps are server/limits/).
 * Each answers in OpenAI's error shape, so SDKs raise their typed errors.
 */
import type { Hono, MiddlewareHandler } from "hono";
import { apiError } from "../http/api_error.ts";
import type { ApiKeys } from "./keys.ts";
import { originAllowed } from "./origin.ts";
import type { TokenIssuer } from "./tokens.ts";

/** What the guards need. */
export interface GuardOptions {
  keys: ApiKeys;
  tokens: TokenIssuer;
  /** See {@linkcode originAllowed}. */
  allowedOrigins: readonly string[];
}

/**
 * Sets the caller's owner on the context. With keys configured, a request needs
 * `Authorization: Bearer <key or token>`; a GET or HEAD may carry `?token=`
 * instead, for what browsers fetch without headers (the WebSocket, `<video src>`).
 * Keys are never accepted in URLs, and tokens only read: a token leaks with the URL
 * that carries it (logs, history, Referer), so it must not create or delete jobs
 * over REST. (The WebSocket it opens still streams, steers and cancels, its purpose.)
 */
export function authenticate(keys: ApiKeys, tokens: TokenIssuer): MiddlewareHandler {
  return async (c, next) => {
    if (!keys.enabled) {
      c.set("owner", undefined);
      return await next();
    }
    const bearer = c.req.header("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const reading = c.req.method === "GET" || c.req.method === "HEAD";
    const keyOwner = bearer === undefined ? undefined : keys.owner(bearer);
    const tokenHolder = bearer === undefined || keyOwner !== undefined
      ? undefined
      : tokenOwner(bearer);
    const query = reading ? c.req.query("token") : undefined;
    const viaQuery = query === undefined ? undefined : tokenOwner(query);
    if (tokenHolder !== undefined && !reading) {
      return apiError(
        c,
        401,
        "invalid_api_key",
        `Cannot authorize request: a token only reads (GET); ${c.req.method} needs the API key`,
      );
    }
    const found = keyOwner ?? tokenHolder ?? viaQuery;
    if (found === undefined) {
      return apiError(
        c,
        401,
        "invalid_api_key",
        bearer === undefined && query === undefined
          ? "Cannot authorize request: send Authorization: Bearer with an API key"
          : "Cannot authorize request: the API key or token is wrong or expired",
      );
    }
    c.set("owner", found);
    await next();
  };

  function tokenOwner(token: string): string | undefined {
    return tokens.verify(token)?.owner ?? undefined;
  }
}

/** Refuses WebSocket upgrades from pages not on the allowlist (403). */
export function checkOrigin(allowed: readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (!originAllowed(origin, c.req.header("host"), allowed)) {
      return apiError(
        c,
        403,
        "origin_not_allowed",
        `Cannot open stream: origin "${origin}" is not allowed`,
      );
    }
    await next();
  };
}

/** Mounts the guards and `POST /v1/tokens` on `app`; call before the routes. */
export function guard(app: Hono, options: GuardOptions): void {
  app.use("/v1/*", authenticate(options.keys, options.tokens));
  app.use("/v1/stream", checkOrigin(options.allowedOrigins));
  app.post("/v1/tokens", (c) => {
    // A token must not mint tokens: that would let a leaked URL live forever.
    const bearer = c.req.header("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (options.keys.enabled && (bearer === undefined || !options.keys.owner(bearer))) {
      return apiError(
        c,
        401,
        "invalid_api_key",
        "Cannot issue token: send an API key, not a token",
      );
    }
    const { token, expiresAt } = options.tokens.issue(c.get("owner"));
    return c.json({ token, expires_at: Math.floor(expiresAt / 1000) });
  });
}
