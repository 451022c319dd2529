/**
 * The per-address socket cap at the WebSocket door: a middleware reserves a slot
 * before the upgrade (over the cap: 429 `busy`, one cheap HTTP answer), and the
 * stream route reports open and close through {@linkcode socketSlot}, so shutdown
 * can close every socket and a socket that vanished still frees its slot.
 */
import type { Context, Hono } from "hono";
import { errorBody } from "../http/api_error.ts";
import { remoteAddress } from "./http.ts";
import type { OpenSocket, OpenSockets } from "./sockets.ts";

/** The stream route's view of its reserved slot. */
export interface SocketSlot {
  /** The upgrade finished: `socket` joins the close list. */
  opened(socket: OpenSocket): void;
  /** The socket ended (close, error or reset); safe to call more than once. */
  closed(): void;
}

declare module "hono" {
  interface ContextVariableMap {
    /** Set by guardSockets on the stream path; see server/limits/ws.ts. */
    socketSlot: SocketSlot | undefined;
  }
}

/** The slot guardSockets reserved for this upgrade, if it runs. */
export function socketSlot(c: Context): SocketSlot | undefined {
  return c.get("socketSlot");
}

/** Mounts the per-address cap on `path` (the WebSocket endpoint). */
export function guardSockets(app: Hono, path: string, sockets: OpenSockets): void {
  app.use(path, async (c, next) => {
    const address = remoteAddress(c);
    if (!sockets.reserve(address)) {
      return c.json(
        errorBody(
          429,
          "busy",
          `Cannot open socket: address "${address}" has ${sockets.maxPerAddress} open, the limit`,
        ),
        429,
      );
    }
    let socket: OpenSocket | undefined;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      sockets.release(address, socket);
    };
    c.set("socketSlot", {
      opened(s) {
        socket = s;
        if (!released) sockets.add(s);
      },
      closed: release,
    });
    await next();
    // Not upgraded (a plain GET, a refused auth): the slot was never used.
    if (c.res.status !== 101) release();
  });
}
