/**
 * A WebSocket client over a bare TCP connection, for tests that need to stop
 * reading: a browser or Deno WebSocket always drains the socket, so it can never
 * be the deliberately slow reader that flow control exists for.
 */
import { decodeMedia, type ServerMessage } from "../client/protocol.ts";
import type { Received } from "./_server.ts";

/** A client that reads only when told to. */
export class RawSocket {
  #conn: Deno.Conn;
  #buffer = new Uint8Array(0);

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Connects and upgrades; reads nothing beyond the 101 response. */
  static async open(url: string): Promise<RawSocket> {
    const { hostname, port, pathname } = new URL(url);
    const conn = await Deno.connect({ hostname, port: Number(port) });
    const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
    await conn.write(new TextEncoder().encode(
      `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    ));
    const socket = new RawSocket(conn);
    let head = "";
    while (!head.includes("\r\n\r\n")) {
      await socket.#fill();
      head = new TextDecoder().decode(socket.#buffer);
    }
    if (!head.startsWith("HTTP/1.1 101")) {
      throw new Error(`Upgrade refused: ${head.split("\r\n")[0]}`);
    }
    socket.#buffer = socket.#buffer.subarray(head.indexOf("\r\n\r\n") + 4);
    return socket;
  }

  /** Sends one masked text frame (clients must mask). */
  async send(message: unknown): Promise<void> {
    const payload = new TextEncoder().encode(JSON.stringify(message));
    if (payload.length > 65535) throw new Error("Cannot send: test frames stay under 64 KiB");
    const head = payload.length < 126
      ? [0x81, 0x80 | payload.length]
      : [0x81, 0x80 | 126, payload.length >> 8, payload.length & 255];
    const mask = crypto.getRandomValues(new Uint8Array(4));
    const frame = new Uint8Array(head.length + 4 + payload.length);
    frame.set(head);
    frame.set(mask, head.length);
    for (let i = 0; i < payload.length; i++) {
      frame[head.length + 4 + i] = payload[i]! ^ mask[i % 4]!;
    }
    await this.#conn.write(frame);
  }

  /** Reads frames until `until` matches a JSON message; returns all read. */
  async readUntil(until: (m: ServerMessage) => boolean): Promise<Received[]> {
    const out: Received[] = [];
    for (;;) {
      const frame = await this.#frame();
      const at = performance.now();
      if (frame.opcode === 1) {
        const message = JSON.parse(new TextDecoder().decode(frame.payload)) as ServerMessage;
        out.push({ kind: "json", at, message });
        if (until(message)) return out;
      } else if (frame.opcode === 2) {
        out.push({ kind: "media", at, ...decodeMedia(frame.payload.slice()) });
      } else if (frame.opcode === 8) throw new Error("Socket closed by the server");
    }
  }

  /** Writes `bytes` as they are: for fuzzing the framing itself. */
  async writeRaw(bytes: Uint8Array): Promise<void> {
    await this.#conn.write(bytes);
  }

  /**
   * Waits for the server's answer to what was written: any frame (an error event,
   * a close) or the end of the connection; false if `ms` passes first.
   */
  async answered(ms: number): Promise<boolean> {
    const ended = (async () => {
      try {
        await this.#frame();
      } catch {
        // The connection ended: that is an answer too.
      }
      return true;
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)));
    const result = await Promise.race([ended, timeout]);
    clearTimeout(timer);
    return result;
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  async #frame(): Promise<{ opcode: number; payload: Uint8Array }> {
    await this.#need(2);
    const opcode = this.#buffer[0]! & 0x0f;
    let length = this.#buffer[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      await this.#need(4);
      length = (this.#buffer[2]! << 8) | this.#buffer[3]!;
      offset = 4;
    } else if (length === 127) {
      await this.#need(10);
      length = Number(
        new DataView(this.#buffer.buffer, this.#buffer.byteOffset + 2, 8).getBigUint64(0),
      );
      offset = 10;
    }
    await this.#need(offset + length);
    const payload = this.#buffer.subarray(offset, offset + length);
    this.#buffer = this.#buffer.subarray(offset + length);
    return { opcode, payload };
  }

  async #need(bytes: number): Promise<void> {
    while (this.#buffer.length < bytes) await this.#fill();
  }

  async #fill(): Promise<void> {
    const chunk = new Uint8Array(1 << 20);
    const n = await this.#conn.read(chunk);
    if (n === null) throw new Error("Connection ended");
    const next = new Uint8Array(this.#buffer.length + n);
    next.set(this.#buffer);
    next.set(chunk.subarray(0, n), this.#buffer.length);
    this.#buffer = next;
  }
}
