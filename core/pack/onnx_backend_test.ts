/**
 * OnnxBackend's decoders on the real default pack: on a CPU a batch of clips is decoded
 * one clip a call (onnxruntime's arena keeps a session's peak), and every clip still
 * comes back as its own decode, in order.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { DEFAULT_PACK_DIR } from "../engine.ts";
import { clipGeometry } from "../geometry.ts";
import { loadPack } from "./load.ts";
import { OnnxBackend } from "./onnx_backend.ts";

const ignore = !existsSync(`${DEFAULT_PACK_DIR}/manifest.json`);
if (ignore) console.log(`skipped: no pack at ${DEFAULT_PACK_DIR} (see models/README.md)`);

Deno.test({
  name: "a CPU decodes a batch one clip a call, each clip as if alone",
  ignore,
  fn: async () => {
    const pack = await loadPack(DEFAULT_PACK_DIR, { intraOpThreads: 1 });
    const backend = new OnnxBackend(pack);
    try {
      const g = clipGeometry(pack.manifest, 64, 64, 2);
      let seed = 11;
      const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
      const rows = 3;
      const video = Float32Array.from({ length: rows * g.videoSize }, random);
      const audio = Float32Array.from({ length: rows * g.audioSize }, random);
      const row = (a: Float32Array, size: number, r: number) =>
        a.subarray(r * size, (r + 1) * size);

      const decoders = [
        ["video_decoder", (l: Float32Array, n: number) => backend.decodeVideo(l, n, g, "final")],
        [
          "preview_decoder",
          (l: Float32Array, n: number) => backend.decodeVideo(l, n, g, "preview"),
        ],
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
    } finally {
      await backend.close();
    }
  },
});
