import assert from "node:assert/strict";
import { clickFrames, detectClicks, detectPitch } from "./audio.ts";

const RATE = 16000;

function tone(hz: number, seconds = 2, amplitude = 0.3, phase = 1): Float32Array {
  return Float32Array.from(
    { length: seconds * RATE },
    (_, i) => amplitude * Math.sin(2 * Math.PI * hz * i / RATE + phase),
  );
}

/** Seeded white noise in [-1, 1]. */
function noise(seed: number): () => number {
  let state = seed;
  return () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
}

/** Adds a world click (15 ms, amplitude 0.8, decay tau 3 ms) at `seconds`. */
function addClick(wave: Float32Array, seconds: number, seed = 3): void {
  const next = noise(seed), start = Math.round(seconds * RATE);
  for (let i = 0; i < 0.015 * RATE && start + i < wave.length; i++) {
    wave[start + i]! += 0.8 * Math.exp(-i / (0.003 * RATE)) * next();
  }
}

Deno.test("detectPitch hears 250 Hz as low, 1500 Hz as high, silence and hiss as none", () => {
  assert.equal(detectPitch(tone(250), RATE), "low");
  assert.equal(detectPitch(tone(1500), RATE), "high");
  assert.equal(detectPitch(new Float32Array(2 * RATE), RATE), "none");
  const hiss = noise(7);
  assert.equal(
    detectPitch(Float32Array.from({ length: 2 * RATE }, () => 0.2 * hiss()), RATE),
    "none",
  );
});

Deno.test("detectPitch ignores clicks and survives hiss over the tone", () => {
  const hiss = noise(9);
  const wave = tone(250).map((v) => v + 0.1 * hiss());
  for (const t of [0.25, 0.5, 0.75, 1, 1.25]) addClick(wave, t);
  assert.equal(detectPitch(wave, RATE), "low");
});

Deno.test("a click is timed to the millisecond over a high tone, and the tone's start is no click", () => {
  // A loud tone starting at its peak: a step at sample 0 that rings a plain high-pass.
  const wave = tone(1500, 2, 0.6, Math.PI / 2);
  addClick(wave, 7 / 12);
  const [onset, ...rest] = detectClicks(wave, RATE);
  assert.deepEqual(rest, []);
  assert.ok(Math.abs(onset! - 7 / 12) <= 0.0015, `onset ${onset}`);
  assert.deepEqual(clickFrames(wave, RATE, 12), [7]);
});

Deno.test("clicks on consecutive frames stay two clicks", () => {
  const wave = tone(250);
  addClick(wave, 3 / 12, 1);
  addClick(wave, 4 / 12, 2);
  assert.deepEqual(clickFrames(wave, RATE, 12), [3, 4]);
});

Deno.test("a click smeared over 40 ms, as a vocoder does, lands on its frame", () => {
  const wave = tone(250);
  const next = noise(5), centre = Math.round(10 / 12 * RATE), half = 0.02 * RATE;
  for (let i = -half; i < half; i++) {
    wave[centre + i]! += 0.4 * (0.5 + 0.5 * Math.cos(Math.PI * i / half)) * next();
  }
  assert.deepEqual(clickFrames(wave, RATE, 12), [10]);
});
