/**
 * `GET /v1/stream`: the thin adapter that binds a Deno WebSocket, via hono's
 * `upgradeWebSocket`, to the runtime-neutral {@linkcode StreamSession}.
 */
import type { Hono } from "hono";
import { upgradeWebSocket } from "hono/deno";
import { ownerOf } from "../auth/owner.ts";
import { socketSlot } from "../limits/ws.ts";
import { type SessionOptions, StreamSession } from "../ws/session.ts";

/** Mounts the stream endpoint on `app`. */
export function streamRoute(app: Hono, options: SessionOptions): void {
  app.get(
    "/v1/stream",
    upgradeWebSocket((c) => {
      // The auth guard ran before the upgrade; the socket's jobs are its caller's.
      const owner = ownerOf(c);
      const sessionOptions = owner === undefined ? options : { ...options, owner };
      let session: StreamSession | undefined;
      // The per-address cap's slot (server/limits/ws.ts); freed on close, error or reset.
      const slot = socketSlot(c);
      return {
        onOpen(_event, ws) {
          const raw = ws.raw as WebSocket;
          raw.binaryType = "arraybuffer";
          session = new StreamSession({
            send: (data) => raw.readyState === WebSocket.OPEN && raw.send(data),
            get bufferedAmount() {
              return raw.bufferedAmount;
            },
            close: (code, reason) => raw.close(code, reason),
          }, sessionOptions);
          slot?.opened({ close: (code, reason) => raw.close(code, reason) });
        },
        onMessage(event) {
          session?.receive(event.data);
        },
        onClose() {
          session?.closed();
          slot?.closed();
        },
        onError() {
          session?.closed();
          slot?.closed();
        },
      };
    }),
  );
}
