/**
 * Turns what a client asked for (protocol params, validated) into the engine's
 * partial request: "WxH" into width and height, partial guidance completed from
 * the pack's defaults. The REST API reuses it so both doors mean the same thing.
 */
import type { GenerateParams } from "../../client/protocol.ts";
import type { GenerationEngine, GenerationRequest } from "../../core/types.ts";

/** A request the engine's `resolve` accepts. */
export type EngineInput = Partial<GenerationRequest> & { prompt: string };

/** Maps `params` to engine input; throws a RangeError on a contradictory size. */
export function toEngineInput(params: GenerateParams, engine: GenerationEngine): EngineInput {
  const input: EngineInput = { prompt: params.prompt };
  if (params.negativePrompt !== undefined) input.negativePrompt = params.negativePrompt;
  if (params.size !== undefined) {
    const [width, height] = params.size.split("x").map(Number);
    if ((params.width ?? width) !== width || (params.height ?? height) !== height) {
      throw new RangeError(
        `Cannot read size: "${params.size}" contradicts width "${params.width}" and height "${params.height}"`,
      );
    }
    input.width = width!;
    input.height = height!;
  }
  if (params.width !== undefined) input.width = params.width;
  if (params.height !== undefined) input.height = params.height;
  if (params.seconds !== undefined) input.seconds = params.seconds;
  if (params.steps !== undefined) input.steps = params.steps;
  if (params.seed !== undefined) input.seed = params.seed;
  if (params.scheduler !== undefined) input.scheduler = params.scheduler;
  if (params.previewEvery !== undefined) input.previewEvery = params.previewEvery;
  if (params.guidance !== undefined) {
    // resolve() wants both scales; a client may send one, the other is the pack's.
    const defaults = engine.resolve({ prompt: params.prompt }).guidance;
    input.guidance = { ...defaults, ...params.guidance };
  }
  return input;
}
