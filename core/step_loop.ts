/**
 * The step loop: one async loop for the whole engine. Each turn it encodes any new or
 * steered text, picks the jobs for the next call (same latent shape, fairly, see
 * batching.ts), runs ONE denoiser call for all of them with conditional and
 * unconditional rows side by side, and takes each job's scheduler step. Previews are
 * posted to a PreviewScheduler (latest-wins, rendered in a worker when there is one)
 * and final decodes are started, not awaited, so the next call never waits on them;
 * the one wait is for a job's first preview, bounded (see #firstPreview).
 *
 * Before every model call the loop yields to the event loop (yield.ts): onnxruntime
 * holds the JS thread for the whole call, so that yield is the only moment a cancel
 * or steer arriving on a socket can be read. The denoiser stays on this thread rather
 * than in a worker of its own: with the yield, a cancel is read within one call
 * (issue 4's bound). On the CPU a denoiser lane (pack/denoise_lane.ts) runs half of
 * each call's rows beside it, and the preview workers render beside both.
 */
import type { Backend, DenoiseBatch, Velocity } from "./backend.ts";
import { pickBatch } from "./batching.ts";
import { EngineError, InternalError, ModelFailedError, wrapError } from "./errors.ts";
import { guide } from "./guidance.ts";
import type { Job } from "./job.ts";
import { beginOutputs } from "./media/outputs.ts";
import type { Manifest } from "./pack/manifest.ts";
import type { PreviewGate } from "./preview_gate.ts";
import { type PreviewRenderer, PreviewScheduler } from "./preview_scheduler.ts";
import { SCHEDULERS } from "./schedulers/mod.ts";
import type { TextCache } from "./text_cache.ts";
import { holdYieldBell, yieldToEventLoop } from "./yield.ts";

/** What the loop needs besides its jobs. */
export interface LoopDeps {
  manifest: Manifest;
  backend: Backend;
  texts: TextCache;
  previews: PreviewRenderer;
  /** Bounds preview work that shares this thread; null when previews have a worker. */
  previewGate: PreviewGate | null;
  /** Most jobs per denoiser call (each adds two rows). */
  maxBatch: number;
}

/**
 * The longest the loop waits for a job's first preview (see #firstPreview): its frames
 * and its sound take ~3 ms each on the default pack with this 2-core machine, so a busy
 * or stuck renderer costs each job at most this, once.
 */
const FIRST_PREVIEW_WAIT_MS = 50;

/** The step just taken asks for the job's first preview. */
const isFirstPreview = (job: Job) =>
  job.request.previewEvery > 0 && job.step === job.request.previewEvery;

const modelError = (action: string) => (error: unknown) =>
  wrapError(error, (detail, options) => new ModelFailedError(`${action}: ${detail}`, options));
/** A throw that is a bug, not a model failure: logged, and `jobs` fail with internal_error. */
function failAfterBug(jobs: readonly Job[], action: string, error: unknown): void {
  const failure = wrapError(
    error,
    (detail, options) => new InternalError(`${action}: ${detail}`, options),
  );
  console.error(failure);
  for (const job of jobs) job.fail(failure);
}

/** Stacks the rows of `jobs` (cond then uncond per job) into one denoiser input. */
export function assembleBatch(
  jobs: readonly Job[],
  textLength: number,
  textDim: number,
): DenoiseBatch {
  const g = jobs[0]!.geometry, rows = jobs.length * 2;
  const batch: DenoiseBatch = {
    geometry: g,
    rows,
    video: new Float32Array(rows * g.videoSize),
    audio: new Float32Array(rows * g.audioSize),
    sigma: new Float32Array(rows),
    textTokens: new Float32Array(rows * textLength * textDim),
    textMask: new Float32Array(rows * textLength),
    textPooled: new Float32Array(rows * textDim),
  };
  jobs.forEach((job, j) => {
    const video = job.x.subarray(0, g.videoSize), audio = job.x.subarray(g.videoSize);
    const texts = [job.text!.cond, job.text!.uncond];
    for (let k = 0; k < 2; k++) {
      const row = 2 * j + k, text = texts[k]!;
      batch.video.set(video, row * g.videoSize);
      batch.audio.set(audio, row * g.audioSize);
      batch.sigma[row] = job.sigmas[job.step]!;
      batch.textTokens.set(text.tokens, row * textLength * textDim);
      batch.textMask.set(text.mask, row * textLength);
      batch.textPooled.set(text.pooled, row * textDim);
    }
  });
  return batch;
}

