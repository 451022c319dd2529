/**
 * Protocol v1 over a real socket against the fake engine: handshake, errors that
 * leave the socket open, a full job's ordered events and media, cancel, steer,
 * idempotent generate, resume after a drop, and the video resource over HTTP.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { FakeEngine } from "./_fake_engine.ts";
import { isTerminal, TestSocket, withServer } from "./_server.ts";
import type { JobEvent, ServerMessage } from "../client/protocol.ts";
import { EngineClosedError, JobFinishedError } from "../core/errors.ts";

function jobEvents(messages: ServerMessage[], job: string): JobEvent[] {
  return messages.filter((m): m is JobEvent =>
    "seq" in m && m.job === job && m.type !== "snapshot"
  );
}

Deno.test("hello is answered with version and capabilities; an unknown version is refused and closed", async () => {
  await withServer({ engine: new FakeEngine(), sizes: ["64x64"] }, async (server) => {
    const ws = await TestSocket.open(server.wsUrl, false);
    ws.send({ type: "ping" });
    assert.equal((await ws.next((m) => m.type === "error")).type, "error");
    assert.deepEqual(ws.messages.map((m) => m.type === "error" && m.code), ["hello_required"]);
    ws.send({ type: "hello", protocol: 1 });
    const hello = await ws.next((m) => m.type === "hello");
    assert.ok(hello.type === "hello" && hello.protocol === 1 && hello.capabilities.resume);
    assert.deepEqual(hello.type === "hello" && hello.capabilities.sizes, ["64x64"]);
    assert.equal(
      hello.type === "hello" && hello.capabilities.maxSteps,
      200,
      "the limits a form needs",
    );
    assert.equal(hello.type === "hello" && hello.capabilities.maxPromptChars, 2000);
    await ws.close();

    const old = await TestSocket.open(server.wsUrl, false);
    old.send({ type: "hello", protocol: 99 });
    const error = await old.next((m) => m.type === "error");
    assert.ok(error.type === "error" && error.code === "unsupported_version");
    assert.match(error.message, /protocol "99" is not supported/);
    assert.equal((await old.closed).code, 4001);
  });
});

Deno.test("bad messages get stable error codes and the socket stays usable", async () => {
  await withServer({ engine: new FakeEngine() }, async (server) => {
    const ws = await TestSocket.open(server.wsUrl);
    const cases: [unknown, string][] = [
      ["not json", "bad_message"],
      ["[1,2]", "bad_message"],
      [{ type: "nope" }, "invalid_request"],
      [{ type: "generate", prompt: "" }, "invalid_request"],
      [{ type: "generate", prompt: "x", size: "64by64" }, "invalid_request"],
      [{ type: "generate", prompt: "x", width: 70 }, "invalid_request"], // engine's resolve refuses
      [{ type: "cancel", job: "../../etc/passwd" }, "unknown_job"],
      [{ type: "resume", job: "video_000000000000000000000000", lastSeq: 0 }, "unknown_job"],
    ];
    for (const [message, code] of cases) {
      const from = ws.received.length;
      ws.send(message);
      const error = await ws.next((m) => m.type === "error", { from });
      assert.equal(error.type === "error" && error.code, code, JSON.stringify(message));
      assert.ok(
        error.type === "error" && /^[A-Z]/.test(error.message) && !error.message.endsWith("."),
      );
    }
    ws.send({ type: "ping", id: "p1" });
    const pong = await ws.next((m) => m.type === "pong");
    assert.equal(pong.type === "pong" && pong.id, "p1");
    await ws.close();
  });
});

Deno.test("a generate the engine refuses gets the engine's own code, not invalid_request", async () => {
  // A server whose engine is shutting down: its generate throws engine_closed.
  const engine = new FakeEngine();
  engine.generate = () => {
    throw new EngineClosedError("Cannot start job: the engine is closed");
  };
  await withServer({ engine }, async (server) => {
    const ws = await TestSocket.open(server.wsUrl);
    ws.send({ type: "generate", prompt: "x", clientId: "closed-1" });
    const error = await ws.next((m) => m.type === "error");
    assert.ok(error.type === "error");
    assert.equal(error.code, "engine_closed");
    assert.equal(error.clientId, "closed-1");
    assert.equal(error.message, "Cannot start job: the engine is closed");
    await ws.close();
    // REST says the same with 503: the server is going away, not the request wrong.
    const res = await fetch(`${server.url}/v1/videos`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "x" }),
    });
    assert.equal(res.status, 503);
    assert.equal((await res.json()).error.code, "engine_closed");
  });
});

Deno.test("a generation streams ordered lifecycle events, a preview per step and a done with URLs", async () => {
  await withServer({ engine: new FakeEngine({ frames: 3, samples: 10000 }) }, async (server) => {
    const ws = await TestSocket.open(server.wsUrl);
    ws.send({ type: "generate", prompt: "a red ball", steps: 5, clientId: "c1", size: "64x64" });
    const done = await ws.next(isTerminal);
    assert.equal(done.type, "done");
    const events = jobEvents(ws.messages, done.type === "done" ? done.job : "");
    assert.deepEqual(events.map((e) => e.type), [
      "queued",
      "started",
      ...Array(5).fill("step"),
      "done",
    ]);
    assert.equal(events[0]!.type === "queued" && events[0]!.clientId, "c1");
    const seqs = ws.received.map((r) =>
      r.kind === "json" ? (r.message as JobEvent).seq : r.header.seq
    )
      .filter((s) => s !== undefined);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "seq rises across events and media");
    assert.equal(new Set(seqs).size, seqs.length);
    const frames = ws.media.filter((m) => m.header.kind === "video");
    assert.deepEqual([...new Set(frames.map((f) => f.header.step))], [1, 2, 3, 4, 5]);
    assert.equal(frames.length, 15);
    const audio = ws.media.filter((m) => m.header.kind === "audio");
    assert.deepEqual(
      audio.slice(0, 2).map((a) => [a.header.index, a.header.count, a.header.rate]),
      [
        [0, 10000, 16000],
        [8192, 10000, 16000],
      ],
    );
    assert.equal(audio[0]!.payload.byteLength, 8192 * 4);
    assert.ok(done.type === "done");
    assert.equal(done.outputs.video, `/v1/videos/${done.job}/content?variant=video`);
    assert.equal(done.dropped, 0);
    await ws.close();
  });
});

Deno.test("the video resource reports state, serves ranges, and refuses traversal", async () => {
  await withServer({ engine: new FakeEngine(), model: "fake-pack" }, async (server) => {
    const ws = await TestSocket.open(server.wsUrl);
    ws.send({ type: "generate", prompt: "x", steps: 2 });
    const done = await ws.next(isTerminal);
    const id = done.type === "done" ? done.job : "";
    const video = await (await fetch(`${server.url}/v1/videos/${id}`)).json();
    assert.equal(video.id, id);
    assert.equal(video.object, "video");
    assert.equal(video.status, "completed");
    assert.equal(video.progress, 100);
    assert.equal(video.size, "64x64");
    assert.equal(video.seconds, "2");
    assert.equal(video.model, "fake-pack");
    assert.equal(typeof video.completed_at, "number");

    const full = await fetch(`${server.url}/v1/videos/${id}/content`);
    assert.equal(full.status, 200);
    assert.equal(full.headers.get("content-type"), "video/mp4");
    assert.equal((await full.bytes()).byteLength, 1000);
    const part = await fetch(`${server.url}/v1/videos/${id}/content?variant=video`, {
      headers: { range: "bytes=10-19" },
    });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), "bytes 10-19/1000");
    assert.deepEqual([...await part.bytes()], Array.from({ length: 10 }, (_, k) => 10 + k));
    const bad = await fetch(`${server.url}/v1/videos/${id}/content`, {
      headers: { range: "bytes=5000-" },
    });
    assert.equal(bad.status, 416);
    await bad.body?.cancel();
    const wav = await fetch(`${server.url}/v1/videos/${id}/content?variant=audio`);
    assert.equal(wav.headers.get("content-type"), "audio/wav");
    await wav.body?.cancel();

    for (const path of [`..%2F..%2Fetc%2Fpasswd`, `video_../../x`, `${id}..`]) {
      const res = await fetch(`${server.url}/v1/videos/${path}/content`);
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
    }
    const variant = await fetch(`${server.url}/v1/videos/${id}/content?variant=../../etc/passwd`);
    assert.equal(variant.status, 400);
    await variant.body?.cancel();
    await ws.close();
  });
});

/** How many of this process's open files are `path` (Linux; null elsewhere). */
async function openCount(path: string): Promise<number | null> {
  if (Deno.build.os !== "linux") return null;
  const real = await Deno.realPath(path);
  let n = 0;
  for await (const fd of Deno.readDir("/proc/self/fd")) {
    const target = await Deno.readLink(`/proc/self/fd/${fd.name}`).catch(() => "");
    if (target === real) n++;
  }
  return n;
}

