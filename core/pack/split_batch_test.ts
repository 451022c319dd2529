import assert from "node:assert/strict";
import type { DenoiseBatch } from "../backend.ts";
import type { ClipGeometry } from "../geometry.ts";
import { joinVelocities, splitBatch } from "./split_batch.ts";

/** A batch whose every value names its row and position: row * 1000 + index. */
function batch(rows: number): DenoiseBatch {
  const fill = (perRow: number) =>
    Float32Array.from({ length: rows * perRow }, (_, i) => Math.floor(i / perRow) * 1000 + i);
  return {
    geometry: {} as ClipGeometry,
    rows,
    video: fill(6),
    audio: fill(4),
    sigma: fill(1),
    textTokens: fill(10),
    textMask: fill(5),
    textPooled: fill(3),
  };
}

Deno.test("splitBatch cuts every input at the same row, and the halves join back", () => {
  const whole = batch(5);
  const [head, tail] = splitBatch(whole, 3);
  assert.equal(head.rows, 3);
  assert.equal(tail.rows, 2);
  for (const key of ["video", "audio", "sigma", "textTokens", "textMask", "textPooled"] as const) {
    const perRow = whole[key].length / 5;
    assert.deepEqual(head[key], whole[key].slice(0, 3 * perRow), key);
    assert.deepEqual(tail[key], whole[key].slice(3 * perRow), key);
    assert.ok(tail[key].every((v) => v >= 3000), `${key}: the tail holds rows 3 and 4 only`);
  }
  const joined = joinVelocities(
    { video: head.video, audio: head.audio },
    { video: tail.video, audio: tail.audio },
  );
  assert.deepEqual(joined, { video: whole.video, audio: whole.audio });
});

Deno.test("splitBatch refuses a cut that leaves a half empty", () => {
  assert.throws(() => splitBatch(batch(2), 0), RangeError);
  assert.throws(() => splitBatch(batch(2), 2), RangeError);
  assert.throws(() => splitBatch(batch(4), 1.5), RangeError);
});
