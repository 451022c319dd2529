import assert from "node:assert/strict";
import { gaussianNoise, SeededRandom } from "./noise.ts";

Deno.test("gaussianNoise repeats exactly for the same seed and differs for the next seed", () => {
  const a = gaussianNoise(7, 1001);
  assert.deepEqual(a, gaussianNoise(7, 1001));
  const b = gaussianNoise(8, 1001);
  const same = a.filter((v, i) => v === b[i]).length;
  assert.ok(same < 5, `${same} equal values between seeds 7 and 8`);
});

Deno.test("gaussianNoise has zero mean and unit variance within sampling error", () => {
  const n = 200_000;
  const x = gaussianNoise(123, n);
  let sum = 0, sq = 0, beyond3 = 0;
  for (const v of x) {
    sum += v;
    sq += v * v;
    if (Math.abs(v) > 3) beyond3++;
  }
  const mean = sum / n, variance = sq / n - mean * mean;
  assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
  // P(|z| > 3) = 0.0027 for a true normal.
  assert.ok(Math.abs(beyond3 / n - 0.0027) < 0.0008, `tail ${beyond3 / n}`);
});

Deno.test("gaussianNoise of a shorter length is a prefix of the longer stream", () => {
  assert.deepEqual(gaussianNoise(3, 9), gaussianNoise(3, 10).subarray(0, 9));
});

Deno.test("SeededRandom stays in [0, 1) and covers both halves", () => {
  const r = new SeededRandom(0);
  let low = 0;
  for (let i = 0; i < 10_000; i++) {
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    if (u < 0.5) low++;
  }
  assert.ok(low > 4800 && low < 5200, `${low} of 10000 below 0.5`);
});
