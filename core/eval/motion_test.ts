import assert from "node:assert/strict";
import { analyzeMotion } from "./motion.ts";
import type { Region } from "./segment.ts";

const SIZE = 64;
const R = 0.12 * SIZE; // a small world shape
const HI = SIZE - 1 - R; // the centre's right wall, as in models/world.py

/** The region a world square centred at (cx, cy) rasterizes to. */
function square(cx: number, cy: number): Region {
  const x0 = Math.ceil(cx - R), x1 = Math.floor(cx + R);
  const y0 = Math.ceil(cy - R), y1 = Math.floor(cy + R);
  const area = (x1 - x0 + 1) * (y1 - y0 + 1);
  return { label: 1, area, cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, x0, y0, x1, y1 };
}

/** A diagonal track moving right by `step` from `x`, clamped on the right wall like the world. */
function towardRightWall(x: number, step: number, frames: number): Region[] {
  return Array.from({ length: frames }, (_, t) => square(Math.min(HI, x + step * t), 20 + 1.5 * t));
}

Deno.test("a hit on the last frame counts when the world clamps the step short", () => {
  const track = towardRightWall(HI - 4 * 9 - 1.5, 4, 11); // frame 10 would overshoot by 2.5 px
  assert.deepEqual(analyzeMotion(track, SIZE, SIZE).hits, [10]);
});

Deno.test("a shape ending 0.3 px short of the wall makes no hit", () => {
  const track = towardRightWall(HI - 0.3 - 4 * 10, 4, 11);
  assert.equal(track.at(-1)!.x1, SIZE - 2); // it does graze the last-but-one column
  assert.deepEqual(analyzeMotion(track, SIZE, SIZE).hits, []);
});

Deno.test("a reversal one frame before the end is a hit when the shape is on the wall", () => {
  const xs = [30, 34, 38, 42, 46, 50, HI, HI - 2];
  const track = xs.map((x, t) => square(x, 20 + 2 * t));
  assert.deepEqual(analyzeMotion(track, SIZE, SIZE), { motion: "bounce", hits: [6] });
});

Deno.test("a jittering blob moving left is left, not a bounce", () => {
  const jitter = [0.8, -0.6, 1.1, -1, 0.2, -0.9, 0.7, 0, -1.2, 0.9, -0.4, 1];
  const track = jitter.map((j, t) => square(50 - 2.5 * t + j, 32 - j));
  assert.deepEqual(analyzeMotion(track, SIZE, SIZE), { motion: "left", hits: [] });
});

Deno.test("vertical moves read as up and down; a still shape as still; no shape as none", () => {
  const move = (dy: number) => Array.from({ length: 12 }, (_, t) => square(32, 32 + dy * t));
  assert.equal(analyzeMotion(move(-2), SIZE, SIZE).motion, "up");
  assert.equal(analyzeMotion(move(2), SIZE, SIZE).motion, "down");
  assert.equal(analyzeMotion(move(0), SIZE, SIZE).motion, "still");
  assert.equal(analyzeMotion([null, null], SIZE, SIZE).motion, "none");
});

Deno.test("frames without the object are bridged, not read as reversals", () => {
  const track = Array.from({ length: 12 }, (_, t) => t % 4 === 1 ? null : square(15 + 3 * t, 30));
  assert.deepEqual(analyzeMotion(track, SIZE, SIZE), { motion: "right", hits: [] });
});
