/**
 * Cutting one denoiser call in two by rows, and joining the two answers: how a call is
 * shared between this thread's session and a denoiser lane's (denoise_lane.ts). Rows
 * are independent samples, so any cut gives the same velocities as the whole call.
 */
import type { DenoiseBatch, Velocity } from "../backend.ts";

/** Rows [0, rows) and [rows, batch.rows) of `batch`, as two batches of their own. */
export function splitBatch(batch: DenoiseBatch, rows: number): [DenoiseBatch, DenoiseBatch] {
  if (!Number.isInteger(rows) || rows < 1 || rows >= batch.rows) {
    throw new RangeError(`Cannot split a batch of ${batch.rows} rows after row ${rows}`);
  }
  const part = (from: number, to: number): DenoiseBatch => {
    const cut = (data: Float32Array) => {
      const perRow = data.length / batch.rows;
      return data.slice(from * perRow, to * perRow);
    };
    return {
      geometry: batch.geometry,
      rows: to - from,
      video: cut(batch.video),
      audio: cut(batch.audio),
      sigma: cut(batch.sigma),
      textTokens: cut(batch.textTokens),
      textMask: cut(batch.textMask),
      textPooled: cut(batch.textPooled),
    };
  };
  return [part(0, rows), part(rows, batch.rows)];
}

/** The velocities of `first`'s rows followed by `second`'s. */
export function joinVelocities(first: Velocity, second: Velocity): Velocity {
  const join = (a: Float32Array, b: Float32Array) => {
    const out = new Float32Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  };
  return { video: join(first.video, second.video), audio: join(first.audio, second.audio) };
}
