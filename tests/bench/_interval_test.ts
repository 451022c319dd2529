import assert from "node:assert/strict";
import { formatInterval, medianInterval, ratioInterval } from "./_interval.ts";
import { median } from "./_table.ts";

Deno.test("ratioInterval: an exact ratio has no spread", () => {
  const off = [200, 210, 190, 250, 205];
  assert.deepEqual(ratioInterval(off.map((v) => v * 1.2), off), [1.2, 1.2]);
});

Deno.test("ratioInterval: noisy pairs give an interval around the ratio of medians, narrower with more pairs", () => {
  let s = 7;
  const noise = () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 60;
  const pairs = (n: number) => {
    const off = Array.from({ length: n }, () => 220 + noise());
    return { on: off.map((v) => v * 1.15 + noise()), off };
  };
  const few = pairs(7), many = pairs(200);
  const [low, high] = ratioInterval(few.on, few.off);
  const point = median(few.on) / median(few.off);
  assert.ok(low < point && point < high, `${low} < ${point} < ${high}`);
  const [manyLow, manyHigh] = ratioInterval(many.on, many.off);
  assert.ok(manyHigh - manyLow < high - low, "more pairs, a narrower interval");
  assert.ok(manyLow < 1.15 && 1.15 < manyHigh, `the true ratio 1.15 in ${manyLow}-${manyHigh}`);
  assert.equal(formatInterval([1.234, 1.5]), "1.23-1.50");
});

Deno.test("ratioInterval refuses unpaired runs", () => {
  assert.throws(() => ratioInterval([1, 2], [1]), /needs pairs/);
  assert.throws(() => ratioInterval([], []), /at least one run/);
});

Deno.test("medianInterval brackets the median of a spread, and is a point for equal values", () => {
  assert.deepEqual(medianInterval([1.04, 1.04, 1.04]), [1.04, 1.04]);
  const [low, high] = medianInterval([0.98, 1.01, 1.03, 1.04, 1.06, 1.09, 1.2]);
  assert.ok(low <= 1.04 && 1.04 <= high && low < high, `${low}-${high}`);
});
