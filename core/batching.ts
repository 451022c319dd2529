/**
 * Which jobs share the next model call. Only jobs with the same latent shape can be
 * stacked into one tensor; among those, the least recently served go first, and
 * between shapes the group holding the most starved job wins. That is round robin
 * with no job waiting more than (groups x ceil(jobs / maxBatch)) calls, while every
 * call is filled up to `maxBatch` when enough jobs are ready.
 */

/** What the picker needs to know about a job. */
export interface Batchable {
  /** Equal keys mean equal latent shapes. */
  readonly key: string;
  /** Admission order, to break ties oldest first. */
  readonly order: number;
  /**
   * When the job was last served, as a serial number the loop increments for each job
   * of each call in batch order; a new job gets the latest serial. Served and new jobs
   * go to the back of the line in that order, which is what makes the rotation exact.
   */
  readonly lastServed: number;
}

function before(a: Batchable, b: Batchable): number {
  return a.lastServed - b.lastServed || a.order - b.order;
}

/** The jobs for the next call: up to `maxBatch`, all of one key. */
export function pickBatch<T extends Batchable>(ready: readonly T[], maxBatch: number): T[] {
  if (ready.length === 0) return [];
  const first = ready.reduce((a, b) => (before(b, a) < 0 ? b : a));
  return ready.filter((j) => j.key === first.key).sort(before).slice(0, maxBatch);
}
