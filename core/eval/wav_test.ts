import assert from "node:assert/strict";
import { decodeWav } from "./wav.ts";

/** A WAV file with an extra chunk before `data`, as some writers add. */
function wav(samples: number[], channels: number, bits = 16): Uint8Array {
  const data = samples.length * 2;
  const bytes = new Uint8Array(44 + 10 + data);
  const view = new DataView(bytes.buffer);
  const text = (at: number, s: string) =>
    [...s].forEach((ch, i) => view.setUint8(at + i, ch.charCodeAt(0)));
  text(0, "RIFF"), view.setUint32(4, bytes.length - 8, true), text(8, "WAVE");
  text(12, "fmt "), view.setUint32(16, 16, true), view.setUint16(20, 1, true);
  view.setUint16(22, channels, true), view.setUint32(24, 16000, true);
  view.setUint32(28, 16000 * channels * 2, true), view.setUint16(32, channels * 2, true);
  view.setUint16(34, bits, true);
  text(36, "LIST"), view.setUint32(40, 1, true); // odd size: one pad byte follows
  text(46, "data"), view.setUint32(50, data, true);
  samples.forEach((s, i) => view.setInt16(54 + 2 * i, s, true));
  return bytes;
}

Deno.test("decodeWav reads 16-bit PCM past other chunks and averages channels", () => {
  const mono = decodeWav(wav([0, 16384, -32768], 1));
  assert.equal(mono.sampleRate, 16000);
  assert.deepEqual([...mono.samples], [0, 0.5, -1]);
  assert.deepEqual([...decodeWav(wav([16384, 0, -16384, -16384], 2)).samples], [0.25, -0.5]);
});

Deno.test("decodeWav refuses what is not 16-bit PCM WAV", () => {
  assert.throws(() => decodeWav(wav([0, 0], 1, 8)), /not 16-bit PCM/);
  assert.throws(() => decodeWav(new TextEncoder().encode("not a wav file")), /not a RIFF\/WAVE/);
});
