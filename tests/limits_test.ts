/**
 * Issue 7, limits: every bound answers with a clear error and the server stays
 * up — queue, jobs per client, request size fields, message and body size, and
 * sockets per address; a client that vanishes without a close frame frees its
 * socket slot. In-process on the fake engine: these are server rules, not model work.
 */
import assert from "node:assert/strict";
import type { ErrorMessage, ServerMessage } from "../client/protocol.ts";
import { DEFAULT_LIMITS, type Limits } from "../server/limits/limits.ts";
import { FakeEngine } from "./_fake_engine.ts";
import { RawSocket } from "./_raw_ws.ts";
import { isTerminal, TestSocket, withServer } from "./_server.ts";

const limits = (over: Partial<Limits>): Limits => ({ ...DEFAULT_LIMITS, ...over });
const isError = (m: ServerMessage): m is ErrorMessage => m.type === "error";

/** Sends `message` and returns the next error after it. */
async function errorFor(ws: TestSocket, message: unknown): Promise<ErrorMessage> {
  const from = ws.received.length;
  ws.send(message);
  return await ws.next(isError, { from }) as ErrorMessage;
}

Deno.test("a full queue and a client over its job limit get busy; others still run", async () => {
  const engine = new FakeEngine({ stepMs: 20 });
  const options = { engine, limits: limits({ maxQueue: 3, maxJobsPerClient: 2 }) };
  await withServer(options, async (server) => {
    const a = await TestSocket.open(server.wsUrl);
    a.send({ type: "generate", prompt: "one", steps: 50 });
    a.send({ type: "generate", prompt: "two", steps: 50 });
    const mine = await errorFor(a, { type: "generate", prompt: "three", steps: 50 });
    assert.equal(mine.code, "busy");
    assert.match(mine.message, /this client has "2" unfinished jobs, the limit is "2"/);
    const b = await TestSocket.open(server.wsUrl);
    b.send({ type: "generate", prompt: "four", steps: 2, clientId: "b1" });
    await b.next((m) => m.type === "queued");
    const c = await TestSocket.open(server.wsUrl);
    const full = await errorFor(c, { type: "generate", prompt: "five", steps: 2 });
    assert.equal(full.code, "busy");
    assert.match(full.message, /the queue is full \("3" jobs\)/);
    // b's job still completes, and once it has, the queue has room again.
    assert.equal((await b.next(isTerminal)).type, "done");
    c.send({ type: "generate", prompt: "six", steps: 2 });
    assert.equal((await c.next(isTerminal)).type, "done");
    for (const ws of [a, b, c]) await ws.close();
  });
});

Deno.test("request fields over their limits are refused with invalid_request naming the field", async () => {
  const options = {
    engine: new FakeEngine(),
    limits: limits({ maxPromptChars: 20, maxSteps: 10, maxSeconds: 4, maxPixels: 64 * 64 }),
  };
  await withServer(options, async (server) => {
    const ws = await TestSocket.open(server.wsUrl);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ prompt: "x".repeat(21) }, /prompt has 21 characters, more than 20/],
      [{ prompt: "ok", negativePrompt: "y".repeat(30) }, /negativePrompt has 30 characters/],
      [{ prompt: "bad \ud800 half" }, /not well-formed Unicode/],
      [{ prompt: "ok", steps: 11 }, /steps "11" is more than 10/],
      [{ prompt: "ok", seconds: 5 }, /seconds "5" is more than 4/],
      [
        { prompt: "ok", width: 128, height: 128 },
        /size "128x128" has 16384 pixels, more than 4096/,
      ],
    ];
    for (const [params, pattern] of cases) {
      const error = await errorFor(ws, { type: "generate", ...params });
      assert.equal(error.code, "invalid_request", JSON.stringify(params));
      assert.match(error.message, pattern);
    }
    // RTL and zero-width text is well-formed: accepted and run.
    ws.send({ type: "generate", prompt: "\u202eabc\u200b\u200d", steps: 2 });
    assert.equal((await ws.next(isTerminal)).type, "done");
    await ws.close();
    // REST names the field in `param`, as its body names it.
    for (
      const [body, param] of [
        [{ prompt: "ok", steps: 11 }, "steps"],
        [{ prompt: "ok", negative_prompt: "y".repeat(30) }, "negative_prompt"],
      ] as [Record<string, unknown>, string][]
    ) {
      const res = await fetch(`${server.url}/v1/videos`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 400);
      assert.equal((await res.json()).error.param, param, JSON.stringify(body));
    }
  });
});

Deno.test("a message or body over its size limit gets too_large, 413 on HTTP", async () => {
  const options = {
    engine: new FakeEngine(),
    limits: limits({ maxMessageBytes: 1000, maxBodyBytes: 2000 }),
  };
  await withServer(options, async (server) => {
    const ws = await TestSocket.open(server.wsUrl);
    const big = await errorFor(ws, { type: "generate", prompt: "x".repeat(1500) });
    assert.equal(big.code, "too_large");
    ws.send({ type: "ping", id: "still" });
    assert.equal((await ws.next((m) => m.type === "pong")).type, "pong");
    await ws.close();
    const res = await fetch(`${server.url}/v1/videos`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "y".repeat(5000) }),
    });
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, "too_large");
  });
});

Deno.test("sockets per address are capped with 429, and a client that vanishes frees its slot", async () => {
  const options = {
    engine: new FakeEngine({ stepMs: 10 }),
    graceMs: 100,
    limits: limits({ maxSocketsPerAddress: 2 }),
  };
  await withServer(options, async (server) => {
    const first = await RawSocket.open(server.wsUrl);
    await first.send({ type: "hello", protocol: 1 });
    await first.send({ type: "generate", prompt: "left behind", steps: 100 });
    const seen = await first.readUntil((m) => m.type === "step");
    const job = seen.flatMap((r) =>
      r.kind === "json" && "job" in r.message ? [r.message.job] : []
    )[0]!;
    const second = await TestSocket.open(server.wsUrl);
    const refused = await fetch(server.wsUrl.replace("ws", "http"), {
      headers: {
        upgrade: "websocket",
        connection: "Upgrade",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      },
    });
    assert.equal(refused.status, 429);
    assert.equal((await refused.json()).error.code, "busy");
    // The first client drops its TCP connection with no close frame.
    first.close();
    const deadline = Date.now() + 5000;
    while (server.emerge.sockets.count("127.0.0.1") > 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(server.emerge.sockets.count("127.0.0.1"), 1, "the vanished socket's slot is free");
    const third = await TestSocket.open(server.wsUrl);
    // Its job outlives it for the grace time, then is cancelled, and the server is fine.
    const live = server.emerge.registry.get(job)!;
    await live.settled;
    assert.equal(live.state.status, "cancelled");
    third.send({ type: "generate", prompt: "next", steps: 2 });
    assert.equal((await third.next(isTerminal)).type, "done");
    await second.close();
    await third.close();
  });
});
