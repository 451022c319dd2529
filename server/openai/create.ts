/**
 * Starts a REST job: the OpenAI create body becomes the same protocol params a
 * WebSocket `generate` carries, checked by the same zod schema and mapped by the
 * same `toEngineInput`, so both doors mean the same thing. REST jobs are
 * detached: they run to the end with no socket watching.
 */
import type { GenerateParams } from "../../client/protocol.ts";
import { refusalCode } from "../jobs/refusal.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import { toEngineInput } from "../jobs/request.ts";
import { LimitError } from "../limits/limits.ts";
import type { JobRecord } from "../jobs/store.ts";
import { generateSchema } from "../ws/messages.ts";
import { ApiFailure, invalidField } from "./failure.ts";
import type { CreateVideoBody } from "./schemas.ts";
import { errorMessage } from "../../core/errors.ts";

/** What the pack offers; empty lists leave the check to the engine. */
export interface PackOffer {
  sizes: string[];
  durations: number[];
}

/** Who asks, and what the new job remixes. */
export interface StartOptions {
  owner: string | undefined;
  remixOf?: string;
}

const ACTION = "Cannot create video";

/** The protocol params of an OpenAI create body. */
export function toGenerateParams(body: CreateVideoBody): GenerateParams {
  const params: GenerateParams = { prompt: body.prompt };
  if (body.size !== undefined) params.size = body.size;
  if (body.seconds !== undefined) params.seconds = Number(body.seconds);
  if (body.seed !== undefined) params.seed = Number(body.seed);
  if (body.steps !== undefined) params.steps = Number(body.steps);
  if (body.negative_prompt !== undefined) params.negativePrompt = body.negative_prompt;
  const guidance: { video?: number; audio?: number } = {};
  if (body.guidance_video !== undefined) guidance.video = Number(body.guidance_video);
  if (body.guidance_audio !== undefined) guidance.audio = Number(body.guidance_audio);
  if (Object.keys(guidance).length > 0) params.guidance = guidance;
  return params;
}

/** Protocol field paths whose name in the REST body differs. */
const REST_NAMES: Readonly<Record<string, string>> = {
  "guidance.video": "guidance_video",
  "guidance.audio": "guidance_audio",
  negativePrompt: "negative_prompt",
};

/** The REST body's name of a protocol field (`guidance.video` -> `guidance_video`). */
function restField(path: string): string {
  return REST_NAMES[path] ?? path;
}

/** Checks `body` against the pack and the protocol bounds, then starts the job. */
export function startVideo(
  registry: JobRegistry,
  body: CreateVideoBody,
  offer: PackOffer,
  options: StartOptions,
): JobRecord {
  const params = toGenerateParams(body);
  if (params.size !== undefined && offer.sizes.length > 0 && !offer.sizes.includes(params.size)) {
    throw new ApiFailure(
      400,
      "invalid_size",
      `${ACTION}: size "${params.size}" is not one of ${quoted(offer.sizes)}`,
      "size",
    );
  }
  const seconds = params.seconds;
  if (seconds !== undefined && offer.durations.length > 0 && !offer.durations.includes(seconds)) {
    throw new ApiFailure(
      400,
      "invalid_seconds",
      `${ACTION}: seconds "${body.seconds}" is not one of ${quoted(offer.durations)}`,
      "seconds",
    );
  }
  const checked = generateSchema.safeParse({ type: "generate", ...params });
  if (!checked.success) {
    // Named as the body names them, not as the WebSocket's message does.
    invalidField(
      ACTION,
      checked.error.issues.map((i) => ({ ...i, path: [restField(i.path.map(String).join("."))] })),
    );
  }
  return start(registry, () => toEngineInput(params, registry.engine), options);
}

/** Starts a remix of `source`: its request with a new prompt and the same seed. */
export function startRemix(
  registry: JobRegistry,
  source: JobRecord,
  prompt: string,
  owner: string | undefined,
): JobRecord {
  return start(registry, () => ({ ...source.request, prompt }), { owner, remixOf: source.id });
}

function start(
  registry: JobRegistry,
  input: () => Parameters<JobRegistry["create"]>[0],
  options: StartOptions,
): JobRecord {
  try {
    const { job } = registry.create(input(), {
      detached: true,
      ...(options.owner !== undefined ? { owner: options.owner } : {}),
      ...(options.remixOf !== undefined ? { remixOf: options.remixOf } : {}),
    });
    return job.record;
  } catch (error) {
    if (error instanceof ApiFailure) throw error;
    const message = errorMessage(error);
    // The engine's resolve() names what is wrong with the request; anything else
    // (a full queue, a closed engine) is the server's state, not the body's.
    if (error instanceof LimitError) {
      // server/limits: 429 for a full queue, 400/413 for a request over a bound.
      const param = error.field === null ? null : restField(error.field);
      throw new ApiFailure(error.status, error.code, message, param, { cause: error });
    }
    const code = refusalCode(error);
    if (code === "invalid_request") {
      throw new ApiFailure(400, "invalid_request", message, null, { cause: error });
    }
    // Shutting down: a retry against the next process will be served.
    if (code === "engine_closed") {
      throw new ApiFailure(503, "engine_closed", message, null, { cause: error });
    }
    throw new ApiFailure(500, "internal", `${ACTION}: ${message}`, null, { cause: error });
  }
}

function quoted(values: readonly (string | number)[]): string {
  return values.map((v) => `"${v}"`).join(", ");
}
