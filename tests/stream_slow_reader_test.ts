/**
 * Latest-wins over real sockets: a watcher that stops reading has its previews
 * dropped and counted, still gets every lifecycle event and the final result,
 * and a fast watcher of the same job is not held back at all.
 */
import assert from "node:assert/strict";
import type { JobEvent } from "../client/protocol.ts";
import { FakeEngine } from "./_fake_engine.ts";
import { RawSocket } from "./_raw_ws.ts";
import { isTerminal, TestSocket, withServer } from "./_server.ts";

Deno.test("a reader that stops reading loses stale previews, never lifecycle events, and slows no one", async () => {
  // 30 steps x (4 x 64 KiB frames + 2 x 32 KiB audio chunks) = 9.4 MiB of previews: well past
  // the ~4 MiB the kernel's socket buffers absorb on loopback before Deno queues.
  const steps = 30;
  const engine = new FakeEngine({ stepMs: 25, frames: 4, frameBytes: 65536, samples: 16384 });
  await withServer({ engine, maxBufferedBytes: 512 * 1024 }, async (server) => {
    const fast = await TestSocket.open(server.wsUrl);
    fast.send({ type: "generate", prompt: "x", steps });
    const job = (await fast.next((m) => m.type === "queued") as JobEvent).job;

    const slow = await RawSocket.open(server.wsUrl);
    await slow.send({ type: "hello", protocol: 1 });
    await slow.send({ type: "resume", job, lastSeq: 0 });
    // ...and now it reads nothing until the job is over.

    const done = await fast.next(isTerminal, { ms: 30_000 });
    assert.ok(done.type === "done");
    assert.equal(done.dropped, 0, "the fast watcher lost no preview");
    const fastFrames = fast.media.filter((m) => m.header.kind === "video");
    assert.equal(fastFrames.length, steps * 4);
    const stepTimes = fast.received.filter((r) => r.kind === "json" && r.message.type === "step")
      .map((r) => r.at);
    const gaps = stepTimes.slice(1).map((t, i) => t - stepTimes[i]!);
    const median = gaps.sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
    assert.ok(
      median < 25 * 4,
      `fast watcher's median step gap ${median.toFixed(1)} ms stays near the engine's 25 ms`,
    );

    const got = await slow.readUntil(isTerminal);
    slow.close();
    const lifecycle = got.flatMap((r) =>
      r.kind === "json" && "seq" in r.message ? [r.message as JobEvent] : []
    );
    assert.deepEqual(lifecycle.map((e) => e.type), [
      "queued",
      "started",
      ...Array(steps).fill("step"),
      "done",
    ]);
    const end = lifecycle.at(-1)!;
    assert.ok(
      end.type === "done" && end.dropped! > 0,
      `slow watcher's drops are counted (${end.type === "done" && end.dropped})`,
    );
    const slowMedia = got.filter((r) => r.kind === "media").length;
    assert.equal(
      slowMedia + end.dropped!,
      steps * 6,
      "every preview message was either sent or counted as dropped",
    );
    assert.ok(server.emerge.stats.mediaDropped >= end.dropped!);
    await fast.close();
  });
});
