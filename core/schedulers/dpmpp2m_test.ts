import assert from "node:assert/strict";
import { dpmpp2m } from "./dpmpp2m.ts";
import { euler } from "./euler.ts";
import { endError, interiorError } from "./_convergence.ts";

Deno.test("dpmpp2m error drops ~4x when the step count doubles (second order)", () => {
  const ratio = interiorError(dpmpp2m, 80) / interiorError(dpmpp2m, 160);
  assert.ok(ratio > 3.5 && ratio < 4.5, `interior ratio ${ratio}`);
});

Deno.test("dpmpp2m stays well above first order over the full 1 -> 0 schedule", () => {
  // The end steps are O(1) in lambda for any step count, which costs a log factor.
  for (const k of [1, 3]) {
    const ratio = endError(dpmpp2m, 40, k) / endError(dpmpp2m, 80, k);
    assert.ok(ratio > 2.5, `shift ${k}: ratio ${ratio}`);
  }
});

Deno.test("dpmpp2m beats euler at the same step count", () => {
  assert.ok(endError(dpmpp2m, 16, 3) < endError(euler, 16, 3) / 3);
});

Deno.test("dpmpp2m without history is exactly an euler step", () => {
  const x = Float32Array.from([0.3, -1.5, 2]);
  const v = Float32Array.from([1, 0.25, -0.5]);
  const a = dpmpp2m.step({ x, v, sigma: 0.7, sigmaNext: 0.45, history: null });
  const b = euler.step({ x, v, sigma: 0.7, sigmaNext: 0.45, history: null });
  a.x.forEach((value, i) => assert.ok(Math.abs(value - b.x[i]!) < 1e-6));
  assert.equal(a.history?.sigma, 0.7);
});

Deno.test("dpmpp2m uses its history: a restart (history null) changes the step", () => {
  const x = Float32Array.from([0.3, -1.5]);
  const v = Float32Array.from([1, 0.25]);
  const history = { x0: Float32Array.from([2, 2]), sigma: 0.8 };
  const withHistory = dpmpp2m.step({ x, v, sigma: 0.6, sigmaNext: 0.4, history });
  const restarted = dpmpp2m.step({ x, v, sigma: 0.6, sigmaNext: 0.4, history: null });
  assert.notDeepEqual(withHistory.x, restarted.x);
});

Deno.test("dpmpp2m last step to sigma 0 returns the clean prediction", () => {
  const x = Float32Array.from([0.5]);
  const v = Float32Array.from([2]);
  const out = dpmpp2m.step({ x, v, sigma: 0.1, sigmaNext: 0, history: { x0: x, sigma: 0.2 } });
  assert.ok(Math.abs(out.x[0]! - 0.3) < 1e-6);
});
