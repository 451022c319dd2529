import assert from "node:assert/strict";
import sharp from "sharp";
import { frameAt, type Rgb8Frames, tile } from "./frames.ts";
import { encodeFrames, encodeImage, gridColumns } from "./images.ts";
import { cutJpegGrid } from "./jpeg_grid.ts";

/** Frames of a moving disc over a gradient, with noise so the data holds many 0xFF bytes. */
function movingDisc(frames: number, width: number, height: number): Rgb8Frames {
  const data = new Uint8Array(frames * width * height * 3);
  let seed = 7;
  const noise = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) % 24;
  for (let f = 0; f < frames; f++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = ((f * height + y) * width + x) * 3;
        const inside = (x - 8 - 2 * f) ** 2 + (y - height / 2) ** 2 < 80;
        data[i] = inside ? 230 : 30 + y + noise();
        data[i + 1] = inside ? 40 : 90 + x;
        data[i + 2] = inside ? 50 : 200 - 4 * f + noise();
      }
    }
  }
  return { data, frames, width, height };
}

const pixels = (jpeg: Uint8Array) => sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
const OPTIONS = { format: "jpeg", quality: 70 } as const;

Deno.test("frames cut from a strip decode to exactly the pixels of frames encoded alone", async () => {
  const clip = movingDisc(12, 64, 48);
  const strip = await encodeImage({ data: clip.data, width: 64, height: 48 * 12 }, OPTIONS);
  const cut = cutJpegGrid(strip, 12) ?? assert.fail("the strip was refused");
  assert.equal(cut.length, 12);
  for (let f = 0; f < clip.frames; f++) {
    const alone = await encodeImage(
      { data: frameAt(clip, f), width: 64, height: 48 },
      OPTIONS,
    );
    const [got, want] = await Promise.all([pixels(cut[f]!), pixels(alone)]);
    assert.deepEqual([got.info.width, got.info.height, got.info.channels], [64, 48, 3]);
    assert.ok(got.data.equals(want.data), `frame ${f} decodes differently`);
  }
});

Deno.test("cut frames with fitted tables are about as small as frames encoded alone", async () => {
  const clip = movingDisc(24, 64, 64);
  const cut = await encodeFrames(clip, OPTIONS);
  const alone = await Promise.all(
    Array.from(
      { length: 24 },
      (_, f) => encodeImage({ data: frameAt(clip, f), width: 64, height: 64 }, OPTIONS),
    ),
  );
  const size = (images: Uint8Array[]) => images.reduce((n, i) => n + i.length, 0);
  assert.ok(size(cut) < 1.1 * size(alone), `${size(cut)} bytes vs ${size(alone)}`);
});

Deno.test("upscaled frames are cut at the upscaled height", async () => {
  const clip = movingDisc(4, 8, 8);
  const cut = await encodeFrames(clip, { ...OPTIONS, scale: 8 });
  for (const frame of cut) {
    const { info } = await pixels(frame);
    assert.deepEqual([info.width, info.height], [64, 64]);
  }
});

Deno.test("strips the cut cannot split are refused, and encodeFrames falls back", async () => {
  const clip = movingDisc(4, 16, 12); // 12 rows: not a whole number of 16-row MCUs
  const strip = { data: clip.data, width: 16, height: 48 };
  assert.equal(cutJpegGrid(await encodeImage(strip, OPTIONS), 4), null);
  const frames = await encodeFrames(clip, OPTIONS);
  assert.deepEqual((await pixels(frames[3]!)).info.height, 12);

  const progressive = await sharp(movingDisc(2, 16, 16).data, {
    raw: { width: 16, height: 32, channels: 3 },
  }).jpeg({ progressive: true }).toBuffer();
  assert.equal(cutJpegGrid(new Uint8Array(progressive), 2), null);
  assert.equal(cutJpegGrid(new Uint8Array([1, 2, 3]), 2), null);
});

for (const [frames, columns] of [[12, 4], [10, 4], [24, 6]] as const) {
  Deno.test(`${frames} frames cut from a grid ${columns} across decode to exactly the pixels of frames encoded alone`, async () => {
    const clip = movingDisc(frames, 32, 48);
    const grid = tile(clip, columns); // with 10 frames, the last row has two empty cells
    const cut = cutJpegGrid(await encodeImage(grid, OPTIONS), frames, columns) ??
      assert.fail("the grid was refused");
    assert.equal(cut.length, frames);
    for (let f = 0; f < frames; f++) {
      const alone = await encodeImage({ data: frameAt(clip, f), width: 32, height: 48 }, OPTIONS);
      const [got, want] = await Promise.all([pixels(cut[f]!), pixels(alone)]);
      assert.deepEqual([got.info.width, got.info.height], [32, 48]);
      assert.ok(got.data.equals(want.data), `frame ${f} decodes differently`);
    }
  });
}

Deno.test("a grid whose frames are not whole MCUs wide is refused; encodeFrames lays such clips out as a strip", async () => {
  const clip = movingDisc(4, 24, 16); // 24 px: one and a half 16-px MCUs
  assert.equal(cutJpegGrid(await encodeImage(tile(clip, 2), OPTIONS), 4, 2), null);
  assert.equal(gridColumns(clip), 1);
  assert.equal(gridColumns(clip, 2), 4, "48 px once upscaled 2x: whole MCUs");
  assert.equal(gridColumns(movingDisc(24, 64, 64)), 6);
  assert.equal(gridColumns(movingDisc(7, 64, 64)), 1, "7 frames: no divisor up to 6");
  const frames = await encodeFrames(clip, OPTIONS);
  assert.deepEqual((await pixels(frames[3]!)).info.width, 24);
});
