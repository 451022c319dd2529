import assert from "node:assert/strict";
import { dynamicShift, shiftFor, shiftSigma, sigmaSchedule } from "./sigmas.ts";

Deno.test("shiftSigma matches k s / (1 + (k - 1) s) and keeps the ends fixed", () => {
  assert.equal(shiftSigma(0.5, 3), 0.75); // 1.5 / 2
  assert.ok(Math.abs(shiftSigma(0.25, 3) - 0.75 / 1.5) < 1e-12);
  assert.equal(shiftSigma(1, 5), 1);
  assert.equal(shiftSigma(0, 5), 0);
  assert.equal(shiftSigma(0.3, 1), 0.3);
});

Deno.test("sigmaSchedule runs from 1 to exactly 0, decreasing, shifted toward noise", () => {
  const plain = sigmaSchedule(8, 1);
  const shifted = sigmaSchedule(8, 3);
  assert.equal(shifted.length, 9);
  assert.equal(shifted[0], 1);
  assert.equal(shifted[8], 0);
  for (let i = 1; i < 9; i++) {
    assert.ok(shifted[i]! < shifted[i - 1]!);
    if (i < 8) assert.ok(shifted[i]! > plain[i]!, `step ${i} not shifted up`);
  }
  assert.deepEqual(Array.from(sigmaSchedule(4, 1)), [1, 0.75, 0.5, 0.25, 0]);
});

Deno.test("dynamicShift grows with the token count and hits exp(mu) at the anchors", () => {
  const config = { baseTokens: 256, maxTokens: 4096, baseMu: 0.5, maxMu: 1.15 };
  assert.ok(Math.abs(dynamicShift(256, config) - Math.exp(0.5)) < 1e-12);
  assert.ok(Math.abs(dynamicShift(4096, config) - Math.exp(1.15)) < 1e-12);
  assert.ok(dynamicShift(1000, config) > dynamicShift(500, config));
  assert.equal(shiftFor({ kind: "static", shift: 3 }, 10_000), 3);
  assert.equal(shiftFor({ kind: "dynamic", config }, 256), Math.exp(0.5));
});
