/**
 * The little a protocol session needs from a WebSocket, so the session runs on
 * any runtime (and in tests on a fake): an adapter binds a real socket to it.
 */

/** A WebSocket as the session sees it. */
export interface StreamSocket {
  /** Queues a message; must not block. */
  send(data: string | Uint8Array<ArrayBuffer>): void;
  /** Bytes queued but not yet written; drives latest-wins flow control. */
  readonly bufferedAmount: number;
  close(code?: number, reason?: string): void;
}
