/**
 * The scorer's errors: one class with a stable `code` that the CLI prints and
 * scripts switch on, and a sentence naming the failed action, e.g.
 * `Cannot read clip "out/clip003": meta.json has no "fps" number`.
 */

/** The stable codes of scorer failures. */
export type EvalErrorCode =
  | "usage" // bad or missing command-line flags
  | "clips_not_found" // the --clips folder does not exist or is not a folder
  | "clip_invalid" // a clip folder whose meta.json, frames or audio break models/WORLD.md
  | "no_clips"; // nothing to score

/** A failure of reading or scoring clips. */
export class EvalError extends Error {
  /** A stable identifier for the kind of failure. */
  readonly code: EvalErrorCode;

  constructor(code: EvalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EvalError";
    this.code = code;
  }
}
