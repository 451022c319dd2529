// The API key this browser keeps, and the short-lived tokens the page trades it
// for (POST /v1/tokens): a token goes where a browser sends no headers (the
// WebSocket URL, a <video src>), so the key itself is never in a URL.

const KEY_KEY = "emerge.key";
/** The current token, its expiry (ms since the epoch) and its renewal timer. */
let token = null;
let expiresAt = 0;
let timer = 0;

/** The stored API key, "" when there is none. */
export function storedKey() {
  return localStorage.getItem(KEY_KEY) ?? "";
}

/** Stores `key`, or forgets the stored one when `key` is empty; true when it changed. */
export function storeKey(key) {
  if (key === storedKey()) return false;
  if (key) localStorage.setItem(KEY_KEY, key);
  else localStorage.removeItem(KEY_KEY);
  return true;
}

/**
 * Trades the stored key (if any) for a token and schedules its renewal at 80 %
 * of its life, so a long-open page keeps working. Resolves with the token, or
 * undefined when the key is refused; rejects when the server cannot be reached.
 */
export async function fetchToken() {
  const key = storedKey();
  const headers = key ? { authorization: `Bearer ${key}` } : {};
  const res = await fetch("/v1/tokens", { method: "POST", headers });
  if (res.status === 401) return undefined;
  if (!res.ok) throw new Error(`Cannot get a token: HTTP ${res.status}`);
  const body = await res.json();
  token = body.token;
  expiresAt = body.expires_at * 1000;
  renew(Math.max(1000, 0.8 * (expiresAt - Date.now())));
  return token;
}

/** Fetches a new token after `ms`; a failed try tries again 10 s later. */
function renew(ms) {
  clearTimeout(timer);
  timer = setTimeout(() => fetchToken().catch(() => renew(10_000)), ms);
}

/** Whether a token is known yet: with keys, no media loads without one. */
export function hasToken() {
  return token !== null;
}

/** A server URL with the current token, for what a browser fetches without headers. */
export function withToken(href) {
  const url = new URL(href, location.href);
  if (token) url.searchParams.set("token", token);
  return url.href;
}
