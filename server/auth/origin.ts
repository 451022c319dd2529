/**
 * Which pages may open a WebSocket. Browsers send cookies and ambient
 * credentials with an upgrade from any site, and CORS does not cover
 * WebSockets, so the Origin header is checked here (cross-site WebSocket
 * hijacking). Clients that are not browsers send no Origin and pass.
 */

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Whether an upgrade with `origin`, to a server reached as `host`, is allowed.
 * `allowed` lists origins ("https://app.example"), or "*" for any; empty means
 * the server's own origin and loopback pages.
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[],
): boolean {
  if (origin === undefined) return true;
  if (allowed.includes("*")) return true;
  if (allowed.length > 0) return allowed.includes(origin);
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return url.host === host || LOOPBACK.has(url.hostname);
}
