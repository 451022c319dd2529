import assert from "node:assert/strict";
import { InvalidRequestError } from "./errors.ts";
import { collect, fakeEngine, previews, types } from "./_testing/engine_harness.ts";
import { hasFfprobe, probe } from "./_testing/ffprobe.ts";
import type { PreviewRenderer } from "./preview_scheduler.ts";
import { Engine } from "./engine.ts";
import { clipGeometry } from "./geometry.ts";
import { parseManifest } from "./pack/manifest.ts";
import { shiftSigma } from "./schedulers/mod.ts";
import { FakeBackend } from "./_testing/fake_backend.ts";
import { fixtureManifest } from "./_testing/fixture_manifest.ts";

const ffmpeg = await hasFfprobe();

Deno.test({
  name: "generate emits queued, started, every step, previews, then done with files",
  ignore: !ffmpeg,
  fn: async () => {
    await using t = await fakeEngine();
    const handle = t.engine.generate(
      t.engine.resolve({ prompt: "a red ball", steps: 4, seed: 1, previewEvery: 1 }),
    );
    const events = await collect(handle);
    const kinds = types(events).filter((k) => k !== "preview");
    assert.deepEqual(kinds, ["queued", "started", "step", "step", "step", "step", "done"]);
    const steps = events.flatMap((e) => (e.type === "step" ? [[e.i, e.n]] : []));
    assert.deepEqual(steps, [[1, 4], [2, 4], [3, 4], [4, 4]]);
    const sigmas = events.flatMap((e) => (e.type === "step" ? [e.sigma] : []));
    assert.equal(sigmas[0], 1);
    const outputs = await handle.result;
    assert.deepEqual((await probe(outputs.video))?.codecs, ["aac", "h264"]);
    const frames = previews(events, "video"), sounds = previews(events, "audio");
    assert.ok(frames.length >= 1, "at least one preview");
    assert.equal(frames[0]!.frames.length, 24, "one image per video frame");
    assert.deepEqual([frames[0]!.frames[0]![0], frames[0]!.frames[0]![1]], [0xff, 0xd8]);
    assert.equal(sounds[0]!.step, frames[0]!.step);
    // The fake's preview sound, like the default pack's, is at half the final rate.
    assert.deepEqual([sounds[0]!.audio.length, sounds[0]!.sampleRate], [16000, 8000]);
  },
});

