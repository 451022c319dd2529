/**
 * Turns a partial request into a full one (defaults from the manifest) and checks
 * every field, so a job that enters the queue can never fail on bad input later.
 */
import { InvalidRequestError, quote } from "./errors.ts";
import { type ClipGeometry, clipGeometry } from "./geometry.ts";
import type { Manifest } from "./pack/manifest.ts";
import type { GenerationRequest, SchedulerKind, SteerRequest } from "./types.ts";

/** Bounds that keep one request's cost sane. */
export const REQUEST_LIMITS = { maxPromptChars: 2000, maxSteps: 500, maxGuidance: 50 } as const;

/** A job id is also its output files' stem: a plain file name, never a path. */
export const SAFE_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

const SCHEDULER_KINDS: readonly SchedulerKind[] = ["euler", "dpmpp2m"];

function fail(action: string, why: string): never {
  throw new InvalidRequestError(`${action}: ${why}`);
}

function checkPrompt(action: string, name: string, value: unknown): void {
  if (typeof value !== "string") fail(action, `${name} ${quote(value)} is not a string`);
  if (value.length > REQUEST_LIMITS.maxPromptChars) {
    fail(
      action,
      `${name} has ${value.length} characters, more than ${REQUEST_LIMITS.maxPromptChars}`,
    );
  }
}

function checkGuidance(action: string, name: string, value: unknown): void {
  if (typeof value !== "number" || !(value >= 0 && value <= REQUEST_LIMITS.maxGuidance)) {
    fail(action, `${name} ${quote(value)} is not between 0 and ${REQUEST_LIMITS.maxGuidance}`);
  }
}

function checkInteger(
  action: string,
  name: string,
  value: unknown,
  min: number,
  max: number,
): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    fail(action, `${name} ${quote(value)} is not a whole number from ${min} to ${max}`);
  }
}

/** Checks a full request; returns its latent geometry or throws InvalidRequestError. */
export function checkRequest(m: Manifest, r: GenerationRequest): ClipGeometry {
  const action = "Cannot start job";
  checkPrompt(action, "prompt", r.prompt);
  checkPrompt(action, "negativePrompt", r.negativePrompt);
  checkInteger(action, "steps", r.steps, 1, REQUEST_LIMITS.maxSteps);
  checkInteger(action, "seed", r.seed, 0, 0xffffffff);
  checkInteger(action, "previewEvery", r.previewEvery, 0, REQUEST_LIMITS.maxSteps);
  if (typeof r.guidance !== "object" || r.guidance === null) {
    fail(action, `guidance ${quote(r.guidance)} is not an object`);
  }
  checkGuidance(action, "guidance.video", r.guidance.video);
  checkGuidance(action, "guidance.audio", r.guidance.audio);
  if (!SCHEDULER_KINDS.includes(r.scheduler)) {
    fail(action, `scheduler ${quote(r.scheduler)} is not one of ${SCHEDULER_KINDS.join(", ")}`);
  }
  return clipGeometry(m, r.width, r.height, r.seconds);
}

/** Checks a steer before it is queued; throws InvalidRequestError. */
export function checkSteer(change: SteerRequest): void {
  const action = "Cannot steer job";
  if (change.prompt !== undefined) checkPrompt(action, "prompt", change.prompt);
  if (change.negativePrompt !== undefined) {
    checkPrompt(action, "negativePrompt", change.negativePrompt);
  }
  if (change.guidance?.video !== undefined) {
    checkGuidance(action, "guidance.video", change.guidance.video);
  }
  if (change.guidance?.audio !== undefined) {
    checkGuidance(action, "guidance.audio", change.guidance.audio);
  }
}

/** A random seed for requests that name none; the resolved request records it. */
function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/**
 * Fills every missing field from the manifest: the first size bucket, the first
 * duration, the sampler defaults, an empty negative prompt, previews every step, and
 * a random seed. Then checks the result.
 */
export function resolveRequest(
  m: Manifest,
  partial: Partial<GenerationRequest> & { prompt: string },
): GenerationRequest {
  const size = m.sizes[0]!;
  const request: GenerationRequest = {
    prompt: partial.prompt,
    negativePrompt: partial.negativePrompt ?? "",
    width: partial.width ?? size.width,
    height: partial.height ?? size.height,
    seconds: partial.seconds ?? m.durations[0]!,
    steps: partial.steps ?? m.sampler.steps,
    guidance: {
      video: partial.guidance?.video ?? m.sampler.guidance.video,
      audio: partial.guidance?.audio ?? m.sampler.guidance.audio,
    },
    seed: partial.seed ?? randomSeed(),
    scheduler: partial.scheduler ?? m.sampler.scheduler,
    previewEvery: partial.previewEvery ?? 1,
  };
  checkRequest(m, request);
  return request;
}
