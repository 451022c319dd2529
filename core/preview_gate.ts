/**
 * Caps how much of the machine previews may take when they render inline, on the step
 * loop's own thread (a Backend without a preview worker: tests, custom backends).
 * Engine.load renders in a worker instead (preview_worker.ts) and needs no gate.
 * Measured on the default pack (2 cores): one preview (preview decoder + audio
 * decoder + JPEGs) costs ~6 denoiser steps, so "a preview after every step" would
 * more than double the wall time even off the loop, because the decoders and the
 * denoiser share the cores. The gate keeps at most one preview in flight engine-wide
 * and, after one that took `d` ms, opens again only after `d (1 / budget - 1)` ms:
 * previews use at most `budget` of the wall time, whatever `previewEvery` asks. Among
 * jobs waiting, the one whose last preview is oldest goes first. `budget = 1` only
 * enforces one in flight.
 */

/** A duty-cycle limiter for preview work. */
export class PreviewGate {
  #budget: number;
  #now: () => number;
  #inFlight = false;
  #openAt = 0;

  /** `budget` in (0, 1]: the largest share of wall time previews may use. */
  constructor(budget: number, now: () => number = () => performance.now()) {
    if (!(budget > 0 && budget <= 1)) {
      throw new RangeError(`Cannot create preview gate: budget ${budget} is not in (0, 1]`);
    }
    this.#budget = budget;
    this.#now = now;
  }

  /** Whether a preview may start now. */
  get open(): boolean {
    return !this.#inFlight && this.#now() >= this.#openAt;
  }

  /** Runs `work` through the gate; callers check `open` first. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.#inFlight = true;
    const start = this.#now();
    try {
      return await work();
    } finally {
      const end = this.#now();
      this.#openAt = end + (end - start) * (1 / this.#budget - 1);
      this.#inFlight = false;
    }
  }
}
