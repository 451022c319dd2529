import assert from "node:assert/strict";
import {
  decodeMedia,
  encodeFrameBundle,
  encodeMedia,
  MEDIA_HEADER_BYTES,
  type MediaHeader,
  MediaHeaderError,
  splitFrameBundle,
} from "./protocol.ts";

Deno.test("media header round-trips every field and leaves the payload 4-byte aligned", () => {
  const header: MediaHeader = {
    kind: "audio",
    format: "pcm_f32",
    job: "video_0123456789abcdef01234567",
    seq: 4_000_000_000,
    step: 15,
    sigma: 0.25,
    index: 8192,
    count: 32000,
    rate: 16000,
  };
  const pcm = new Float32Array([0.5, -1, 0.125]);
  const bytes = encodeMedia(header, new Uint8Array(pcm.buffer));
  assert.equal(bytes.byteLength, MEDIA_HEADER_BYTES + 12);
  const { header: back, payload } = decodeMedia(bytes);
  assert.deepEqual(back, header);
  assert.equal(payload.byteOffset % 4, 0);
  assert.deepEqual([...new Float32Array(payload.buffer, payload.byteOffset, 3)], [0.5, -1, 0.125]);
});

Deno.test("decodeMedia refuses short frames, bad magic and unknown kinds", () => {
  assert.throws(() => decodeMedia(new Uint8Array(10)), /short header/);
  const good = encodeMedia({
    kind: "video",
    format: "jpeg",
    job: "j",
    seq: 1,
    step: 0,
    sigma: 1,
    index: 0,
    count: 1,
    rate: 0,
  }, new Uint8Array(3));
  const badKind = good.slice();
  badKind[4] = 9;
  assert.throws(() => decodeMedia(badKind), /kind "9"/);
  const badMagic = good.slice();
  badMagic[0] = 0;
  assert.throws(() => decodeMedia(badMagic), /bad magic/);
});

Deno.test("a frame bundle carries its frames intact and refuses a torn table", () => {
  const frames = [new Uint8Array([1, 2, 3]), new Uint8Array([]), new Uint8Array([9, 8])];
  const header: MediaHeader = {
    kind: "video",
    format: "jpeg",
    job: "video_b",
    seq: 4,
    step: 2,
    sigma: 0.5,
    index: 0,
    count: 3,
    rate: 0,
    bundle: true,
  };
  const { header: read, payload } = decodeMedia(encodeMedia(header, encodeFrameBundle(frames)));
  assert.deepEqual(read, header);
  assert.deepEqual(splitFrameBundle(payload), frames);
  const plain = decodeMedia(encodeMedia({ ...header, bundle: false }, new Uint8Array(4))).header;
  assert.equal(plain.bundle, undefined, "a per-frame message has no bundle flag");
  const torn = encodeFrameBundle(frames).subarray(0, 10);
  assert.throws(() => splitFrameBundle(torn), MediaHeaderError);
  assert.throws(() => splitFrameBundle(new Uint8Array([255, 255, 0, 0])), MediaHeaderError);
});
