import assert from "node:assert/strict";
import { tile, toRgb8 } from "./frames.ts";

Deno.test("toRgb8 clips to [0, 255] and rounds", () => {
  const clip = toRgb8(Float32Array.of(-0.5, 0.5, 2), 1, 1, 1);
  assert.deepEqual(Array.from(clip.data), [0, 128, 255]);
});

Deno.test("tile places frame f at column f % columns and row f / columns", () => {
  // three 1x1 frames, red, green, blue, in a 2-wide grid
  const clip = {
    data: Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255),
    frames: 3,
    width: 1,
    height: 1,
  };
  const grid = tile(clip, 2);
  assert.equal(grid.width, 2);
  assert.equal(grid.height, 2);
  assert.deepEqual(Array.from(grid.data), [255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0]);
});
