import assert from "node:assert/strict";
import { encodeWav } from "./wav.ts";

Deno.test("encodeWav writes a RIFF header and clipped little-endian 16-bit samples", () => {
  const wav = encodeWav(Float32Array.of(0, 1, -1, 2, Number.NaN), 16000);
  const view = new DataView(wav.buffer);
  assert.equal(new TextDecoder().decode(wav.subarray(0, 4)), "RIFF");
  assert.equal(new TextDecoder().decode(wav.subarray(36, 40)), "data");
  assert.equal(view.getUint32(24, true), 16000);
  assert.equal(view.getUint32(40, true), 10);
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => view.getInt16(44 + 2 * i, true)), [
    0,
    32767,
    -32767,
    32767,
    0,
  ]);
});
