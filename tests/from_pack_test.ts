/**
 * models/from_pack.py: a pack's checkpoints read back out of its ONNX graphs. On the
 * shipped pack, the recovered run samples in PyTorch exactly what the engine samples
 * from the pack, and export.py re-exports its graphs from it into a pack; a pack whose
 * graphs do not fit its config is refused, writing nothing.
 */
import assert from "node:assert/strict";
import { DEFAULT_PACK_DIR } from "../core/engine.ts";
import { clipGeometry } from "../core/geometry.ts";
import { loadPack } from "../core/pack/load.ts";
import { OnnxBackend } from "../core/pack/onnx_backend.ts";
import { PYTHON, TORCH_INSTALL, torchMissing } from "../models/train.ts";
import { assertParity, python } from "./_parity.ts";

const missing = await torchMissing();
if (missing) console.log(`skipping from_pack: ${missing}; install with: ${TORCH_INSTALL}`);

/** Runs from_pack.py with `args`, which must fail; its stderr. */
async function refusal(args: string[]): Promise<string> {
  const run = await new Deno.Command(PYTHON, {
    args: ["models/from_pack.py", ...args],
    stderr: "piped",
  }).output();
  assert.equal(run.success, false);
  return new TextDecoder().decode(run.stderr);
}

Deno.test({
  name: "from_pack.py recovers the shipped pack's checkpoints, which sample like the engine",
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const scratch = await Deno.makeTempDir({ prefix: "emerge-from-pack-" });
    const work = `${scratch}/run`;

    await t.step(
      "every stage comes back complete, re-exporting to the pack's weights",
      async () => {
        const said = await python([
          "models/from_pack.py",
          "--pack",
          DEFAULT_PACK_DIR,
          "--work",
          work,
        ]);
        const within = Number(said.match(/re-exported within (\S+) of the pack/)?.[1]);
        assert.ok(within <= 1e-6, `re-exported ${within} away: ${said}`);
        for (const stage of ["text", "video_ae", "audio_ae", "sharpen_decoder", "preview", "dit"]) {
          await Deno.stat(`${work}/${stage}.pt.done`);
        }
        const manifest = JSON.parse(await Deno.readTextFile(`${DEFAULT_PACK_DIR}/manifest.json`));
        const hardware = JSON.parse(await Deno.readTextFile(`${work}/hardware.json`));
        assert.equal(hardware.torch, manifest.provenance.torch);
        assert.deepEqual(hardware.lineage, manifest.provenance.lineage);
      },
    );

    await t.step("the recovered run samples what the engine samples from the pack", async () => {
      await assertParity(await loadPack(DEFAULT_PACK_DIR), work, scratch);
    });

    await t.step(
      "export.py re-exports graphs into a pack that then previews the same",
      async () => {
        const copy = `${scratch}/copy`;
        await Deno.mkdir(copy);
        for await (const entry of Deno.readDir(DEFAULT_PACK_DIR)) {
          if (entry.name.endsWith("preview_decoder.onnx")) continue; // what the export writes
          await Deno.copyFile(`${DEFAULT_PACK_DIR}/${entry.name}`, `${copy}/${entry.name}`);
        }
        const args = ["--work", work, "--pack", copy, "preview_decoder", "audio_preview_decoder"];
        assert.match(await python(["models/export.py", ...args]), /exported preview_decoder/);
        const manifest = JSON.parse(await Deno.readTextFile(`${copy}/manifest.json`));
        assert.ok(manifest.provenance.graphs_exported_at.audio_preview_decoder);
        const [shipped, again] = await Promise.all(
          [DEFAULT_PACK_DIR, copy].map((dir) =>
            loadPack(dir, { components: ["preview_decoder", "audio_preview_decoder"] })
          ),
        );
        const g = clipGeometry(shipped!.manifest, 64, 64, 2);
        const latent = Float32Array.from({ length: g.videoSize + g.audioSize }, Math.random);
        const [a, b] = [shipped!, again!].map((pack) => new OnnxBackend(pack));
        // The 8-bit preview's weights go to 255 levels and back through float32 (within
        // 1.1e-7), so a pixel that sits on a rounding edge may move one level.
        const [mine, theirs] = await Promise.all(
          [b!, a!].map((backend) => backend.previewFrames(latent.subarray(0, g.videoSize), g)),
        );
        assert.equal(mine!.data.length, theirs!.data.length);
        const moved = mine!.data.filter((v, i) => v !== theirs!.data[i]).length;
        const most = mine!.data.reduce((m, v, i) => Math.max(m, Math.abs(v - theirs!.data[i]!)), 0);
        assert.ok(
          most <= 1 && moved < mine!.data.length / 10000,
          `${moved} levels moved, by ${most}`,
        );
        // The sound's weights come back exactly (slices of the audio decoder's).
        assert.deepEqual(
          await b!.previewSound(latent.subarray(g.videoSize), g),
          await a!.previewSound(latent.subarray(g.videoSize), g),
        );
        await Promise.all([a!.close(), b!.close()]);
      },
    );

    await t.step("a folder that holds something is not written over", async () => {
      assert.match(await refusal(["--work", work]), /not empty/);
    });

    await t.step("a pack whose graphs are not its config's is refused", async () => {
      const bent = `${scratch}/bent`;
      await Deno.mkdir(bent);
      for await (const entry of Deno.readDir(DEFAULT_PACK_DIR)) {
        await Deno.copyFile(`${DEFAULT_PACK_DIR}/${entry.name}`, `${bent}/${entry.name}`);
      }
      const manifest = JSON.parse(await Deno.readTextFile(`${bent}/manifest.json`));
      manifest.provenance.config.dit.depth -= 1; // the graph has one block more than this config
      await Deno.writeTextFile(`${bent}/manifest.json`, JSON.stringify(manifest));
      assert.match(
        await refusal(["--pack", bent, "--work", `${scratch}/none`]),
        /denoiser is not the graph this config exports/,
      );
      await assert.rejects(Deno.stat(`${scratch}/none`));
    });

    await Deno.remove(scratch, { recursive: true });
  },
});