Deno.test("HEAD on a video's content answers GET's headers without opening the file", async () => {
  await withServer({ engine: new FakeEngine() }, async (server) => {
    const ws = await TestSocket.open(server.wsUrl);
    ws.send({ type: "generate", prompt: "x", steps: 2 });
    const done = await ws.next(isTerminal);
    const url = `${server.url}/v1/videos/${(done as JobEvent).job}/content?variant=video`;
    for (const range of [undefined, "bytes=10-19", "bytes=5000-"]) {
      const headers: HeadersInit = range ? { range } : {};
      const get = await fetch(url, { headers });
      await get.body?.cancel();
      const head = await fetch(url, { method: "HEAD", headers });
      assert.equal(head.status, get.status, range);
      for (const name of ["content-type", "content-length", "accept-ranges", "content-range"]) {
        assert.equal(head.headers.get(name), get.headers.get(name), `${name} for ${range}`);
      }
      assert.equal((await head.bytes()).byteLength, 0);
    }
    const file = join(server.dataDir, "videos", (done as JobEvent).job, "video.mp4");
    const before = await openCount(file);
    for (let i = 0; i < 20; i++) {
      const head = await fetch(url, { method: "HEAD" });
      assert.equal(head.headers.get("content-length"), "1000");
      await head.body?.cancel();
    }
    assert.equal(await openCount(file), before, "no HEAD left the file open");
    await ws.close();
  });
});

