import assert from "node:assert/strict";
import { parseRange } from "./range.ts";

Deno.test("parseRange reads start-end, open-ended and suffix ranges and clamps the end", () => {
  assert.deepEqual(parseRange("bytes=0-99", 1000), { start: 0, end: 99 });
  assert.deepEqual(parseRange("bytes=900-", 1000), { start: 900, end: 999 });
  assert.deepEqual(parseRange("bytes=-100", 1000), { start: 900, end: 999 });
  assert.deepEqual(parseRange("bytes=990-5000", 1000), { start: 990, end: 999 });
  assert.deepEqual(parseRange("bytes=-5000", 1000), { start: 0, end: 999 });
});

Deno.test("parseRange answers the whole file for no or odd headers and 416 for impossible ones", () => {
  assert.equal(parseRange(undefined, 10), null);
  assert.equal(parseRange("bytes=0-1,5-6", 10), null);
  assert.equal(parseRange("items=0-1", 10), null);
  assert.equal(parseRange("bytes=10-", 10), "unsatisfiable");
  assert.equal(parseRange("bytes=5-2", 10), "unsatisfiable");
  assert.equal(parseRange("bytes=-0", 10), "unsatisfiable");
});
