/**
 * Checks one resolved request against the server's {@linkcode Limits}. The engine
 * checks what the pack supports; these bound what this server is willing to spend
 * on one job, which an operator may set below what the pack could do.
 */
import type { GenerationRequest } from "../../core/types.ts";
import { LimitError, type Limits } from "./limits.ts";

type Sized = Pick<
  GenerationRequest,
  "prompt" | "negativePrompt" | "width" | "height" | "steps" | "seconds"
>;

/** Throws a LimitError (code invalid_request) naming the first field over its limit. */
export function checkRequestLimits(request: Sized, limits: Limits): void {
  const refuse = (why: string, field: string): never => {
    throw new LimitError("invalid_request", `Cannot start job: ${why}`, field);
  };
  for (const name of ["prompt", "negativePrompt"] as const) {
    const text = request[name];
    if (text.length > limits.maxPromptChars) {
      refuse(`${name} has ${text.length} characters, more than ${limits.maxPromptChars}`, name);
    }
    if (!text.isWellFormed()) {
      refuse(`${name} is not well-formed Unicode (a lone surrogate)`, name);
    }
  }
  const pixels = request.width * request.height;
  if (pixels > limits.maxPixels) {
    refuse(
      `size "${request.width}x${request.height}" has ${pixels} pixels, more than ${limits.maxPixels}`,
      "size",
    );
  }
  if (request.steps > limits.maxSteps) {
    refuse(`steps "${request.steps}" is more than ${limits.maxSteps}`, "steps");
  }
  if (request.seconds > limits.maxSeconds) {
    refuse(`seconds "${request.seconds}" is more than ${limits.maxSeconds}`, "seconds");
  }
}
