/**
 * The JS client against a real server (fake engine): events as an async
 * iterable, steer, cancel by handle, by signal and by breaking early, reconnect
 * with resume, and its typed errors.
 */
import assert from "node:assert/strict";
import {
  CancelledError,
  ConnectionError,
  EmergeClient,
  ProtocolError,
  ServerError,
  type StreamEvent,
  type WebSocketConstructor,
} from "../client/mod.ts";
import { DEFAULT_LIMITS } from "../server/limits/limits.ts";
import { FakeEngine } from "./_fake_engine.ts";
import { withServer } from "./_server.ts";

const fast = { reconnect: { initialMs: 10, maxMs: 50, maxAttempts: 3 } };

Deno.test("client generate yields lifecycle, frames and audio, and result has absolute URLs", async () => {
  await withServer({ engine: new FakeEngine({ frames: 2, samples: 100 }) }, async (server) => {
    const states: string[] = [];
    const client = new EmergeClient(server.url, { onState: (s) => states.push(s) });
    const gen = client.generate({ prompt: "a red ball", steps: 4, size: "64x64" });
    const events: StreamEvent[] = [];
    for await (const event of gen) events.push(event);
    const types = events.map((e) => e.type);
    assert.deepEqual(types.filter((t) => t !== "frame" && t !== "audio"), [
      "queued",
      "started",
      "step",
      "step",
      "step",
      "step",
      "done",
    ]);
    assert.equal(types.filter((t) => t === "frame").length, 8);
    const audio = events.find((e) => e.type === "audio");
    assert.ok(
      audio?.type === "audio" && audio.samples.length === 100 && audio.header.rate === 16000,
    );
    // The client asks for int16 audio and hands out floats: the fake's samples are
    // the step's sigma, so the float it gives back is that sigma to 1/32767.
    assert.equal(audio.header.format, "pcm_s16");
    assert.ok(audio.samples.every((v) => Math.abs(v - audio.header.sigma) <= 1 / 32767));
    const result = await gen.result;
    assert.equal(result.id, gen.id);
    assert.equal(result.outputs.video, `${server.url}/v1/videos/${gen.id}/content?variant=video`);
    const res = await fetch(result.outputs.thumbnail);
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.deepEqual(states, ["connecting", "open"]);
    client.close();
  });
});

