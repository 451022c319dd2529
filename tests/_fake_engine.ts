/**
 * A GenerationEngine without models, for protocol tests: it walks `steps` steps
 * with a fixed delay per "model call", checks the abort signal before each one,
 * emits a preview per step whose frames move from noise toward a flat target
 * (so "sharpening" is measurable on the raw bytes) and writes small output files.
 */
import { join } from "node:path";
import type {
  GenerationEngine,
  GenerationEvent,
  GenerationHandle,
  GenerationOutputs,
  GenerationRequest,
  SteerRequest,
} from "../core/types.ts";
import { AsyncQueue } from "../client/_queue.ts";

/** How the fake behaves. */
export interface FakeEngineOptions {
  /** Milliseconds per model call; default 5. */
  stepMs?: number;
  /** Bytes per preview frame; default 256. */
  frameBytes?: number;
  /** Frames per preview; default 4. */
  frames?: number;
  /** Audio samples per preview; default 1000. */
  samples?: number;
}

/** The fake's own input error, like the engine's EngineError. */
export class FakeEngineError extends Error {
  override name = "EngineError";
}

/** A scripted engine; `calls` counts model calls across jobs. */
export class FakeEngine implements GenerationEngine {
  calls = 0;
  #options: Required<FakeEngineOptions>;

  constructor(options: FakeEngineOptions = {}) {
    this.#options = { stepMs: 5, frameBytes: 256, frames: 4, samples: 1000, ...options };
  }

  resolve(partial: Partial<GenerationRequest> & { prompt: string }): GenerationRequest {
    const request: GenerationRequest = {
      negativePrompt: "",
      width: 64,
      height: 64,
      seconds: 2,
      steps: 8,
      guidance: { video: 4, audio: 4 },
      seed: 0,
      scheduler: "euler",
      previewEvery: 1,
      ...partial,
    };
    if (request.width % 16 !== 0) {
      throw new FakeEngineError(`Cannot start job: width ${request.width} is not a multiple of 16`);
    }
    return request;
  }

  generate(
    request: GenerationRequest,
    options: { signal?: AbortSignal; id?: string; outDir?: string } = {},
  ): GenerationHandle {
    const events = new AsyncQueue<GenerationEvent>();
    const steers: SteerRequest[] = [];
    const id = options.id ?? crypto.randomUUID();
    const result = this.#run(request, events, steers, options);
    return { id, request, events, result, steer: (change) => void steers.push(change) };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async #run(
    request: GenerationRequest,
    events: AsyncQueue<GenerationEvent>,
    steers: SteerRequest[],
    { signal, outDir }: { signal?: AbortSignal; outDir?: string },
  ): Promise<GenerationOutputs> {
    const { stepMs, frameBytes, frames, samples } = this.#options;
    const n = request.steps;
    events.push({ type: "queued", position: 0 });
    events.push({ type: "started" });
    for (let i = 0; i < n; i++) {
      while (steers.length > 0) events.push({ type: "steered", steer: steers.shift()! });
      if (signal?.aborted) {
        events.push({ type: "cancelled" });
        events.end();
        throw new DOMException("The generation was cancelled", "AbortError");
      }
      this.calls++;
      await new Promise((r) => setTimeout(r, stepMs));
      const sigma = 1 - (i + 1) / n;
      events.push({ type: "step", i: i + 1, n, sigma });
      if (request.previewEvery > 0 && (i + 1) % request.previewEvery === 0) {
        // Each byte is target 128 plus noise scaled by sigma: the distance to the
        // final frame falls step by step.
        const frame = () =>
          Uint8Array.from(
            { length: frameBytes },
            (_, k) => 128 + Math.round(sigma * ((k * 37) % 100)),
          );
        // Like the real engine, a step's frames and its sound are separate events.
        const step = i + 1;
        events.push({
          type: "preview",
          preview: {
            kind: "video",
            step,
            sigma,
            frames: Array.from({ length: frames }, frame),
            format: "jpeg",
          },
        });
        events.push({
          type: "preview",
          preview: {
            kind: "audio",
            step,
            sigma,
            audio: new Float32Array(samples).fill(sigma),
            sampleRate: 16000,
          },
        });
      }
    }
    const dir = outDir ?? await Deno.makeTempDir();
    const outputs: GenerationOutputs = {
      video: join(dir, "video.mp4"),
      audio: join(dir, "audio.wav"),
      thumbnail: join(dir, "thumbnail.jpg"),
      spritesheet: join(dir, "spritesheet.jpg"),
    };
    const content = Uint8Array.from({ length: 1000 }, (_, k) => k % 251);
    try {
      // Like the real engine: the folder is made at write time, and a write that
      // fails ends the job with output_failed.
      await Deno.mkdir(dir, { recursive: true });
      for (const path of Object.values(outputs)) await Deno.writeFile(path, content);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      events.push({
        type: "failed",
        code: "output_failed",
        message: `Cannot write outputs: ${detail}`,
      });
      events.end();
      throw error;
    }
    events.push({ type: "done", outputs });
    events.end();
    return outputs;
  }
}
