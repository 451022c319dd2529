import assert from "node:assert/strict";
import { progressLine } from "./progress.ts";

Deno.test("progressLine shows the bar, the count, it/s and the time left", () => {
  assert.equal(progressLine(8, 16, 2000, 8), "[####----] 8/16  4.0 it/s  ETA 2.0s");
  assert.equal(progressLine(0, 4, 0, 4), "[----] 0/4  0.0 it/s  ETA 0.0s");
});
