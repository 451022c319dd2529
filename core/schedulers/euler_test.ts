import assert from "node:assert/strict";
import { euler } from "./euler.ts";
import { endError, interiorError } from "./_convergence.ts";

Deno.test("euler step() moves x toward x0 by the sigma gap", () => {
  const x = Float32Array.from([1, -2]);
  const v = Float32Array.from([0.5, 4]);
  const out = euler.step({ x, v, sigma: 0.8, sigmaNext: 0.6, history: null });
  assert.deepEqual(Array.from(out.x), [1 - 0.2 * 0.5, -2 - 0.2 * 4].map(Math.fround));
  assert.deepEqual(Array.from(out.x0), [1 - 0.8 * 0.5, -2 - 0.8 * 4].map(Math.fround));
  assert.equal(out.history, null);
  assert.deepEqual(Array.from(x), [1, -2], "input was modified");
});

Deno.test("euler error halves when the step count doubles (first order)", () => {
  const ratio = interiorError(euler, 80) / interiorError(euler, 160);
  assert.ok(ratio > 1.8 && ratio < 2.2, `interior ratio ${ratio}`);
  for (const k of [1, 3]) {
    const e1 = endError(euler, 40, k), e2 = endError(euler, 80, k);
    const ratio = e1 / e2;
    assert.ok(ratio > 1.7 && ratio < 2.3, `shift ${k}: error ${e1} -> ${e2}, ratio ${ratio}`);
  }
});
