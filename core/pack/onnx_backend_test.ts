/**
 * OnnxBackend's decoders on the real default pack: on a CPU a batch of clips is decoded
 * one clip a call (onnxruntime's arena keeps a session's peak), and every clip still
 * comes back as its own decode, in order. Its preview decoders: 8-bit frames like the
 * final decoder's, and sound that is the final sound's band below 4 kHz, at 8 kHz.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { DEFAULT_PACK_DIR } from "../engine.ts";
import { type ClipGeometry, clipGeometry } from "../geometry.ts";
import { loadPack, type Pack } from "./load.ts";
import type { ComponentName } from "./manifest.ts";
import { OnnxBackend } from "./onnx_backend.ts";

const ignore = !existsSync(`${DEFAULT_PACK_DIR}/manifest.json`);
if (ignore) console.log(`skipped: no pack at ${DEFAULT_PACK_DIR} (see models/README.md)`);

/**
 * Runs `body` on the default pack's `components` (one thread a session) and a 2 s
 * 64x64 clip's geometry, closing the sessions after.
 */
async function withBackend(
  body: (backend: OnnxBackend, g: ClipGeometry, pack: Pack) => Promise<void>,
  components?: readonly ComponentName[],
): Promise<void> {
  const pack = await loadPack(DEFAULT_PACK_DIR, {
    intraOpThreads: 1,
    ...(components ? { components } : {}),
  });
  const backend = new OnnxBackend(pack);
  try {
    await body(backend, clipGeometry(pack.manifest, 64, 64, 2), pack);
  } finally {
    await backend.close();
  }
}

/** `length` values in [-1, 1), the same for the same seed. */
function uniform(length: number, seed: number): Float32Array {
  return Float32Array.from(
    { length },
    () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1,
  );
}

Deno.test({
  name: "a CPU decodes a batch one clip a call, each clip as if alone",
  ignore,
  fn: () =>
    withBackend(async (backend, g) => {
      const rows = 3;
      const video = uniform(rows * g.videoSize, 11), audio = uniform(rows * g.audioSize, 12);
      const row = (a: Float32Array, size: number, r: number) =>
        a.subarray(r * size, (r + 1) * size);

      const decoders = [
        ["video_decoder", (l: Float32Array, n: number) => backend.decodeVideo(l, n, g)],
        ["audio_decoder", (l: Float32Array, n: number) => backend.decodeAudio(l, n, g)],
      ] as const;
      for (const [component, decode] of decoders) {
        const latents = component === "audio_decoder" ? audio : video;
        const size = latents.length / rows;
        const callsBefore = backend.stats().byComponent[component]?.calls ?? 0;
        const together = await decode(latents, rows);
        const calls = backend.stats().byComponent[component]!.calls - callsBefore;
        assert.equal(calls, rows, `${component}: one call a clip`);
        const alone = await Promise.all(
          Array.from({ length: rows }, (_, r) => decode(row(latents, size, r).slice(), 1)),
        );
        assert.equal(together.length, rows * alone[0]!.length);
        alone.forEach((clip, r) =>
          assert.deepEqual(row(together, clip.length, r), clip, `${component}: clip ${r}`)
        );
        assert.notDeepEqual(alone[0], alone[1], `${component}: two latents, one decode`);
      }
    }),
});

/** |DFT| of `wave` at `hz` (Goertzel), for a rate of `rate` samples a second. */
function magnitudeAt(wave: Float32Array, rate: number, hz: number): number {
  const w = (2 * Math.PI * hz) / rate, c = 2 * Math.cos(w);
  let s1 = 0, s2 = 0;
  for (const x of wave) [s1, s2] = [x + c * s1 - s2, s1];
  return Math.sqrt(s1 * s1 + s2 * s2 - c * s1 * s2);
}

/** Pearson correlation of two equally long lists. */
function correlation(a: number[], b: number[]): number {
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = mean(a), mb = mean(b);
  let ab = 0, aa = 0, bb = 0;
  a.forEach((x, i) => {
    ab += (x - ma) * (b[i]! - mb);
    aa += (x - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  });
  return ab / Math.sqrt(aa * bb);
}

Deno.test({
  name: "the preview sound is the final sound's band below 4 kHz, at 8 kHz",
  ignore,
  fn: () =>
    withBackend(async (backend, g) => {
      const latent = uniform(g.audioSize, 5);
      const full = await backend.decodeAudio(latent, 1, g);
      const preview = await backend.previewSound(latent, g);
      assert.equal(preview.sampleRate, g.sampleRate / 2);
      assert.equal(preview.samples.length, g.samples / 2);
      // Every 31.25 Hz bin centre up to 3.9 kHz. A tone's |DFT| grows with the samples
      // it spans, so the preview's (half as many) count twice.
      const bins = Array.from({ length: 124 }, (_, k) => 31.25 * (k + 1));
      const wanted = bins.map((hz) => magnitudeAt(full, g.sampleRate, hz));
      const got = bins.map((hz) => 2 * magnitudeAt(preview.samples, preview.sampleRate, hz));
      const r = correlation(wanted, got);
      assert.ok(r > 0.999, `spectra correlate ${r.toFixed(5)}`);
      const gain = got.reduce((s, x) => s + x, 0) / wanted.reduce((s, x) => s + x, 0);
      assert.ok(Math.abs(gain - 1) < 0.02, `same loudness (${gain.toFixed(3)})`);
    }),
});

Deno.test({
  name: "the preview decoder gives 8-bit frames of what was encoded",
  ignore,
  fn: () =>
    withBackend(async (backend, g, pack) => {
      // A red square on white moving right, as the world draws them.
      const clip = new Float32Array(g.frames * g.height * g.width * 3).fill(1);
      const inSquare = (f: number, x: number, y: number) =>
        y >= 20 && y < 44 && x >= 4 + f && x < 28 + f;
      for (let f = 0; f < g.frames; f++) {
        for (let y = 0; y < g.height; y++) {
          for (let x = 0; x < g.width; x++) {
            if (inSquare(f, x, y)) {
              clip.set([0.9, 0.1, 0.1], ((f * g.height + y) * g.width + x) * 3);
            }
          }
        }
      }
      const frames = new ort.Tensor("float32", clip, [1, g.frames, g.height, g.width, 3]);
      const latent = (await pack.sessions.video_encoder!.run({ frames })).latent!
        .data as Float32Array;
      const preview = await backend.previewFrames(latent, g);
      assert.ok(preview.data instanceof Uint8Array, "8-bit from the graph itself");
      assert.equal(preview.data.length, clip.length);
      // Measured 0.039 (the float frames before the 8-bit graph: the same, to half a level).
      let diff = 0;
      preview.data.forEach((v, i) => (diff += Math.abs(v / 255 - clip[i]!)));
      assert.ok(diff / clip.length < 0.06, `mean difference ${diff / clip.length} of full scale`);
      const rgb = [0, 0, 0];
      let n = 0;
      for (let f = 0; f < g.frames; f++) {
        for (let y = 24; y < 40; y++) {
          for (let x = 8 + f; x < 24 + f; x++, n++) {
            for (let k = 0; k < 3; k++) {
              rgb[k]! += preview.data[((f * g.height + y) * g.width + x) * 3 + k]!;
            }
          }
        }
      }
      const [r, gr, b] = rgb.map((v) => v / n / 255);
      assert.ok(r! > 0.7 && gr! < 0.3 && b! < 0.3, `the square is red (${r}, ${gr}, ${b})`);
    }, ["video_encoder", "preview_decoder"]),
});
