/**
 * The engine's public vocabulary: what a generation request is and which events a
 * generation emits. The server and the benchmarks depend on these types only.
 */

/** Which scheduler walks the sigma schedule. */
export type SchedulerKind = "euler" | "dpmpp2m";

/** Guidance scale per modality (classifier-free guidance). */
export interface Guidance {
  video: number;
  audio: number;
}

/** A fully resolved request; defaults come from the pack's manifest. */
export interface GenerationRequest {
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  seconds: number;
  steps: number;
  guidance: Guidance;
  seed: number;
  scheduler: SchedulerKind;
  /** Decode a preview every N steps; 0 turns previews off. */
  previewEvery: number;
}

/** A change applied from the next step on. */
export interface SteerRequest {
  prompt?: string;
  negativePrompt?: string;
  guidance?: Partial<Guidance>;
}

/** Files written for a finished generation (absolute paths). */
export interface GenerationOutputs {
  video: string; // MP4, H.264 + AAC
  audio: string; // WAV
  thumbnail: string; // JPEG poster
  spritesheet: string; // JPEG grid of frames
}

/**
 * Preview of the predicted clean sample after one step, in two parts that are separate
 * events: its frames and its sound, each as soon as it is ready. The preview workers
 * render both at once, so either may come first; rendered inline, the frames come
 * first. A watcher's first look at the clip should not wait for the sound (issue 5:
 * the first frames came ~90 ms after the first step when they waited for their audio).
 */
export type Preview = VideoPreview | AudioPreview;

/** The frames of a step's preview. */
export interface VideoPreview {
  kind: "video";
  step: number;
  sigma: number;
  /** Encoded frames (JPEG or WebP), one per video frame. */
  frames: Uint8Array[];
  format: "jpeg" | "webp";
}

/** The sound of a step's preview; it may come before or after that step's frames. */
export interface AudioPreview {
  kind: "audio";
  step: number;
  sigma: number;
  /** Decoded audio of the predicted clean sample: mono float PCM. */
  audio: Float32Array;
  /**
   * Its rate, which may be below the finished clip's: a pack's audio preview decoder
   * trades bandwidth for time (the default pack's previews are 8 kHz).
   */
  sampleRate: number;
}

/** Everything a generation reports, in order. */
export type GenerationEvent =
  | { type: "queued"; position: number }
  | { type: "started" }
  /** Step `i` of `n` (1-based) is done; `sigma` is the noise level the model saw. */
  | { type: "step"; i: number; n: number; sigma: number }
  /** One part of a step's preview: its frames or its sound, in either order. */
  | { type: "preview"; preview: Preview }
  | { type: "steered"; steer: SteerRequest }
  | { type: "done"; outputs: GenerationOutputs }
  | { type: "cancelled" }
  | { type: "failed"; code: string; message: string };

/** A running generation. Its events can be iterated once; `result` settles at the end. */
export interface GenerationHandle {
  readonly id: string;
  readonly request: GenerationRequest;
  /** Every event from `queued` to exactly one of `done`, `cancelled` or `failed`. */
  readonly events: AsyncIterable<GenerationEvent>;
  /**
   * Applies from the next step; a multistep solver restarts its history. Throws an
   * InvalidRequestError for a bad change and a JobFinishedError (`job_finished`) once
   * the job has taken its last step.
   */
  steer(change: SteerRequest): void;
  /** The outputs, or a rejection with the failure (cancel rejects with an AbortError). */
  readonly result: Promise<GenerationOutputs>;
}

/** Options of one `generate` call. */
export interface GenerateOptions {
  /** Aborting cancels the job: it stops within one model call and is never decoded. */
  signal?: AbortSignal;
  /** Job id and output file stem; a random UUID when absent. */
  id?: string;
  /** Folder for the output files; the engine's default when absent. */
  outDir?: string;
  /**
   * The initial latent noise, packed `[video (Cv, Tv, Hv, Wv)..., audio (Ca, Ta)...]`,
   * instead of the seeded one: for parity tests against another sampler.
   */
  noise?: Float32Array;
}

/** The surface the server and benchmarks use. `core/engine.ts` implements it. */
export interface GenerationEngine {
  /** Fills defaults from the pack and checks the request; throws an EngineError on bad input. */
  resolve(partial: Partial<GenerationRequest> & { prompt: string }): GenerationRequest;
  generate(request: GenerationRequest, options?: GenerateOptions): GenerationHandle;
  close(): Promise<void>;
}