Deno.test("cancel mid-run ends the job with cancelled and no outputs", async () => {
  const engine = new FakeEngine({ stepMs: 20 });
  await withServer({ engine }, async (server) => {
    const ws = await TestSocket.open(server.wsUrl);
    ws.send({ type: "generate", prompt: "x", steps: 50 });
    const step = await ws.next((m) => m.type === "step" && m.i === 2);
    const callsAtCancel = engine.calls;
    ws.send({ type: "cancel", job: (step as JobEvent).job });
    const end = await ws.next(isTerminal);
    assert.equal(end.type, "cancelled");
    assert.ok(
      engine.calls - callsAtCancel <= 2,
      `cancelled within one model call (${engine.calls - callsAtCancel})`,
    );
    const res = await fetch(`${server.url}/v1/videos/${(step as JobEvent).job}`);
    const video = await res.json();
    assert.equal(video.status, "failed");
    assert.equal(video.error.code, "cancelled");
    const content = await fetch(`${server.url}/v1/videos/${(step as JobEvent).job}/content`);
    assert.equal(content.status, 409);
    await content.body?.cancel();
    ws.send({ type: "cancel", job: (step as JobEvent).job });
    const late = await ws.next((m) => m.type === "error");
    assert.equal(late.type === "error" && late.code, "job_finished");
    await ws.close();
  });
});

Deno.test("steer reaches the engine and comes back as a steered event", async () => {
  await withServer({ engine: new FakeEngine({ stepMs: 10 }) }, async (server) => {
    const ws = await TestSocket.open(server.wsUrl);
    ws.send({ type: "generate", prompt: "a red ball", steps: 10 });
    const step = await ws.next((m) => m.type === "step");
    ws.send({
      type: "steer",
      job: (step as JobEvent).job,
      prompt: "a blue ball",
      guidance: { video: 6 },
    });
    const steered = await ws.next((m) => m.type === "steered");
    assert.deepEqual(steered.type === "steered" && steered.steer, {
      prompt: "a blue ball",
      guidance: { video: 6 },
    });
    assert.equal((await ws.next(isTerminal)).type, "done");
    await ws.close();
  });
});

