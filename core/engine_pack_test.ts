/**
 * The engine on the real default pack (models/default), end to end. Skipped with a
 * printed reason when the pack has not been exported yet. Runs are short (6-8 steps)
 * because CI shares two cores.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { Engine } from "./engine.ts";
import { loadPack } from "./pack/load.ts";
import { OnnxBackend } from "./pack/onnx_backend.ts";
import { hasFfprobe, probe } from "./_testing/ffprobe.ts";
import { collect, previews, types } from "./_testing/engine_harness.ts";
import { RecordingBackend } from "./_testing/recording_backend.ts";
import { DEFAULT_PACK_DIR } from "./engine.ts";

const havePack = existsSync(`${DEFAULT_PACK_DIR}/manifest.json`);
if (!havePack) {
  console.log(
    `skipped: no pack at ${DEFAULT_PACK_DIR} (export it with models/, see models/README.md)`,
  );
}
const ignore = !havePack || !(await hasFfprobe());
const prompt = "a big red ball bounces off the walls on a white background, with a high whistle";

async function packEngine() {
  const pack = await loadPack(DEFAULT_PACK_DIR);
  const backend = new RecordingBackend(new OnnxBackend(pack));
  const outDir = await Deno.makeTempDir({ prefix: "emerge-pack-test-" });
  const engine = new Engine(pack.manifest, backend, { outDir });
  return {
    engine,
    backend,
    async [Symbol.asyncDispose]() {
      await engine.close();
      await Deno.remove(outDir, { recursive: true });
    },
  };
}

Deno.test({
  name: "the default pack generates an MP4 that ffprobe reads as h264 + aac, with previews",
  ignore,
  fn: async () => {
    await using t = await packEngine();
    const handle = t.engine.generate(
      t.engine.resolve({ prompt, seed: 1, steps: 6, previewEvery: 3 }),
    );
    const events = await collect(handle);
    assert.equal(events.at(-1)?.type, "done");
    const outputs = await handle.result;
    const info = await probe(outputs.video);
    assert.deepEqual(info?.codecs, ["aac", "h264"]);
    assert.equal(info?.pixFmt, "yuv420p");
    assert.ok(Math.abs(info!.duration - 2) < 0.1, `duration ${info?.duration}`);
    assert.equal(previews(events, "video")[0]?.frames.length, 24);
    assert.equal((await Deno.stat(outputs.audio)).size, 44 + 2 * 32000);
  },
});

Deno.test({
  name: "the default pack cancels within one call and never decodes",
  ignore,
  fn: async () => {
    await using t = await packEngine();
    const controller = new AbortController();
    const handle = t.engine.generate(
      t.engine.resolve({ prompt, seed: 1, steps: 30, previewEvery: 0 }),
      {
        signal: controller.signal,
      },
    );
    for await (const event of handle.events) {
      if (event.type === "step" && event.i === 2) controller.abort();
    }
    await assert.rejects(handle.result, (e: unknown) => (e as Error).name === "AbortError");
    await t.engine.close();
    assert.ok(t.backend.denoiseRows.length <= 3, `${t.backend.denoiseRows.length} denoiser calls`);
    assert.equal(t.backend.finals.length, 0);
  },
});

const maxDiff = (a: Float32Array, b: Float32Array) =>
  Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

Deno.test({
  name: "the default pack gives the same clip batched as alone, and a steer changes it",
  ignore,
  fn: async () => {
    await using t = await packEngine();
    const request = t.engine.resolve({ prompt, seed: 5, steps: 6, previewEvery: 0 });
    await t.engine.generate(request).result;
    const alone = t.backend.finals[0]!;
    const other = t.engine.resolve({
      ...request,
      prompt: "a small blue square moves left on a black background",
      seed: 6,
    });
    await Promise.all([t.engine.generate(request).result, t.engine.generate(other).result]);
    assert.ok(t.backend.denoiseRows.includes(4), `rows per call ${t.backend.denoiseRows}`);
    const batchedDiff = Math.min(
      maxDiff(t.backend.finals[1]!, alone),
      maxDiff(t.backend.finals[2]!, alone),
    );
    assert.ok(batchedDiff < 1e-3, `batched differs from alone by ${batchedDiff}`);

    const steered = t.engine.generate(request);
    steered.steer({
      prompt: "a small green triangle moves up on a gray background, with a low hum",
    });
    assert.ok(types(await collect(steered)).includes("steered"));
    const steerDiff = maxDiff(t.backend.finals[3]!, alone);
    assert.ok(
      steerDiff > 10 * batchedDiff && steerDiff > 1e-2,
      `steer moved the latent by only ${steerDiff}`,
    );
  },
});

for (const mode of ["decoder", "linear"] as const) {
  Deno.test({
    name: `Engine.load renders ${mode} previews in its worker, in step order, off the backend`,
    ignore,
    fn: async () => {
      const outDir = await Deno.makeTempDir({ prefix: "emerge-pack-test-" });
      const engine = await Engine.load(DEFAULT_PACK_DIR, { outDir, preview: { mode } });
      try {
        const handle = engine.generate(
          engine.resolve({ prompt, seed: 2, steps: 8, previewEvery: 1 }),
        );
        const events = await collect(handle);
        assert.equal(events.at(-1)?.type, "done");
        const frames = previews(events, "video"), sounds = previews(events, "audio");
        assert.ok(frames.length >= 1, "previews arrive");
        const steps = frames.map((p) => p.step);
        assert.deepEqual(steps, [...new Set(steps)].sort((a, b) => a - b), "latest wins, in order");
        for (const p of frames) {
          assert.equal(p.frames.length, 24);
          assert.deepEqual([p.frames[0]![0], p.frames[0]![1]], [0xff, 0xd8], "JPEG");
        }
        // Both parts come from the same renders (in two workers, in either order); the
        // job may end between the last render's two parts.
        const both = [...new Set([...steps, ...sounds.map((p) => p.step)])];
        const once = both.filter((s) => steps.includes(s) !== sounds.some((p) => p.step === s));
        assert.ok(
          once.length === 0 || (once.length === 1 && once[0] === Math.max(...both)),
          `${once}`,
        );
        // The pack's audio preview decoder: the band below 4 kHz, at 8 kHz.
        for (const p of sounds) assert.deepEqual([p.audio.length, p.sampleRate], [16000, 8000]);
        const stats = engine.stats().byComponent;
        // >=: a render may still finish after the job's last event, and is then dropped.
        assert.ok(stats["preview:audio_preview_decoder"]!.calls >= sounds.length, "worker decodes");
        assert.equal(stats["preview_decoder"], undefined, "the step loop never ran it");
        const decoderCalls = stats["preview:preview_decoder"]?.calls ?? 0;
        // Every preview, the first too, uses the decoder in decoder mode.
        assert.ok(mode === "decoder" ? decoderCalls >= frames.length : decoderCalls === 0);
      } finally {
        await engine.close();
        await Deno.remove(outDir, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "device cuda runs on CUDA where it opens, else on the CPU with one warning",
  ignore: !havePack,
  fn: async () => {
    // Honest on both kinds of machine: whether a CUDA-only session opens here decides.
    const cuda = await ort.InferenceSession.create(`${DEFAULT_PACK_DIR}/preview_decoder.onnx`, {
      executionProviders: ["cuda"],
    }).then((s) => s.release().then(() => true), () => false);
    const expected = cuda ? "cuda" : "cpu";
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args.join(" "));
    try {
      const pack = await loadPack(DEFAULT_PACK_DIR, {
        device: "cuda",
        components: ["text_encoder"],
      });
      assert.equal(pack.device, expected);
      const backend = new OnnxBackend(pack);
      const [encoding] = await backend.encodeText([prompt]);
      await backend.close();
      assert.equal(encoding!.pooled.length, backend.textDim);
      assert.ok(encoding!.pooled.some((v) => v !== 0) && encoding!.pooled.every(Number.isFinite));
      // The probe ran once: a second load, through the engine, does not warn again.
      const engine = await Engine.load(DEFAULT_PACK_DIR, { device: "cuda", previewWorker: false });
      await engine.close();
      assert.equal(engine.device, expected);
    } finally {
      console.warn = warn;
    }
    if (cuda) assert.deepEqual(warnings, []);
    else {
      assert.equal(warnings.length, 1, warnings.join("\n"));
      assert.match(
        warnings[0]!,
        /^emerge: CUDA was asked for but is not available \(.+\); running on the CPU$/,
      );
    }
  },
});
