/**
 * Media forms over real sockets: a client that asks for frame bundles gets each step's
 * frames as one message holding exactly the frames a per-frame client gets; one that
 * lists pcm_s16 gets the same sound in half the bytes.
 */
import assert from "node:assert/strict";
import { type AudioFormat, type JobEvent, splitFrameBundle } from "../client/protocol.ts";
import { FakeEngine } from "./_fake_engine.ts";
import { isTerminal, TestSocket, withServer } from "./_server.ts";

Deno.test("a frame-bundle client gets one message per step with the per-frame client's frames", async () => {
  const steps = 12, frames = 4;
  const engine = new FakeEngine({ stepMs: 20, frames, frameBytes: 3000, samples: 20000 });
  await withServer({ engine }, async (server) => {
    const perFrame = await TestSocket.open(server.wsUrl);
    perFrame.send({ type: "generate", prompt: "x", steps });
    const job = (await perFrame.next((m) => m.type === "queued") as JobEvent).job;
    const bundled = await TestSocket.open(server.wsUrl, true, { frameBundles: true });
    bundled.send({ type: "resume", job, lastSeq: 0 });
    await Promise.all([perFrame, bundled].map((ws) => ws.next(isTerminal, { ms: 30_000 })));

    const video = (ws: TestSocket) => ws.media.filter((m) => m.header.kind === "video");
    const bundles = video(bundled);
    assert.ok(bundles.length >= steps / 2, `${bundles.length} bundles for ${steps} steps`);
    let compared = 0;
    for (const { header, payload } of bundles) {
      assert.ok(header.bundle && header.count === frames, "one message holds the step's frames");
      const expected = video(perFrame).filter((m) => m.header.step === header.step)
        .sort((a, b) => a.header.index - b.header.index).map((m) => m.payload);
      if (expected.length < frames) continue; // that step's frames were replaced for one of them
      assert.deepEqual(splitFrameBundle(payload), expected, `step ${header.step}`);
      compared++;
    }
    assert.ok(compared >= steps / 2, `${compared} steps compared frame by frame`);
    assert.ok(video(perFrame).every((m) => !m.header.bundle), "the other client got single frames");
    const sound = bundled.media.filter((m) => m.header.kind === "audio");
    assert.ok(
      sound.length > 0 &&
        sound.every((m) => m.header.index === 0 && m.payload.byteLength === 20000 * 4),
      "a step's audio is one chunk of the whole clip",
    );
    const chunks = perFrame.media.filter((m) => m.header.kind === "audio");
    assert.ok(
      chunks.some((m) => m.header.index > 0),
      "the per-frame client got 8192-sample chunks",
    );
    await perFrame.close();
    await bundled.close();
  });
});

Deno.test("a client that lists pcm_s16 gets int16 audio holding the float client's samples", async () => {
  const engine = new FakeEngine({ stepMs: 20, frames: 2, samples: 10000 });
  await withServer({ engine }, async (server) => {
    const float = await TestSocket.open(server.wsUrl);
    float.send({ type: "generate", prompt: "x", steps: 6 });
    const job = (await float.next((m) => m.type === "queued") as JobEvent).job;
    // A format this server does not know ("opus") is passed over, not refused.
    const ints = await TestSocket.open(server.wsUrl, true, {
      audioFormats: ["opus" as AudioFormat, "pcm_s16"],
    });
    ints.send({ type: "resume", job, lastSeq: 0 });
    await Promise.all([float, ints].map((ws) => ws.next(isTerminal, { ms: 30_000 })));

    const audio = (ws: TestSocket) => ws.media.filter((m) => m.header.kind === "audio");
    assert.ok(audio(float).every((m) => m.header.format === "pcm_f32"), "no audioFormats: float");
    assert.ok(audio(ints).length > 0 && audio(ints).every((m) => m.header.format === "pcm_s16"));
    let compared = 0;
    for (const { header, payload } of audio(ints)) {
      const twin = audio(float).find((m) =>
        m.header.step === header.step && m.header.index === header.index
      );
      if (!twin) continue; // replaced for the float client
      const want = new Float32Array(twin.payload.slice().buffer);
      const got = new Int16Array(payload.slice().buffer);
      assert.equal(got.length, want.length, "same samples, half the bytes");
      assert.ok(got.every((v, i) => Math.abs(v / 32767 - want[i]!) <= 1 / 32767));
      compared++;
    }
    assert.ok(compared > 0);
    await float.close();
    await ints.close();
  });
});
