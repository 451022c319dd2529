/**
 * `GET /v1/stream`: the thin adapter that binds a Deno WebSocket, via hono's
 * `upgradeWebSocket`, to the runtime-neutral {@linkcode StreamSession}.
 */
import type { Hono } from "hono";
import { upgradeWebSocket } from "hono/deno";
import { type SessionOptions, StreamSession } from "../ws/session.ts";

/** Mounts the stream endpoint on `app`. */
export function streamRoute(app: Hono, options: SessionOptions): void {
  app.get(
    "/v1/stream",
    upgradeWebSocket(() => {
      let session: StreamSession | undefined;
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
          }, options);
        },
        onMessage(event) {
          session?.receive(event.data);
        },
        onClose() {
          session?.closed();
        },
        onError() {
          session?.closed();
        },
      };
    }),
  );
}
