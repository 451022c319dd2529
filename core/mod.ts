/**
 * @module
 * The Emerge engine: model packs, tokenizer, schedulers, the batching step loop,
 * previews and media output. It knows nothing of HTTP.
 *
 * @example
 * import { Engine } from "./core/mod.ts";
 * const engine = await Engine.load("models/default");
 * const handle = engine.generate(engine.resolve({ prompt: "a red ball bounces", seed: 1 }));
 * for await (const event of handle.events) if (event.type === "step") console.log(event.i, event.n);
 * console.log((await handle.result).video);
 * await engine.close();
 */
export * from "./types.ts";
export { DEFAULT_PACK_DIR, Engine, type EngineOptions } from "./engine.ts";
export {
  abortError,
  EngineClosedError,
  EngineError,
  type EngineErrorCode,
  InvalidRequestError,
  ModelFailedError,
  OutputFailedError,
  PackInvalidError,
} from "./errors.ts";
export type {
  Backend,
  DenoiseBatch,
  ModelStats,
  PreviewSound,
  TextEncoding,
  Velocity,
} from "./backend.ts";
export { type ClipGeometry, clipGeometry } from "./geometry.ts";
export { checkSteer, REQUEST_LIMITS, resolveRequest } from "./request.ts";
export { gaussianNoise, SeededRandom } from "./noise.ts";
export { DEFAULT_PREVIEW, type PreviewOptions } from "./preview.ts";
export * from "./pack/mod.ts";
export * from "./schedulers/mod.ts";
export { writeOutputs } from "./media/outputs.ts";
