import assert from "node:assert/strict";
import { guide } from "./guidance.ts";

Deno.test("guide applies the video scale to video and the audio scale to audio", () => {
  const cond = { video: Float32Array.of(1, 2), audio: Float32Array.of(3) };
  const uncond = { video: Float32Array.of(0, 1), audio: Float32Array.of(1) };
  const v = guide(cond, uncond, { video: 2, audio: 5 });
  // video: u + 2 (c - u) = [2, 3]; audio: 1 + 5 * 2 = 11
  assert.deepEqual(Array.from(v), [2, 3, 11]);
});

Deno.test("guide with scale 1 returns the conditional and with 0 the unconditional", () => {
  const cond = { video: Float32Array.of(4), audio: Float32Array.of(-2) };
  const uncond = { video: Float32Array.of(1), audio: Float32Array.of(7) };
  assert.deepEqual(Array.from(guide(cond, uncond, { video: 1, audio: 0 })), [4, 7]);
});
