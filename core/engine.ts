/**
 * The Emerge engine: `Engine.load(packDir)` opens a model pack once, `generate()`
 * queues a job and returns its handle at once; one shared step loop (step_loop.ts)
 * runs every job, batching those of the same shape into one model call.
 */
import { join } from "node:path";
import { type Backend, mergeStats, type ModelStats } from "./backend.ts";
import { EngineClosedError, InvalidRequestError, JobFinishedError } from "./errors.ts";
import { Job } from "./job.ts";
import { gaussianNoise } from "./noise.ts";
import { DenoiseLane } from "./pack/denoise_lane.ts";
import { type Device, loadPack } from "./pack/load.ts";
import type { Manifest } from "./pack/manifest.ts";
import { OnnxBackend } from "./pack/onnx_backend.ts";
import { DEFAULT_PREVIEW, inlineRenderer, type PreviewOptions } from "./preview.ts";
import { PreviewGate } from "./preview_gate.ts";
import type { PreviewRenderer } from "./preview_scheduler.ts";
import { PreviewWorker } from "./preview_worker_client.ts";
import { checkRequest, checkSteer, resolveRequest, SAFE_ID } from "./request.ts";
import { shiftFor, type ShiftMode, sigmaSchedule } from "./schedulers/mod.ts";
import { StepLoop } from "./step_loop.ts";
import { TextCache } from "./text_cache.ts";
import type {
  GenerateOptions,
  GenerationEngine,
  GenerationHandle,
  GenerationRequest,
  SteerRequest,
} from "./types.ts";

/** How an engine runs; every field has a default. */
export interface EngineOptions {
  /**
   * Execution provider for the pack's sessions (default "cpu"); `load` falls back to
   * the CPU when CUDA is unavailable, and `engine.device` tells which one runs.
   */
  device?: Device;
  /**
   * onnxruntime intra-op threads per session of the step loop (and of the denoiser
   * lane). Default: one core is left to the preview workers and a lane halves the rest
   * (so 1 on a 2-core machine); all cores with neither.
   */
  intraOpThreads?: number;
  /**
   * Split every batched denoiser call between this thread and a second denoiser session
   * in a worker (pack/denoise_lane.ts), half the rows each. Default: on for `load` on the
   * CPU with 2 cores or more; off with CUDA, where one call takes the whole batch.
   */
  denoiseLane?: boolean;
  /**
   * Render previews in two workers (frames, sound) with their own sessions (default true
   * for `load`). A Backend passed to the constructor renders inline unless
   * `previewRenderer` is given.
   */
  previewWorker?: boolean;
  /** Renders previews (Engine.load passes its workers here). */
  previewRenderer?: PreviewRenderer;
  /** Where outputs go when `generate` names no `outDir` (default "data/outputs"). */
  outDir?: string;
  /** Most jobs in one denoiser call (default 8; each job adds two rows for CFG). */
  maxBatch?: number;
  /** Preview decoder or linear map, image format and quality. */
  preview?: Partial<PreviewOptions>;
  /** Schedule shift: the manifest's (`sampler.dynamic_shift`, else `sampler.shift`) unless given. */
  shift?: ShiftMode;
  /** Prompts whose encodings are kept (default 64). */
  textCacheSize?: number;
}

/** The shift a pack asks for: by token count when it gives `dynamic_shift`, else fixed. */
export function packShift(manifest: Manifest): ShiftMode {
  const d = manifest.sampler.dynamic_shift;
  if (!d) return { kind: "static", shift: manifest.sampler.shift };
  return {
    kind: "dynamic",
    config: {
      baseTokens: d.base_seq_len,
      maxTokens: d.max_seq_len,
      baseMu: d.base_shift,
      maxMu: d.max_shift,
    },
  };
}

/**
 * Runs a model pack.
 *
 * @example
 * const engine = await Engine.load("models/default");
 * const handle = engine.generate(engine.resolve({ prompt: "a red ball bounces", seed: 1 }));
 * for await (const event of handle.events) console.log(event.type);
 * const { video } = await handle.result;
 * await engine.close();
 */
export class Engine implements GenerationEngine {
  readonly manifest: Manifest;
  /** Where the pack's sessions run (the CPU when CUDA was asked for but is unavailable). */
  readonly device: Device;
  #backend: Backend;
  #previews: PreviewRenderer;
  #loop: StepLoop;
  #options: Required<Pick<EngineOptions, "outDir">> & { shift: ShiftMode };
  #order = 0;
  #closing: Promise<void> | null = null;

