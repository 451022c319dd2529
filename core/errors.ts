/**
 * The engine's error tree. Every failure the engine reports carries a stable `code`
 * that the server forwards as-is, plus a sentence that names the failed action
 * (`Cannot start job: width 70 is not a multiple of 16`). The shape follows
 * openai-node's `core/error.ts`: one base class, one subclass per code, `cause` kept.
 */

/** The stable codes; the server and the CLI switch on these, never on messages. */
export type EngineErrorCode =
  | "invalid_request"
  | "pack_invalid"
  | "model_failed"
  | "output_failed"
  | "engine_closed"
  | "job_finished"
  | "internal_error";

/** Base of every error the engine throws or reports in a `failed` event. */
export class EngineError extends Error {
  /** A stable identifier for the kind of failure. */
  readonly code: EngineErrorCode;

  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EngineError";
    this.code = code;
  }
}

/** A request (or a steer, or a CLI flag) the engine refuses before doing any work. */
export class InvalidRequestError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("invalid_request", message, options);
    this.name = "InvalidRequestError";
  }
}

/** A model pack whose manifest, tokenizer or ONNX files do not follow models/PACK.md. */
export class PackInvalidError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("pack_invalid", message, options);
    this.name = "PackInvalidError";
  }
}

/** An ONNX session that threw or returned something off-contract. */
export class ModelFailedError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("model_failed", message, options);
    this.name = "ModelFailedError";
  }
}

/** Writing the MP4, WAV or images failed (ffmpeg missing or crashing, disk errors). */
export class OutputFailedError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("output_failed", message, options);
    this.name = "OutputFailedError";
  }
}

/** A call on an engine after `close()`. */
export class EngineClosedError extends EngineError {
  constructor(message: string) {
    super("engine_closed", message);
    this.name = "EngineClosedError";
  }
}

/** A steer of a job past its last step (decoding or ended): nothing is left to steer. */
export class JobFinishedError extends EngineError {
  constructor(message: string) {
    super("job_finished", message);
    this.name = "JobFinishedError";
  }
}

/**
 * A throw the engine did not expect (a bug): the jobs it touched fail with it, and the
 * step loop goes on with the others.
 */
export class InternalError extends EngineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("internal_error", message, options);
    this.name = "InternalError";
  }
}

/** The rejection of a cancelled generation's `result`: a DOMException named "AbortError". */
export function abortError(id: string): DOMException {
  return new DOMException(`Generation "${id}" was cancelled`, "AbortError");
}

/**
 * Turns anything thrown into an EngineError: EngineErrors pass through, anything else
 * becomes `make(detail)` with the original kept as `cause`.
 */
export function wrapError(
  error: unknown,
  make: (detail: string, options: { cause: unknown }) => EngineError,
): EngineError {
  if (error instanceof EngineError) return error;
  return make(errorMessage(error), { cause: error });
}

/** The sentence of anything thrown: an Error's message, else the value as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Quotes a value for an error message: strings in double quotes, the rest as written (NaN stays NaN). */
export function quote(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}