function rowsOf(out: Velocity, job: Job, j: number) {
  const { videoSize, audioSize } = job.geometry;
  const row = (r: number) => ({
    video: out.video.subarray(r * videoSize, (r + 1) * videoSize),
    audio: out.audio.subarray(r * audioSize, (r + 1) * audioSize),
  });
  return { cond: row(2 * j), uncond: row(2 * j + 1) };
}

/** Owns the active jobs and drives them to the end. */
export class StepLoop {
  #deps: LoopDeps;
  #jobs: Job[] = [];
  #running: Promise<void> | null = null;
  #serial = 0;
  /** Final decodes in flight, so `idle()` can wait for them. */
  #background = new Set<Promise<void>>();
  #previews: PreviewScheduler<Job>;
  /** Wakes the loop when a job's first preview is out, frames and sound (see #firstPreview). */
  #previewWaiters = new Map<Job, () => void>();

  constructor(deps: LoopDeps) {
    this.#deps = deps;
    this.#previews = new PreviewScheduler<Job>({
      render: deps.previews.render.bind(deps.previews),
      deliver: (job, preview) => job.emit({ type: "preview", preview }),
      settled: (job) => this.#previewWaiters.get(job)?.(),
      // A failed preview is not a failed job: the final decode may still work.
      onError: (job, r, error) => {
        console.warn(
          `Cannot render preview of "${job.id}" at step ${r.step}: ${(error as Error).message}`,
        );
      },
      ...(deps.previewGate ? { gate: deps.previewGate } : {}),
    });
  }

  /** Jobs not yet ended (queued, running or decoding). */
  get active(): number {
    return this.#jobs.filter((j) => !j.ended).length;
  }

  /** Adds a job and makes sure the loop is turning. */
  add(job: Job): void {
    // A newcomer joins the back of the rotation, as if served in the latest call: ranked
    // as never served, a stream of new jobs of other shapes would starve an older one.
    job.lastServed = this.#serial;
    this.#jobs.push(job);
    // Start on a microtask, so jobs submitted in the same tick join the first call.
    this.#running ??= Promise.resolve().then(() => this.#run());
  }

  /** Resolves when no job is left and nothing runs in the background. */
  async idle(): Promise<void> {
    while (this.#running || this.#background.size > 0) {
      await Promise.all([this.#running, ...this.#background]);
    }
    await this.#previews.idle();
  }

  /** Ends every job with `error` (engine closing). */
  failAll(error: EngineError): void {
    for (const job of this.#jobs) job.fail(error);
  }

  async #run(): Promise<void> {
    const stepping = () => this.#jobs.filter((j) => j.state === "queued" || j.state === "running");
    const release = holdYieldBell(); // the cheap yield while there are steps to take
    while (true) {
      this.#jobs = this.#jobs.filter((j) => !j.ended);
      if (stepping().length === 0) {
        // Set synchronously with the emptiness check, so add() can never miss a stop.
        this.#running = null;
        release();
        return;
      }
      // Let queued socket messages (cancel, steer, new jobs) in before the next call;
      // onnxruntime holds this thread through a call, so they all arrive here, and jobs
      // added now are encoded in time to join this call.
      await yieldToEventLoop();
      const turn = stepping();
      try {
        await this.#encodeText(turn);
        const ready = turn.filter((j) => !j.ended && j.text !== null);
        const batch = pickBatch(ready, this.#deps.maxBatch);
        if (batch.length > 0) await this.#denoise(batch);
      } catch (error) {
        // Fail this turn's jobs, keep the loop (and later jobs) alive.
        failAfterBug(turn, "Cannot step jobs", error);
      }
    }
  }

  /** Applies pending steers and encodes every prompt not encoded yet, in one call. */
  async #encodeText(jobs: Job[]): Promise<void> {
    const need = jobs.filter((j) => !j.ended && (j.text === null || j.pendingSteers.length > 0));
    for (const job of need) {
      for (const steer of job.pendingSteers.splice(0)) {
        job.prompt = steer.prompt ?? job.prompt;
        job.negativePrompt = steer.negativePrompt ?? job.negativePrompt;
        // Field by field: a key present but undefined keeps the current scale.
        job.guidance = {
          video: steer.guidance?.video ?? job.guidance.video,
          audio: steer.guidance?.audio ?? job.guidance.audio,
        };
        if (steer.prompt !== undefined || steer.negativePrompt !== undefined) job.text = null;
        // A multistep solver's history was computed under the old condition.
        job.history = null;
        job.emit({ type: "steered", steer });
      }
    }
    const toEncode = need.filter((j) => j.text === null && !this.#checkCancel(j));
    if (toEncode.length === 0) return;
    try {
      const encodings = await this.#deps.texts.get(
        toEncode.flatMap((j) => [j.prompt, j.negativePrompt]),
      );
      toEncode.forEach((
        job,
        i,
      ) => (job.text = { cond: encodings[2 * i]!, uncond: encodings[2 * i + 1]! }));
    } catch (error) {
      const failure = modelError("Cannot encode prompt")(error);
      for (const job of toEncode) job.fail(failure);
    }
  }

  /** True (and the job cancelled) when its signal fired: checked before every model call. */
  #checkCancel(job: Job): boolean {
    if (job.signal.aborted) job.cancel();
    return job.ended;
  }

  async #denoise(candidates: Job[]): Promise<void> {
    const jobs = candidates.filter((j) => !this.#checkCancel(j));
    if (jobs.length === 0) return;
    for (const job of jobs) {
      if (job.state === "queued") {
        job.state = "running";
        job.emit({ type: "started" });
      }
      job.lastServed = ++this.#serial;
    }
    const { backend } = this.#deps;
    let out: Velocity;
    try {
      out = await backend.denoise(
        assembleBatch(jobs, backend.textLength, backend.textDim),
        { allCores: this.#allCores },
      );
    } catch (error) {
      const failure = modelError("Cannot run denoiser step")(error);
      for (const job of jobs) job.fail(failure);
      return;
    }
    jobs.forEach((job, j) => {
      if (!job.ended) this.#step(job, rowsOf(out, job, j));
    });
    const finished = jobs.filter((j) => j.state === "decoding");
    if (finished.length > 0) this.#inBackground(this.#finish(finished), finished);
    // Inline previews share this thread behind a duty-cycle gate: no wait for them.
    const firstPreview = this.#deps.previewGate
      ? []
      : jobs.filter((j) => j.state === "running" && isFirstPreview(j));
    if (firstPreview.length > 0) await this.#firstPreview(firstPreview);
  }

  /**
   * Waits until these jobs' first preview is out, frames and sound, or the jobs are
   * cancelled, or FIRST_PREVIEW_WAIT_MS passed. onnxruntime holds this thread for a whole
   * denoiser call (yield.ts), so parts the worker finishes during the next call could
   * only be handed on after it: the first frames came one step late, ~100 ms after the
   * first step (issue 5: target first step + 20 ms), and when only the frames were
   * waited for, the first sound still came ~95 ms after it. Only a job's first preview
   * waits: it is what a watcher looks at an empty screen (and silence) for; it costs the
   * loop that render once per job; later previews are latest-wins and go out between
   * calls. The frames go out as soon as they are ready, without waiting for the sound.
   */
  async #firstPreview(jobs: Job[]): Promise<void> {
    const over = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const out = jobs.map((job) =>
      new Promise<void>((wake) => {
        this.#previewWaiters.set(job, wake);
        if (job.signal.aborted) wake();
        job.signal.addEventListener("abort", () => wake(), { once: true, signal: over.signal });
      })
    );
    await Promise.race([
      Promise.all(out),
      new Promise((bounded) => (timer = setTimeout(bounded, FIRST_PREVIEW_WAIT_MS))),
    ]);
    clearTimeout(timer);
    over.abort();
    for (const job of jobs) this.#previewWaiters.delete(job);
  }

  #step(job: Job, rows: ReturnType<typeof rowsOf>): void {
    const sigma = job.sigmas[job.step]!, sigmaNext = job.sigmas[job.step + 1]!;
    const v = guide(rows.cond, rows.uncond, job.guidance);
    const next = SCHEDULERS[job.request.scheduler].step({
      x: job.x,
      v,
      sigma,
      sigmaNext,
      history: job.history,
    });
    job.x = next.x;
    job.history = next.history;
    job.step++;
    job.emit({ type: "step", i: job.step, n: job.steps, sigma });
    if (job.step === job.steps) {
      job.state = "decoding";
      return;
    }
    const every = job.request.previewEvery;
    if (every > 0 && job.step % every === 0) {
      this.#previews.submit(job, {
        x0: next.x0,
        geometry: job.geometry,
        step: job.step,
        sigma,
      });
    }
  }

  /**
   * Whether a model call may use every core now: no preview renders beside it. Inline
   * previews (a gate) run on this thread between calls, never beside one.
   */
  get #allCores(): boolean {
    return this.#deps.previewGate !== null || !this.#previews.busy;
  }

  /** Tracks `work` for idle(); if it throws (a bug), its jobs fail instead of hanging. */
  #inBackground(work: Promise<void>, jobs: readonly Job[]): void {
    const release = holdYieldBell();
    const tracked = work.catch((error) => failAfterBug(jobs, "Cannot finish jobs", error))
      .finally(() => {
        this.#background.delete(tracked);
        release();
      });
    this.#background.add(tracked);
  }

  /**
   * Final decode of jobs that took their last step in the same call (so they share a
   * shape): one batched call per decoder, each job's files begun from its frames and
   * finished with its sound. A job cancelled before the decoder calls is left out of
   * them: it is never decoded.
   */
  async #finish(finished: Job[]): Promise<void> {
    // A cancel sent during the last step is read here, before any decoder runs.
    await yieldToEventLoop();
    const jobs = finished.filter((j) => !this.#checkCancel(j));
    if (jobs.length === 0) return;
    const { backend } = this.#deps, g = jobs[0]!.geometry, rows = jobs.length;
    const video = new Float32Array(rows * g.videoSize),
      audio = new Float32Array(rows * g.audioSize);
    jobs.forEach((job, r) => {
      video.set(job.x.subarray(0, g.videoSize), r * g.videoSize);
      audio.set(job.x.subarray(g.videoSize), r * g.audioSize);
    });
    // One decoder after the other: onnxruntime-node runs a session on this thread, so
    // the two never overlapped, and started together the audio decoder's timer also ran
    // through the whole video decode. The video first, with every core: its H.264 encode
    // then runs on the core the audio decoder leaves free.
    let frames: Float32Array;
    try {
      frames = await backend.decodeVideo(video, rows, g, { allCores: this.#allCores });
    } catch (error) {
      this.#failUnlessCancelled(jobs, modelError("Cannot decode clip")(error));
      return;
    }
    const frameSize = frames.length / rows;
    const writers = await Promise.all(jobs.map(async (job, r) => {
      if (this.#checkCancel(job)) return null;
      try {
        return await beginOutputs(job.outDir, job.id, {
          frames: frames.subarray(r * frameSize, (r + 1) * frameSize),
          geometry: g,
        }, { signal: job.stopSignal });
      } catch (error) {
        this.#failUnlessCancelled([job], modelError("Cannot finish job")(error));
        return null;
      }
    }));
    let waveforms: Float32Array;
    try {
      waveforms = await backend.decodeAudio(audio, rows, g);
    } catch (error) {
      await Promise.all(writers.map((writer) => writer?.abort()));
      this.#failUnlessCancelled(jobs, modelError("Cannot decode clip")(error));
      return;
    }
    const sampleCount = waveforms.length / rows;
    await Promise.all(jobs.map(async (job, r) => {
      // A job stopped since its files began still calls finish, which removes them.
      const writer = writers[r];
      if (!writer) return;
      try {
        const outputs = await writer.finish(
          waveforms.subarray(r * sampleCount, (r + 1) * sampleCount),
        );
        if (!this.#checkCancel(job)) job.done(outputs);
      } catch (error) {
        // A cancel during the write removed the files; the job already ended "cancelled".
        this.#failUnlessCancelled([job], modelError("Cannot finish job")(error));
      }
    }));
  }

  #failUnlessCancelled(jobs: Job[], failure: EngineError): void {
    for (const job of jobs) if (!this.#checkCancel(job)) job.fail(failure);
  }
}
