/**
 * The CLI's progress line on stderr: `[#####-----] 8/16  11.9 it/s  ETA 0.7s`. On a
 * terminal it redraws in place; piped, it prints one line per step so logs stay
 * readable.
 */

/** Formats one progress line. `elapsedMs` counts from the first step's start. */
export function progressLine(done: number, total: number, elapsedMs: number, width = 24): string {
  const filled = Math.round((done / total) * width);
  const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0;
  const eta = rate > 0 ? (total - done) / rate : 0;
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total}  ${
    rate.toFixed(1)
  } it/s  ETA ${eta.toFixed(1)}s`;
}

/** Writes progress lines to stderr. */
export class ProgressBar {
  #start = 0;
  #tty = Deno.stderr.isTerminal();
  #encoder = new TextEncoder();

  /** Marks the start of stepping (the `started` event). */
  start(): void {
    this.#start = performance.now();
  }

  update(done: number, total: number): void {
    const line = progressLine(done, total, performance.now() - this.#start);
    Deno.stderr.writeSync(this.#encoder.encode(this.#tty ? `\r${line}` : `${line}\n`));
  }

  /** Ends the in-place line with a message. */
  finish(message: string): void {
    Deno.stderr.writeSync(this.#encoder.encode(`${this.#tty ? "\n" : ""}${message}\n`));
  }
}
