/**
 * The preview workers on the real default pack: one render gives both parts of the same
 * step from two workers, a part that fails fails the render (the other part still comes
 * out), and a closed renderer refuses new renders.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { DEFAULT_PACK_DIR } from "./engine.ts";
import { ModelFailedError } from "./errors.ts";
import { clipGeometry } from "./geometry.ts";
import { parseManifest } from "./pack/manifest.ts";
import { DEFAULT_PREVIEW } from "./preview.ts";
import { PreviewWorker } from "./preview_worker_client.ts";
import type { Preview } from "./types.ts";

const ignore = !existsSync(`${DEFAULT_PACK_DIR}/manifest.json`);
if (ignore) console.log(`skipped: no pack at ${DEFAULT_PACK_DIR} (see models/README.md)`);

async function setUp(packDir = DEFAULT_PACK_DIR) {
  const manifest = parseManifest(
    JSON.parse(await Deno.readTextFile(`${packDir}/manifest.json`)),
    "manifest.json",
  );
  const geometry = clipGeometry(manifest, 64, 64, 2);
  const x0 = Float32Array.from({ length: geometry.videoSize + geometry.audioSize }, Math.random);
  return { geometry, x0, renderer: await PreviewWorker.start(packDir, DEFAULT_PREVIEW) };
}

Deno.test({
  name: "preview workers: one render gives the step's frames and sound, both decoded",
  ignore,
  fn: async () => {
    const { geometry, x0, renderer } = await setUp();
    try {
      const parts: Preview[] = [];
      await renderer.render(
        { x0, geometry, step: 3, sigma: 0.5 },
        () => true,
        (p) => parts.push(p),
      );
      assert.deepEqual(parts.map((p) => `${p.kind}@${p.step}`).sort(), ["audio@3", "video@3"]);
      for (const p of parts) {
        if (p.kind === "video") assert.equal(p.frames.length, geometry.frames);
        else assert.equal(p.audio.length * geometry.sampleRate / p.sampleRate, geometry.samples);
      }
      const stats = renderer.stats().byComponent;
      assert.deepEqual([stats.preview_decoder?.calls, stats.audio_preview_decoder?.calls], [1, 1]);
    } finally {
      await renderer.close();
    }
  },
});

Deno.test({
  name: "preview workers: a part that fails fails the render, the other part still comes",
  ignore,
  fn: async () => {
    const { geometry, x0, renderer } = await setUp();
    try {
      // A video latent one frame short: the preview decoder refuses it, the audio is whole.
      const short = { ...geometry, video: [8, 11, 8, 8] as [number, number, number, number] };
      const parts: Preview[] = [];
      await assert.rejects(
        renderer.render(
          {
            x0: x0.subarray(8 * 8 * 8),
            geometry: { ...short, videoSize: 8 * 11 * 8 * 8 },
            step: 1,
            sigma: 1,
          },
          () => true,
          (p) => parts.push(p),
        ),
        (e) => e instanceof ModelFailedError && /Cannot render preview/.test(e.message),
      );
      assert.deepEqual(parts.map((p) => p.kind), ["audio"]);
      await renderer.render({ x0, geometry, step: 2, sigma: 0.5 }, () => true, () => {});
    } finally {
      await renderer.close();
    }
    await assert.rejects(
      renderer.render({ x0, geometry, step: 4, sigma: 0.1 }, () => true, () => {}),
      /closed/,
    );
  },
});

Deno.test({
  name: "preview workers: a pack without an audio preview decoder previews with its audio decoder",
  ignore,
  fn: async () => {
    // The default pack's files, linked, under a manifest without the component.
    const dir = await Deno.makeTempDir({ prefix: "emerge-pack-" });
    for await (const entry of Deno.readDir(DEFAULT_PACK_DIR)) {
      if (entry.name !== "manifest.json") {
        await Deno.symlink(
          await Deno.realPath(`${DEFAULT_PACK_DIR}/${entry.name}`),
          `${dir}/${entry.name}`,
        );
      }
    }
    const json = JSON.parse(await Deno.readTextFile(`${DEFAULT_PACK_DIR}/manifest.json`));
    delete json.components.audio_preview_decoder;
    await Deno.writeTextFile(`${dir}/manifest.json`, JSON.stringify(json));
    const { geometry, x0, renderer } = await setUp(dir);
    try {
      const parts: Preview[] = [];
      await renderer.render({ x0, geometry, step: 1, sigma: 1 }, () => true, (p) => parts.push(p));
      const sound = parts.find((p) => p.kind === "audio");
      assert.ok(sound?.kind === "audio");
      assert.deepEqual([sound.audio.length, sound.sampleRate], [
        geometry.samples,
        geometry.sampleRate,
      ]);
      const stats = renderer.stats().byComponent;
      assert.deepEqual([stats.audio_decoder?.calls, stats.audio_preview_decoder], [1, undefined]);
    } finally {
      await renderer.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
