import assert from "node:assert/strict";
import type { JobEvent } from "../../client/protocol.ts";
import type { MediaBatch } from "../jobs/media.ts";
import { Outbox } from "./outbox.ts";
import { StreamStats } from "./stats.ts";

/** A socket whose backlog the test sets by hand. */
class FakeSocket {
  sent: (string | Uint8Array)[] = [];
  bufferedAmount = 0;
  send(data: string | Uint8Array) {
    this.sent.push(data);
  }
  close() {}
}

const batch = (step: number, n = 2): MediaBatch => ({
  job: "j",
  step,
  firstSeq: step * 10,
  video: Array.from({ length: n }, () => new Uint8Array([step])),
  audio: [new Uint8Array([100 + step])],
});
const event = (type: JobEvent["type"], seq: number) => {
  const e = { type, job: "j", seq, ts: 0 } as JobEvent;
  return { event: e, text: JSON.stringify(e) };
};

Deno.test("outbox holds media while the socket is behind and keeps only the latest preview", () => {
  const socket = new FakeSocket();
  const stats = new StreamStats();
  const outbox = new Outbox(socket, {
    maxBufferedBytes: 100,
    retryMs: 1000,
    video: true,
    audio: true,
    stats,
  });
  outbox.media(batch(1));
  assert.equal(socket.sent.length, 3);
  socket.bufferedAmount = 1000;
  outbox.media(batch(2));
  outbox.media(batch(3));
  outbox.event(event("step", 40));
  assert.equal(socket.sent.length, 4, "the event passed, media waited");
  assert.equal(outbox.dropped("j"), 3, "step 2's three messages were replaced");
  socket.bufferedAmount = 0;
  outbox.media(batch(4));
  assert.deepEqual(socket.sent.slice(4), [
    new Uint8Array([4]),
    new Uint8Array([4]),
    new Uint8Array([104]),
  ]);
  assert.equal(outbox.dropped("j"), 6);
  assert.equal(stats.mediaDropped, 6);
  assert.equal(stats.mediaSent, 6);
  outbox.close();
});

Deno.test("outbox ends a job with its drop count and discards media still held", () => {
  const socket = new FakeSocket();
  const stats = new StreamStats();
  const outbox = new Outbox(socket, {
    maxBufferedBytes: 0,
    retryMs: 1000,
    video: true,
    audio: false,
    stats,
  });
  socket.bufferedAmount = 1;
  outbox.media(batch(1, 5));
  outbox.event(event("done", 99));
  const done = JSON.parse(socket.sent.at(-1) as string);
  assert.equal(done.type, "done");
  assert.equal(done.dropped, 5, "audio was never wanted, so only the five frames count");
  socket.bufferedAmount = 0;
  outbox.media(batch(2, 1));
  assert.equal(socket.sent.length, 2, "nothing of the ended job's old preview went out");
  outbox.close();
});

Deno.test("outbox retries a held preview once the backlog drains, without new input", async () => {
  const socket = new FakeSocket();
  const outbox = new Outbox(socket, {
    maxBufferedBytes: 10,
    retryMs: 5,
    video: true,
    audio: true,
    stats: new StreamStats(),
  });
  socket.bufferedAmount = 50;
  outbox.media(batch(1));
  assert.equal(socket.sent.length, 0);
  socket.bufferedAmount = 0;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(socket.sent.length, 3);
  outbox.close();
});