Deno.test("a steer the server refuses gets an error naming the job, and the job runs on", async () => {
  const engine = new FakeEngine({ stepMs: 10 });
  // Like the real engine past a job's last step: its handle's steer throws job_finished.
  const generate = engine.generate.bind(engine);
  engine.generate = (request, options) => {
    const handle = generate(request, options);
    return {
      ...handle,
      steer: (change) => {
        if (change.prompt === "too late") {
          throw new JobFinishedError(`Cannot steer job "${handle.id}": it has taken its last step`);
        }
        handle.steer(change);
      },
    };
  };
  await withServer({ engine }, async (server) => {
    const ws = await TestSocket.open(server.wsUrl);
    ws.send({ type: "generate", prompt: "a red ball", steps: 10 });
    const job = (await ws.next((m) => m.type === "step") as JobEvent).job;
    const cases: [Record<string, unknown>, string, RegExp][] = [
      // Out of the protocol's bounds: the schema refuses it before any job is looked up.
      [{ guidance: { video: 99 } }, "invalid_request", /field "guidance.video"/],
      // Valid, but the engine refuses it, with its own code.
      [{ prompt: "too late" }, "job_finished", /has taken its last step/],
    ];
    for (const [change, code, message] of cases) {
      const from = ws.received.length;
      ws.send({ type: "steer", job, ...change });
      const error = await ws.next((m) => m.type === "error", { from });
      assert.ok(error.type === "error");
      assert.equal(error.job, job, JSON.stringify(change));
      assert.equal(error.code, code);
      assert.match(error.message, message);
    }
    assert.equal((await ws.next(isTerminal)).type, "done");
    await ws.close();
  });
});

Deno.test("a dropped socket resumes by seq with no lifecycle event missed or repeated", async () => {
  await withServer({ engine: new FakeEngine({ stepMs: 15 }) }, async (server) => {
    const first = await TestSocket.open(server.wsUrl);
    first.send({ type: "generate", prompt: "x", steps: 20, clientId: "resume-1" });
    const step = await first.next((m) => m.type === "step" && m.i === 3);
    const job = (step as JobEvent).job;
    await first.close();
    const seen = jobEvents(first.messages, job);
    const lastSeq = Math.max(
      ...first.received.map((r) =>
        r.kind === "json" ? (r.message as JobEvent).seq ?? 0 : r.header.seq
      ),
    );
    await new Promise((r) => setTimeout(r, 60)); // events keep coming while nobody listens

    const second = await TestSocket.open(server.wsUrl);
    second.send({ type: "resume", job, lastSeq });
    const resumed = await second.next((m) => m.type === "resumed");
    assert.ok(resumed.type === "resumed" && resumed.replayed > 0 && !resumed.snapshot);
    assert.equal((await second.next(isTerminal)).type, "done");
    const all = [...seen, ...jobEvents(second.messages, job)];
    assert.deepEqual(all.map((e) => e.type), [
      "queued",
      "started",
      ...Array(20).fill("step"),
      "done",
    ]);
    assert.deepEqual(all.filter((e) => e.type === "step").map((e) => e.type === "step" && e.i), [
      ...[...Array(20).keys()].map((i) => i + 1),
    ]);

    // The same clientId again replays the finished job instead of starting another.
    const third = await TestSocket.open(server.wsUrl);
    third.send({ type: "generate", prompt: "x", steps: 20, clientId: "resume-1" });
    const again = await third.next(isTerminal);
    assert.equal(again.type === "done" && again.job, job);
    await second.close();
    await third.close();
  });
});

Deno.test("a resume past the bounded log gets a snapshot, then the rest", async () => {
  await withServer({ engine: new FakeEngine({ stepMs: 1 }), logEvents: 4 }, async (server) => {
    const ws = await TestSocket.open(server.wsUrl);
    ws.send({ type: "generate", prompt: "x", steps: 10, previewEvery: 0 });
    const done = await ws.next(isTerminal);
    const job = (done as JobEvent).job;
    const late = await TestSocket.open(server.wsUrl);
    late.send({ type: "resume", job, lastSeq: 1 });
    const end = await late.next(isTerminal);
    const got = late.messages.filter((m) => m.type !== "hello");
    assert.deepEqual(got.map((m) => m.type), [
      "resumed",
      "snapshot",
      "step",
      "step",
      "step",
      "done",
    ]);
    const snapshot = got[1]!;
    assert.ok(snapshot.type === "snapshot" && snapshot.status === "running" && snapshot.step === 7);
    assert.equal((got[2] as JobEvent).seq, snapshot.seq + 1);
    assert.equal(end.type, "done");
    await ws.close();
    await late.close();
  });
});

Deno.test("a job whose sockets are gone is cancelled after the grace time", async () => {
  await withServer({ engine: new FakeEngine({ stepMs: 10 }), graceMs: 50 }, async (server) => {
    const ws = await TestSocket.open(server.wsUrl);
    ws.send({ type: "generate", prompt: "x", steps: 200 });
    const job = (await ws.next((m) => m.type === "step") as JobEvent).job;
    await ws.close();
    const live = server.emerge.registry.get(job)!;
    await live.settled;
    assert.equal(live.state.status, "cancelled");
  });
});
