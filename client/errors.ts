/**
 * The client's errors, one small tree (as openai-node's): catch EmergeError for
 * all of them, or a subclass for one kind. Each keeps what caused it in `cause`.
 */
import type { ErrorCode } from "./protocol.ts";

/** Base of every error the client throws or rejects with. */
export class EmergeError extends Error {
  override name = "EmergeError";
}

/** The socket could not be opened, or closed and reconnecting gave up. */
export class ConnectionError extends EmergeError {
  override name = "ConnectionError";
}

/** The peer broke the protocol: unknown version, a frame that cannot be read. */
export class ProtocolError extends EmergeError {
  override name = "ProtocolError";
}

/** The server answered with an error event or a failed job; `code` is stable. */
export class ServerError extends EmergeError {
  override name = "ServerError";
  constructor(readonly code: ErrorCode | string, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The generation was cancelled (by `.cancel()`, a signal, or the server). */
export class CancelledError extends EmergeError {
  override name = "CancelledError";
}