  /** An engine over any Backend (tests pass an exact-math one). */
  constructor(manifest: Manifest, backend: Backend, options: EngineOptions = {}) {
    this.manifest = manifest;
    this.device = options.device ?? "cpu";
    this.#backend = backend;
    this.#options = {
      outDir: options.outDir ?? "data/outputs",
      shift: options.shift ?? packShift(manifest),
    };
    const preview = { ...DEFAULT_PREVIEW, ...options.preview };
    this.#previews = options.previewRenderer ?? inlineRenderer(backend, manifest, preview);
    this.#loop = new StepLoop({
      manifest,
      backend,
      texts: new TextCache((prompts) => backend.encodeText(prompts), options.textCacheSize ?? 64),
      previews: this.#previews,
      // Inline previews share the loop's thread, so their share of it is capped.
      previewGate: options.previewRenderer ? null : new PreviewGate(preview.budget),
      maxBatch: options.maxBatch ?? 8,
    });
  }

  /** Opens the pack in `packDir` (sessions are created once, here). */
  static async load(packDir: string, options: EngineOptions = {}): Promise<Engine> {
    const worker = options.previewWorker ?? true;
    const cores = navigator.hardwareConcurrency;
    const lane = options.denoiseLane ?? (options.device !== "cuda" && cores >= 2);
    // Measured on the 2-core dev machine (denoiser, batch 2, 160 wide): 1 thread 42 ms,
    // 2 threads 111 ms once anything else runs; the preview workers (one thread each,
    // mostly idle) leave the rest. A denoiser lane halves it, since its calls run beside
    // this thread's.
    const free = worker ? Math.max(1, cores - 1) : cores;
    const threads = options.intraOpThreads ??
      (lane ? Math.max(1, Math.floor(free / 2)) : worker ? free : undefined);
    const pack = await loadPack(packDir, {
      ...(options.device ? { device: options.device } : {}),
      ...(threads ? { intraOpThreads: threads } : {}),
      // Final decodes (and steps, without a lane) with no preview in flight use every
      // core: 33 ms instead of 50 ms per CFG call of the default denoiser here.
      ...(worker ? { allCores: lane ? ["video_decoder"] : ["denoiser", "video_decoder"] } : {}),
    });
    let denoiseLane: DenoiseLane | undefined, started: PreviewRenderer | undefined;
    try {
      denoiseLane = lane
        ? await DenoiseLane.start(packDir, { device: pack.device, intraOpThreads: threads ?? 1 })
        : undefined;
      started = !options.previewRenderer && worker
        ? await PreviewWorker.start(packDir, { ...DEFAULT_PREVIEW, ...options.preview })
        : undefined;
    } catch (error) {
      // Release what opened before the failure: the sessions, and the lane with them.
      await new OnnxBackend(pack, denoiseLane ? { lane: denoiseLane } : {}).close();
      throw error;
    }
    const previewRenderer = options.previewRenderer ?? started;
    return new Engine(
      pack.manifest,
      new OnnxBackend(pack, denoiseLane ? { lane: denoiseLane } : {}),
      {
        ...options,
        device: pack.device,
        ...(previewRenderer ? { previewRenderer } : {}),
      },
    );
  }

  resolve(partial: Partial<GenerationRequest> & { prompt: string }): GenerationRequest {
    return resolveRequest(this.manifest, partial);
  }

  /** Jobs not yet ended. */
  get active(): number {
    return this.#loop.active;
  }

  /**
   * Time spent in model calls since load (the bench's denominator); a preview worker's
   * calls are listed under `preview:<component>`.
   */
  stats(): ModelStats {
    return mergeStats(this.#backend.stats(), this.#previews.stats(), "preview:");
  }

  generate(request: GenerationRequest, options: GenerateOptions = {}): GenerationHandle {
    if (this.#closing) throw new EngineClosedError("Cannot start job: the engine is closed");
    const geometry = checkRequest(this.manifest, request);
    const id = options.id ?? crypto.randomUUID();
    if (!SAFE_ID.test(id)) {
      throw new InvalidRequestError(
        `Cannot start job: id ${JSON.stringify(id)} is not a safe file name`,
      );
    }
    const size = geometry.videoSize + geometry.audioSize;
    if (options.noise && options.noise.length !== size) {
      throw new InvalidRequestError(
        `Cannot start job: noise has ${options.noise.length} values but the latent has ${size}`,
      );
    }
    const signal = options.signal ?? new AbortController().signal;
    const job = new Job({
      id,
      request: structuredClone(request),
      geometry,
      signal,
      outDir: options.outDir ?? this.#options.outDir,
      order: this.#order++,
      sigmas: sigmaSchedule(request.steps, shiftFor(this.#options.shift, geometry.tokens)),
      noise: options.noise?.slice() ?? gaussianNoise(request.seed, size),
    });
    job.emit({ type: "queued", position: this.#loop.active });
    // Cancel at once, not at the next turn: the in-flight call's result is then ignored.
    // Past the last step, stop the decode and write instead: the loop ends the job
    // "cancelled" once its files are gone.
    if (signal.aborted) job.cancel();
    else {
      const onAbort = () => job.state === "decoding" ? job.stop() : job.cancel();
      signal.addEventListener("abort", onAbort, { once: true });
      job.result.finally(() => signal.removeEventListener("abort", onAbort)).catch(() => {});
      this.#loop.add(job);
    }
    return job.handle((change: SteerRequest) => {
      checkSteer(change);
      if (job.ended || job.state === "decoding") {
        throw new JobFinishedError(`Cannot steer job "${id}": it has taken its last step`);
      }
      job.pendingSteers.push(structuredClone(change));
    });
  }

  /**
   * Fails every unfinished job, waits for the loop, releases the sessions. Every call
   * returns the same promise. The preview renderer closes beside the wait, not after
   * it: closing rejects a render in flight, which a hung worker would never finish.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#loop.failAll(new EngineClosedError("Cannot finish job: the engine was closed"));
      await Promise.all([this.#loop.idle(), this.#previews.close()]);
      await this.#backend.close();
    })();
    return this.#closing;
  }
}

/** The default pack folder, beside this repository's models/ code. */
export const DEFAULT_PACK_DIR = join(import.meta.dirname ?? ".", "..", "models", "default");