Deno.test("the same seed gives the same clip and another seed a different one", async () => {
  await using t = await fakeEngine();
  const run = (seed: number) =>
    t.engine.generate(t.engine.resolve({ prompt: "x", steps: 3, seed, previewEvery: 0 })).result;
  await Promise.all([run(5), run(5), run(6)]);
  const [a, b, c] = t.backend.decodedFinal;
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("four concurrent jobs share every denoiser call (2 rows each for CFG) and the decode", async () => {
  await using t = await fakeEngine();
  const handles = [1, 2, 3, 4].map((seed) =>
    t.engine.generate(t.engine.resolve({ prompt: `job ${seed}`, steps: 5, seed, previewEvery: 0 }))
  );
  await Promise.all(handles.map((h) => h.result));
  const denoise = t.backend.calls.filter((c) => c.kind === "denoise");
  assert.equal(denoise.length, 5, "one call per step for all four jobs");
  assert.ok(denoise.every((c) => c.rows === 8), `rows: ${denoise.map((c) => c.rows)}`);
  assert.equal(t.backend.count("text"), 1, "all prompts encoded in one call");
  const finals = t.backend.calls.filter((c) => c.kind === "video_final").map((c) => c.rows);
  assert.deepEqual(finals, [4], "the four clips decoded in one batched call");
});

Deno.test("a batched job ends exactly where the same job alone ends", async () => {
  await using t = await fakeEngine();
  const request = (seed: number) =>
    t.engine.resolve({ prompt: "p", steps: 6, seed, previewEvery: 0, scheduler: "dpmpp2m" });
  await t.engine.generate(request(9)).result; // alone
  const alone = t.backend.decodedFinal[0]!;
  await Promise.all([request(1), request(9), request(2)].map((r) => t.engine.generate(r).result));
  const batched = t.backend.decodedFinal.slice(1);
  assert.ok(
    batched.some((x) => x.every((v, i) => v === alone[i])),
    "seed 9 batched equals seed 9 alone",
  );
});

Deno.test("jobs of different sizes never share a call and alternate fairly", async () => {
  await using t = await fakeEngine();
  const square = t.engine.generate(
    t.engine.resolve({ prompt: "a", steps: 3, seed: 1, previewEvery: 0 }),
  );
  const wide = t.engine.generate(
    t.engine.resolve({ prompt: "b", steps: 3, seed: 2, width: 96, previewEvery: 0 }),
  );
  await Promise.all([square.result, wide.result]);
  const rows = t.backend.calls.filter((c) => c.kind === "denoise").map((c) => c.rows);
  assert.deepEqual(rows, [2, 2, 2, 2, 2, 2]);
  const sigmas = t.backend.calls.filter((c) => c.kind === "denoise").map((c) => c.sigmas![0]);
  assert.equal(sigmas[0], sigmas[1], "both jobs took step 1 before either took step 2");
});

Deno.test("a stream of new jobs of another size cannot starve an older job", async () => {
  await using t = await fakeEngine();
  const square = t.engine.generate(
    t.engine.resolve({ prompt: "a", steps: 4, seed: 1, previewEvery: 0 }),
  );
  // Before every call, one more one-step wide job arrives.
  const wide: Promise<unknown>[] = [];
  const denoise = t.backend.denoise.bind(t.backend);
  t.backend.denoise = (batch, options) => {
    if (wide.length < 12) {
      const job = t.engine.resolve({ prompt: "b", steps: 1, seed: 2, width: 96, previewEvery: 0 });
      wide.push(t.engine.generate(job).result);
    }
    return denoise(batch, options);
  };
  await square.result;
  await Promise.all(wide);
  const widths = t.backend.calls.filter((c) => c.kind === "denoise").map((c) => c.width);
  // Round robin between the two shapes: the square job's 4 steps within its first 8 calls.
  assert.equal(widths.slice(0, 8).filter((w) => w === 64).length, 4, widths.join(" "));
});

Deno.test("a job submitted while a model call holds the thread joins the very next call", async () => {
  await using t = await fakeEngine();
  const denoise = t.backend.denoise.bind(t.backend);
  t.backend.denoise = (batch, options) => {
    // Like onnxruntime: the call holds the thread, so messages wait for the loop's yield.
    const end = performance.now() + 20;
    while (performance.now() < end) { /* busy */ }
    return denoise(batch, options);
  };
  const first = t.engine.generate(
    t.engine.resolve({ prompt: "a", steps: 6, seed: 1, previewEvery: 0 }),
  );
  let second: Promise<unknown> | null = null;
  setTimeout(() => {
    t.backend.calls.push({ kind: "submitted", rows: 0 });
    second = t.engine.generate(
      t.engine.resolve({ prompt: "b", steps: 2, seed: 2, previewEvery: 0 }),
    ).result;
  }, 5);
  await first.result;
  await second;
  const after = t.backend.calls.map((c) => c.kind).indexOf("submitted");
  const next = t.backend.calls.slice(after).find((c) => c.kind === "denoise");
  assert.equal(next?.rows, 4, "both jobs' rows in the first call after the submit");
});

Deno.test("a renderer that throws before its first await fails only that preview", async () => {
  const throwing: PreviewRenderer = {
    render: () => {
      throw new Error("boom");
    },
    stats: () => ({ calls: 0, ms: 0, byComponent: {} }),
    close: () => Promise.resolve(),
  };
  await using t = await fakeEngine({}, { previewRenderer: throwing });
  const warn = console.warn;
  console.warn = () => {};
  try {
    const request = t.engine.resolve({ prompt: "a", steps: 3, seed: 1, previewEvery: 1 });
    assert.equal(types(await collect(t.engine.generate(request))).at(-1), "done");
    assert.equal(types(await collect(t.engine.generate(request))).at(-1), "done");
  } finally {
    console.warn = warn;
  }
});

Deno.test("an unexpected throw fails only that call's jobs; the loop goes on", async () => {
  await using t = await fakeEngine();
  const denoise = t.backend.denoise.bind(t.backend);
  let broken = true;
  // Off the Backend contract: a velocity without its arrays makes the step itself throw.
  t.backend.denoise = (batch, options) =>
    broken ? (broken = false, Promise.resolve(null as never)) : denoise(batch, options);
  const error = console.error;
  console.error = () => {};
  try {
    const first = await collect(
      t.engine.generate(t.engine.resolve({ prompt: "a", steps: 3, seed: 1, previewEvery: 0 })),
    );
    const failed = first.at(-1);
    assert.equal(failed?.type, "failed");
    assert.equal(failed.type === "failed" && failed.code, "internal_error");
    const second = await collect(
      t.engine.generate(t.engine.resolve({ prompt: "a", steps: 3, seed: 1, previewEvery: 0 })),
    );
    assert.equal(second.at(-1)?.type, "done");
  } finally {
    console.error = error;
  }
});

/** Waits until the final write has put its first file (temporary or not) in `dir`. */
async function writing(dir: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if ([...Deno.readDirSync(dir)].length > 0) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error("the final write never started");
}

Deno.test("a cancel during the final write ends the job only once its files are gone", async () => {
  await using t = await fakeEngine();
  const abort = new AbortController();
  const handle = t.engine.generate(
    t.engine.resolve({ prompt: "w", steps: 2, seed: 1, previewEvery: 0 }),
    { id: "clip", signal: abort.signal },
  );
  await writing(t.outDir);
  abort.abort();
  await assert.rejects(handle.result, { name: "AbortError" });
  assert.deepEqual([...Deno.readDirSync(t.outDir)], [], "no file left when cancelled arrives");
  assert.equal(t.engine.active, 0);
});

Deno.test("closing the engine during a final write leaves no files behind", async () => {
  await using t = await fakeEngine();
  const handle = t.engine.generate(
    t.engine.resolve({ prompt: "w", steps: 2, seed: 1, previewEvery: 0 }),
    { id: "clip" },
  );
  await writing(t.outDir);
  await t.engine.close();
  await assert.rejects(handle.result, { code: "engine_closed" });
  assert.deepEqual([...Deno.readDirSync(t.outDir)], []);
});

Deno.test("an audio decoder failing after the video's files began fails the job, leaves no files", async () => {
  await using t = await fakeEngine({ audioDecode: 30 });
  const decodeAudio = t.backend.decodeAudio.bind(t.backend);
  t.backend.decodeAudio = (...args) =>
    decodeAudio(...args).then(() => Promise.reject(new Error("out of memory")));
  const handle = t.engine.generate(
    t.engine.resolve({ prompt: "w", steps: 2, seed: 1, previewEvery: 0 }),
    { id: "clip" },
  );
  await writing(t.outDir); // the H.264 encode is under way while the sound decodes
  await assert.rejects(handle.result, (error: Error & { code?: string }) => {
    assert.equal(error.code, "model_failed");
    assert.match(error.message, /^Cannot decode clip: .*out of memory/);
    return true;
  });
  assert.deepEqual([...Deno.readDirSync(t.outDir)], [], "the started files are gone");
});

Deno.test("guidance changes the result, separately for video and audio", async () => {
  await using t = await fakeEngine();
  const run = (video: number, audio: number) =>
    t.engine.generate(
      t.engine.resolve({
        prompt: "q",
        steps: 3,
        seed: 3,
        guidance: { video, audio },
        previewEvery: 0,
      }),
    )
      .result;
  await run(1, 1);
  await run(4, 1);
  const [base, guided] = t.backend.decodedFinal;
  assert.notDeepEqual(base, guided, "video guidance moved the video latent");
});

Deno.test("cancel stops within one model call, is never decoded and rejects with AbortError", async () => {
  await using t = await fakeEngine({ denoise: 5 });
  const controller = new AbortController();
  const handle = t.engine.generate(
    t.engine.resolve({ prompt: "c", steps: 50, seed: 1, previewEvery: 0 }),
    {
      signal: controller.signal,
    },
  );
  const events: string[] = [];
  let abortedAt = 0, cancelledAt = 0;
  for await (const event of handle.events) {
    events.push(event.type);
    if (event.type === "step" && event.i === 2) {
      controller.abort();
      abortedAt = performance.now();
    }
    if (event.type === "cancelled") cancelledAt = performance.now();
  }
  assert.equal(events.at(-1), "cancelled");
  assert.ok(events.filter((e) => e === "step").length <= 3);
  await assert.rejects(
    handle.result,
    (e: unknown) => e instanceof DOMException && e.name === "AbortError",
  );
  await t.engine.close();
  assert.ok(t.backend.count("denoise") <= 3, `${t.backend.count("denoise")} denoiser calls`);
  assert.equal(t.backend.count("video_final"), 0, "a cancelled job is never decoded");
  assert.ok(cancelledAt - abortedAt < 15, `cancel took ${cancelledAt - abortedAt} ms`);
});

Deno.test("a signal aborted before generate cancels without any model call", async () => {
  await using t = await fakeEngine();
  const handle = t.engine.generate(t.engine.resolve({ prompt: "z", steps: 3, seed: 1 }), {
    signal: AbortSignal.abort(),
  });
  assert.deepEqual(types(await collect(handle)), ["queued", "cancelled"]);
  assert.equal(t.backend.calls.length, 0);
});

Deno.test("steer re-encodes the new prompt and applies it from the next step", async () => {
  await using t = await fakeEngine({ denoise: 2 });
  const request = t.engine.resolve({
    prompt: "old",
    steps: 6,
    seed: 4,
    previewEvery: 0,
    scheduler: "dpmpp2m",
  });
  const steered = t.engine.generate(request);
  const events: string[] = [];
  for await (const event of steered.events) {
    events.push(event.type === "step" ? `step${event.i}` : event.type);
    if (event.type === "step" && event.i === 2) {
      steered.steer({ prompt: "new", guidance: { audio: 2 } });
    }
  }
  // The loop never waits for the consumer, so at most the one call in flight when the
  // steer arrived still used the old prompt.
  const at = events.indexOf("steered");
  assert.ok(["step2", "step3"].includes(events[at - 1]!), events.join(" "));
  assert.equal(events[at + 1], events[at - 1] === "step2" ? "step3" : "step4");
  assert.ok(t.backend.calls.some((c) => c.kind === "text" && c.prompts?.includes("new")));
  await t.engine.generate(request).result; // the same job unsteered
  const [withSteer, without] = t.backend.decodedFinal;
  assert.notDeepEqual(withSteer, without);
});

Deno.test("a steer past the last step throws job_finished; an undefined scale keeps the old one", async () => {
  await using t = await fakeEngine({ denoise: 2 });
  const request = t.engine.resolve({ prompt: "a", steps: 3, seed: 4, previewEvery: 0 });
  const handle = t.engine.generate(request);
  for await (const event of handle.events) {
    if (event.type === "step" && event.i === 1) {
      // A direct API caller may pass a key with no value; JSON never can.
      handle.steer({ guidance: { video: undefined as unknown as number } });
    }
    if (event.type === "step" && event.i === 3) {
      assert.throws(
        () => handle.steer({ prompt: "late" }),
        { code: "job_finished", message: /it has taken its last step/ },
      );
    }
  }
  await handle.result;
  await t.engine.generate(request).result; // the same job unsteered
  const [steered, plain] = t.backend.decodedFinal;
  assert.ok(steered!.every(Number.isFinite), "no NaN from the undefined scale");
  assert.deepEqual(steered, plain);
  assert.throws(() => handle.steer({ prompt: "after" }), { code: "job_finished" });
});

Deno.test("previews never stall the steps: a slow preview decoder is skipped while busy", async () => {
  await using t = await fakeEngine({ denoise: 1, previewDecode: 150 });
  const start = performance.now();
  const handle = t.engine.generate(
    t.engine.resolve({ prompt: "s", steps: 12, seed: 1, previewEvery: 1 }),
  );
  let lastStepAt = 0;
  for await (const event of handle.events) {
    if (event.type === "step" && event.i === 12) lastStepAt = performance.now();
  }
  assert.ok(
    lastStepAt - start < 150,
    `12 steps took ${lastStepAt - start} ms behind a 150 ms preview`,
  );
  assert.ok(
    t.backend.count("video_preview") <= 2,
    `${t.backend.count("video_preview")} preview decodes`,
  );
});

Deno.test("a preview's frames go out at once, its slow audio decode follows as its own event", async () => {
  // Issue 5: frames used to wait for the audio decoder, several times slower.
  await using t = await fakeEngine({ denoise: 10, audioDecode: 100 });
  const handle = t.engine.generate(
    t.engine.resolve({ prompt: "s", steps: 30, seed: 1, previewEvery: 1 }),
  );
  const events = await collect(handle);
  const at = (kind: string, step: number) =>
    events.findIndex((e) =>
      e.type === "preview" && e.preview.kind === kind && e.preview.step === step
    );
  const firstFrames = at("video", 1), firstSound = at("audio", 1);
  assert.ok(firstFrames >= 0 && firstSound > firstFrames, "step 1's frames, then its sound");
  assert.ok(
    events.slice(firstFrames, firstSound).filter((e) => e.type === "step").length >= 2,
    "steps went on while the sound decoded, with the frames already out",
  );
  for (const sound of previews(events, "audio")) {
    assert.ok(at("video", sound.step) < at("audio", sound.step), `step ${sound.step} in order`);
  }
});

/** A preview worker stand-in: frames after `framesMs`, the sound 10 ms later. */
function slowRenderer(framesMs: number): PreviewRenderer {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  return {
    render: async (r, _stillWanted, deliver) => {
      await sleep(framesMs);
      deliver({ kind: "video", step: r.step, sigma: r.sigma, frames: [], format: "jpeg" });
      await sleep(10);
      deliver({
        kind: "audio",
        step: r.step,
        sigma: r.sigma,
        audio: new Float32Array(),
        sampleRate: 1,
      });
    },
    stats: () => ({ calls: 0, ms: 0, byComponent: {} }),
    close: () => Promise.resolve(),
  };
}

Deno.test("with a preview worker, the loop waits for a job's first frames before its next call", async () => {
  // A real denoiser call holds the JS thread: frames arriving during it go out after it.
  await using t = await fakeEngine({ denoise: 1 }, { previewRenderer: slowRenderer(20) });
  const handle = t.engine.generate(
    t.engine.resolve({ prompt: "w", steps: 6, seed: 1, previewEvery: 1 }),
  );
  const kinds = (await collect(handle)).map((e) =>
    e.type === "step"
      ? `step${e.i}`
      : e.type === "preview"
      ? `${e.preview.kind}${e.preview.step}`
      : e.type
  );
  assert.ok(kinds.indexOf("video1") < kinds.indexOf("step2"), kinds.join(" "));
});

Deno.test("a preview worker slower than the bound does not hold the loop", async () => {
  // 1 s: far past the 50 ms bound and the job's few ms, even on a loaded machine.
  await using t = await fakeEngine({ denoise: 1 }, { previewRenderer: slowRenderer(1000) });
  const handle = t.engine.generate(
    t.engine.resolve({ prompt: "w", steps: 6, seed: 1, previewEvery: 1 }),
  );
  const events = await collect(handle);
  assert.equal(events.at(-1)?.type, "done");
  assert.deepEqual(previews(events, "video"), [], "the job was done before its first frames");
});

Deno.test("linear previews need no preview decoder call", async () => {
  await using t = await fakeEngine({}, { preview: { mode: "linear" } });
  const handle = t.engine.generate(
    t.engine.resolve({ prompt: "l", steps: 3, seed: 1, previewEvery: 1 }),
  );
  const frames = previews(await collect(handle), "video");
  assert.ok(frames.length >= 1);
  assert.equal(frames[0]!.frames.length, 24);
  assert.equal(t.backend.count("video_preview"), 0);
});

Deno.test("generate refuses a bad request synchronously with a stable code", async () => {
  await using t = await fakeEngine();
  const request = { ...t.engine.resolve({ prompt: "x" }), width: 70 };
  assert.throws(
    () => t.engine.generate(request),
    (e: unknown) =>
      e instanceof InvalidRequestError && e.code === "invalid_request" &&
      e.message === "Cannot start job: width 70 is not a multiple of 16",
  );
  assert.throws(
    () => t.engine.generate(t.engine.resolve({ prompt: "x" }), { id: "../etc" }),
    /not a safe file name/,
  );
});

Deno.test("close fails unfinished jobs with engine_closed", async () => {
  await using t = await fakeEngine({ denoise: 5 });
  const handle = t.engine.generate(
    t.engine.resolve({ prompt: "x", steps: 100, seed: 1, previewEvery: 0 }),
  );
  await t.engine.close();
  const events = await collect(handle);
  const last = events.at(-1);
  assert.equal(last?.type === "failed" && last.code, "engine_closed");
});

Deno.test("a step or final decode uses every core only while no preview renders beside it", async () => {
  await using t = await fakeEngine({ denoise: 2 }, { previewRenderer: slowRenderer(20) });
  const allCores = (kind = "denoise") =>
    t.backend.calls.filter((c) => c.kind === kind).map((c) => c.allCores);

  await collect(
    t.engine.generate(t.engine.resolve({ prompt: "o", steps: 4, seed: 1, previewEvery: 0 })),
  );
  assert.deepEqual(allCores(), [true, true, true, true], "previews off: every call wide");
  assert.deepEqual(allCores("video_final"), [true], "and the final decode");

  t.backend.calls.length = 0;
  await collect(
    t.engine.generate(t.engine.resolve({ prompt: "p", steps: 4, seed: 1, previewEvery: 1 })),
  );
  // Nothing renders before step 1; the loop waits out the first preview (30 ms) before
  // step 2; steps 3 and 4 run beside the renders of steps 2 and 3.
  assert.deepEqual(allCores(), [true, true, false, false]);
  assert.deepEqual(allCores("video_final"), [false], "step 3's preview still renders (30 ms)");
});

Deno.test("a job's first preview, frames and sound, goes out before its second step", async () => {
  // Frames 5 ms into the render, sound 10 ms later, steps of 5 ms: without waiting for
  // the sound, step 2 would end first (the first sound once came ~95 ms after step 1).
  await using t = await fakeEngine({ denoise: 5 }, { previewRenderer: slowRenderer(5) });
  const events = await collect(
    t.engine.generate(t.engine.resolve({ prompt: "f", steps: 4, seed: 1, previewEvery: 1 })),
  );
  const step2 = events.findIndex((e) => e.type === "step" && e.i === 2);
  const sound1 = events.findIndex((e) =>
    e.type === "preview" && e.preview.kind === "audio" && e.preview.step === 1
  );
  assert.ok(sound1 >= 0 && sound1 < step2, `step 1's sound at ${sound1}, step 2 at ${step2}`);
});

Deno.test("every preview, the first too, comes from the preview decoder", async () => {
  await using t = await fakeEngine({}, { preview: { budget: 1 } }); // inline, never gated
  const handle = t.engine.generate(
    t.engine.resolve({ prompt: "c", steps: 5, seed: 1, previewEvery: 1 }),
  );
  const frames = previews(await collect(handle), "video");
  assert.ok(frames.length >= 2, `${frames.length} previews`);
  assert.equal(frames[0]!.step, 1);
  assert.equal(frames[0]!.frames.length, 24, "every frame");
  assert.equal(t.backend.count("video_preview"), frames.length, "one decoder call a preview");
});

Deno.test("a pack's dynamic shift moves each size's schedule by its token count", async () => {
  const fixture = fixtureManifest() as { sampler: Record<string, unknown> };
  const dynamic = { base_seq_len: 100, max_seq_len: 400, base_shift: 0.5, max_shift: 1.5 };
  const manifest = parseManifest({
    ...fixture,
    sampler: { ...fixture.sampler, dynamic_shift: dynamic },
  });
  const outDir = await Deno.makeTempDir({ prefix: "emerge-test-" });
  const engine = new Engine(manifest, new FakeBackend(), { outDir });
  try {
    const steps = 4;
    const seen: number[] = [];
    for (const width of [64, 96]) {
      const events = await collect(
        engine.generate(engine.resolve({ prompt: "x", steps, seed: 1, width, previewEvery: 0 })),
      );
      const sigma = events.flatMap((e) => (e.type === "step" ? [e.sigma] : []))[1]!;
      const { tokens } = clipGeometry(manifest, width, 64, 2);
      const k = Math.exp(0.5 + ((1.5 - 0.5) / 300) * (tokens - 100));
      assert.ok(Math.abs(sigma - shiftSigma(1 - 1 / steps, k)) < 1e-6, `${width}: ${sigma}`);
      seen.push(sigma);
    }
    assert.ok(seen[1]! > seen[0]!, `more tokens, more shift: ${seen}`);
  } finally {
    await engine.close();
    await Deno.remove(outDir, { recursive: true });
  }
});
