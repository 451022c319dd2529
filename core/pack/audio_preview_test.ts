/**
 * The default pack's audio preview decoder: the audio decoder at half the sample rate
 * (models/audio_ae.py AudioPreviewDecoder), and the fallback for packs without one.
 */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { DEFAULT_PACK_DIR } from "../engine.ts";
import { clipGeometry } from "../geometry.ts";
import { loadPack } from "./load.ts";
import { OnnxBackend } from "./onnx_backend.ts";

const ignore = !(await Deno.stat(`${DEFAULT_PACK_DIR}/manifest.json`).catch(() => null));

/** 2 s of the world's high whistle (1500 Hz) with a click every half second. */
function whistle(sampleRate: number): Float32Array {
  return Float32Array.from(
    { length: 2 * sampleRate },
    (_, i) =>
      0.3 * Math.sin((2 * Math.PI * 1500 * i) / sampleRate) +
      (i % (sampleRate / 2) < 8 ? 0.5 : 0),
  );
}

function correlation(a: Float32Array, b: Float32Array): number {
  const mean = (x: Float32Array) => x.reduce((s, v) => s + v, 0) / x.length;
  const [ma, mb] = [mean(a), mean(b)];
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb);
    aa += (a[i]! - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

Deno.test({
  name: "audio previews sound the clip at 8 kHz: the full decoder's every other sample",
  ignore,
  fn: async () => {
    const pack = await loadPack(DEFAULT_PACK_DIR, {
      components: ["audio_encoder", "audio_decoder", "audio_preview_decoder"],
    });
    const backend = new OnnxBackend(pack);
    try {
      const g = clipGeometry(pack.manifest, 64, 64, 2);
      const { latent } = await pack.sessions.audio_encoder!.run({
        waveform: new ort.Tensor("float32", whistle(g.sampleRate), [1, g.samples]),
      });
      const latents = latent!.data as Float32Array;
      const full = await backend.decodeAudio(latents, 1, g, "final");
      const preview = await backend.decodeAudio(latents, 1, g, "preview");
      assert.equal(pack.manifest.audio.preview_sample_rate, 8000);
      assert.equal(preview.length, 2 * 8000);
      const everyOther = full.filter((_, i) => i % 2 === 0);
      const r = correlation(preview, everyOther);
      assert.ok(r > 0.98, `correlation ${r}`);
      const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
      assert.ok(Math.abs(rms(preview) / rms(everyOther) - 1) < 0.05, "same loudness");
      assert.equal(backend.stats().byComponent.audio_preview_decoder?.calls, 1);
    } finally {
      await backend.close();
    }
  },
});

Deno.test({
  name: "a pack without an audio preview decoder previews with its audio decoder",
  ignore,
  fn: async () => {
    const pack = await loadPack(DEFAULT_PACK_DIR, { components: ["audio_decoder"] });
    const backend = new OnnxBackend(pack);
    try {
      const g = clipGeometry(pack.manifest, 64, 64, 2);
      const preview = await backend.decodeAudio(new Float32Array(g.audioSize), 1, g, "preview");
      assert.equal(preview.length, g.samples);
      assert.equal(backend.stats().byComponent.audio_decoder?.calls, 1);
    } finally {
      await backend.close();
    }
  },
});