Deno.test("client steer, cancel, abort signal and an early break all reach the server", async () => {
  await withServer({ engine: new FakeEngine({ stepMs: 10 }) }, async (server) => {
    const client = new EmergeClient(server.url);
    const steered = client.generate({ prompt: "red", steps: 10 });
    steered.steer({ prompt: "blue" }); // before the job id is known: queued and sent later
    const seen: StreamEvent[] = [];
    for await (const e of steered) seen.push(e);
    const steer = seen.find((e) => e.type === "steered");
    assert.deepEqual(steer?.type === "steered" && steer.steer, { prompt: "blue" });

    const cancelled = client.generate({ prompt: "x", steps: 100 });
    for await (const e of cancelled) if (e.type === "step") cancelled.cancel();
    await assert.rejects(cancelled.result, CancelledError);

    const controller = new AbortController();
    const aborted = client.generate({ prompt: "x", steps: 100 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await assert.rejects(aborted.result, CancelledError);

    const broken = client.generate({ prompt: "x", steps: 100 });
    for await (const e of broken) if (e.type === "step") break;
    const job = server.emerge.registry.get(broken.id!)!;
    await job.settled;
    assert.equal(job.state.status, "cancelled");
    client.close();
  });
});

Deno.test("a steer the server refuses comes back as an error event; the generation runs on", async () => {
  await withServer({ engine: new FakeEngine({ stepMs: 10 }) }, async (server) => {
    const client = new EmergeClient(server.url);
    const gen = client.generate({ prompt: "red", steps: 10 });
    const seen: StreamEvent[] = [];
    for await (const e of gen) {
      seen.push(e);
      if (e.type === "step" && e.i === 1) gen.steer({ guidance: { video: 99 } });
    }
    const error = seen.find((e) => e.type === "error");
    assert.ok(error?.type === "error", JSON.stringify(seen.map((e) => e.type)));
    assert.equal(error.code, "invalid_request");
    assert.equal(error.job, gen.id);
    assert.match(error.message, /field "guidance.video"/);
    assert.equal(seen.at(-1)?.type, "done");
    assert.equal((await gen.result).id, gen.id);
    client.close();
  });
});

Deno.test("a generation only awaited holds no previews; a loop started late still gets the lifecycle", async () => {
  await withServer({ engine: new FakeEngine({ frames: 4, samples: 100 }) }, async (server) => {
    const client = new EmergeClient(server.url);
    const gen = client.generate({ prompt: "x", steps: 4 });
    await gen.result;
    const late: string[] = [];
    for await (const e of gen) late.push(e.type);
    assert.deepEqual(late, ["queued", "started", "step", "step", "step", "step", "done"]);
    client.close();
  });
});

Deno.test("a long-lived abort signal does not keep finished generations", async () => {
  await withServer({ engine: new FakeEngine() }, async (server) => {
    const client = new EmergeClient(server.url);
    const { signal } = new AbortController();
    const listening = new Set<unknown>();
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((type: string, fn: EventListener, options?: unknown) => {
      if (type === "abort") listening.add(fn);
      add(type, fn, options as AddEventListenerOptions);
    }) as typeof signal.addEventListener;
    signal.removeEventListener = ((type: string, fn: EventListener, options?: unknown) => {
      if (type === "abort") listening.delete(fn);
      remove(type, fn, options as EventListenerOptions);
    }) as typeof signal.removeEventListener;
    for (let i = 0; i < 3; i++) {
      const gen = client.generate({ prompt: "x", steps: 2 }, { signal });
      assert.equal(listening.size, 1, "a running generation listens");
      await gen.result;
      assert.equal(listening.size, 0, `finished generation ${i} stopped listening`);
    }
    client.close();
  });
});

Deno.test("client reconnects after a drop and resumes: every step once, then the result", async () => {
  await withServer({ engine: new FakeEngine({ stepMs: 10 }) }, async (server) => {
    const states: string[] = [];
    const client = new EmergeClient(server.url, { ...fast, onState: (s) => states.push(s) });
    const gen = client.generate({ prompt: "x", steps: 20 });
    const steps: number[] = [];
    let resumed = 0;
    for await (const e of gen) {
      if (e.type === "step") {
        steps.push(e.i);
        if (e.i === 4) client.dropConnection();
      }
      if (e.type === "resumed") resumed++;
    }
    assert.deepEqual(steps, [...Array(20).keys()].map((i) => i + 1));
    assert.equal(resumed, 1);
    assert.ok((await gen.result).outputs.video.endsWith("variant=video"));
    assert.deepEqual(states, ["connecting", "open", "reconnecting", "connecting", "open"]);
    client.close();
  });
});

Deno.test("client.resume re-attaches another client's job by id: the missed steps once, cancel, result", async () => {
  await withServer({ engine: new FakeEngine({ stepMs: 10, frames: 2 }) }, async (server) => {
    // A page that saves the job at `queued` and reloads at step 3: its socket closes,
    // the job runs on for its grace time, and the reloaded page resumes it.
    const before = new EmergeClient(server.url);
    const first = before.generate({ prompt: "x", steps: 20 });
    let saved = { job: "", lastSeq: 0 };
    for await (const e of first) {
      if (e.type === "queued") saved = { job: e.job, lastSeq: e.seq };
      if (e.type === "step" && e.i === 3) {
        before.close(); // as a reload does; a bare break would cancel the job
        break;
      }
    }
    const after = new EmergeClient(server.url);
    const gen = after.resume(saved.job, saved.lastSeq);
    assert.equal(gen.id, saved.job, "the id is known before anything arrives");
    const steps: number[] = [];
    const types = new Set<string>();
    for await (const e of gen) {
      types.add(e.type);
      if (e.type === "step") steps.push(e.i);
    }
    assert.deepEqual(steps, [...Array(20).keys()].map((i) => i + 1), "each step once, 1 to 20");
    assert.ok(types.has("resumed") && types.has("frame"), [...types].join());
    assert.ok(!types.has("queued"), "nothing at or before the saved seq is replayed");
    const result = await gen.result;
    assert.equal(result.id, saved.job);
    assert.equal(
      result.outputs.video,
      `${server.url}/v1/videos/${saved.job}/content?variant=video`,
    );

    // A finished job settles at once; one never made rejects with unknown_job.
    assert.equal((await after.resume(saved.job).result).id, saved.job);
    const unknown = await after.resume("video_0123456789abcdef01234567").result.catch((e) => e);
    assert.ok(unknown instanceof ServerError && unknown.code === "unknown_job", String(unknown));

    // A resumed job can be cancelled: the handle steers and cancels it like generate's.
    const other = new EmergeClient(server.url);
    const long = other.generate({ prompt: "y", steps: 200 });
    for await (const e of long) {
      if (e.type === "step") {
        other.close();
        break;
      }
    }
    const again = after.resume(long.id!);
    again.steer({ prompt: "z" });
    let steered = false;
    for await (const e of again) {
      if (e.type === "steered") steered = true;
      if (steered && e.type === "step") again.cancel();
    }
    await assert.rejects(again.result, CancelledError);
    const state = await fetch(`${server.url}/v1/videos/${long.id}`).then((r) => r.json());
    assert.equal(state.error?.code, "cancelled", "the server stopped the job");
    after.close();
  });
});

Deno.test("a generate over the server's message limit fails at once with too_large", async () => {
  const limits = { ...DEFAULT_LIMITS, maxMessageBytes: 1000 };
  await withServer({ engine: new FakeEngine(), limits }, async (server) => {
    const client = new EmergeClient(server.url);
    // The server could not parse it to name its clientId: without the client's own
    // check this generation waited forever.
    const big = client.generate({ prompt: "x".repeat(1500) });
    const error = await big.result.catch((e) => e);
    assert.ok(error instanceof ServerError, String(error));
    assert.equal(error.code, "too_large");
    assert.match(error.message, /more than this server's 1000/);
    const fine = client.generate({ prompt: "x".repeat(100), steps: 2 });
    assert.ok((await fine.result).outputs.video);
    client.close();
  });
});

Deno.test("client errors are typed: server codes, refused versions, unreachable servers", async () => {
  await withServer({ engine: new FakeEngine() }, async (server) => {
    const client = new EmergeClient(server.url);
    const bad = client.generate({ prompt: "x", width: 70, height: 64 });
    const error = await bad.result.catch((e) => e);
    assert.ok(error instanceof ServerError);
    assert.equal(error.code, "invalid_request");
    assert.match(error.message, /width 70/);
    client.close();
  });

  // A server from the future answers hello with protocol 2.
  const future = Deno.serve({ port: 0, onListen() {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onmessage = () => socket.send(JSON.stringify({ type: "hello", protocol: 2 }));
    return response;
  });
  const newer = new EmergeClient(`http://127.0.0.1:${future.addr.port}`, fast);
  const refused = await newer.generate({ prompt: "x" }).result.catch((e) => e);
  assert.ok(refused instanceof ProtocolError, String(refused));
  assert.match(refused.message, /protocol "2"/);
  await future.shutdown();

  let constructed = 0;
  const Counting: WebSocketConstructor = class extends WebSocket {
    constructor(url: string) {
      super(url);
      constructed++;
    }
  };
  const port = future.addr.port; // closed now: nothing listens
  const lost = new EmergeClient(`ws://127.0.0.1:${port}/?token=s3cret`, {
    ...fast,
    WebSocket: Counting,
  });
  const failure = await lost.generate({ prompt: "x" }).result.catch((e) => e);
  assert.ok(failure instanceof ConnectionError, String(failure));
  assert.match(failure.message, /after 3 attempts/);
  assert.doesNotMatch(failure.message, /s3cret/, "a token in the URL stays out of the message");
  assert.equal(constructed, 4, "one try and three reconnects, through the given constructor");
});
