import assert from "node:assert/strict";
import type { JobEvent } from "../../client/protocol.ts";
import type { MediaBatch, MediaWants } from "../jobs/media.ts";
import { Outbox, type OutboxOptions } from "./outbox.ts";
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

const frames = (step: number, n = 2): MediaBatch => ({
  job: "j",
  step,
  kind: "video",
  firstSeq: step * 10,
  messages: () => Array.from({ length: n }, () => new Uint8Array([step])),
});
const sound = (step: number): MediaBatch => ({
  job: "j",
  step,
  kind: "audio",
  firstSeq: step * 10 + 5,
  messages: () => [new Uint8Array([100 + step])],
});
/** An outbox on `socket` with a 100-byte bound; `options` replaces any default. */
const outboxOn = (socket: FakeSocket, options: Partial<OutboxOptions> = {}) =>
  new Outbox(socket, {
    maxBufferedBytes: 100,
    retryMs: 1000,
    video: true,
    audio: true,
    wants: { bundles: false, pcm: "pcm_f32" },
    stats: new StreamStats(),
    ...options,
  });
/** A step's whole preview, as the job hands it on: its frames, then its sound. */
const preview = (outbox: Outbox, step: number, n = 2) => {
  outbox.media(frames(step, n));
  outbox.media(sound(step));
};
const event = (type: JobEvent["type"], seq: number) => {
  const e = { type, job: "j", seq, ts: 0 } as JobEvent;
  return { event: e, text: JSON.stringify(e) };
};

Deno.test("outbox holds media while the socket is behind and keeps only the latest preview", () => {
  const socket = new FakeSocket();
  const stats = new StreamStats();
  const outbox = outboxOn(socket, { stats });
  preview(outbox, 1);
  assert.equal(socket.sent.length, 3);
  socket.bufferedAmount = 1000;
  preview(outbox, 2);
  preview(outbox, 3);
  outbox.event(event("step", 40));
  assert.equal(socket.sent.length, 4, "the event passed, media waited");
  assert.equal(outbox.dropped("j"), 3, "step 2's three messages were replaced");
  socket.bufferedAmount = 0;
  preview(outbox, 4);
  // Step 4's frames replace step 3's and go out with step 3's sound, still the newest
  // sound then; step 4's sound follows.
  assert.deepEqual(socket.sent.slice(4), [
    new Uint8Array([4]),
    new Uint8Array([4]),
    new Uint8Array([103]),
    new Uint8Array([104]),
  ]);
  assert.equal(outbox.dropped("j"), 5);
  assert.equal(stats.mediaDropped, 5);
  assert.equal(stats.mediaSent, 7);
  outbox.close();
});

Deno.test("outbox ends a job with its drop count and discards media still held", () => {
  const socket = new FakeSocket();
  const stats = new StreamStats();
  const outbox = outboxOn(socket, { maxBufferedBytes: 0, audio: false, stats });
  socket.bufferedAmount = 1;
  preview(outbox, 1, 5);
  outbox.event(event("done", 99));
  const done = JSON.parse(socket.sent.at(-1) as string);
  assert.equal(done.type, "done");
  assert.equal(done.dropped, 5, "audio was never wanted, so only the five frames count");
  socket.bufferedAmount = 0;
  preview(outbox, 2, 1);
  assert.equal(socket.sent.length, 2, "nothing of the ended job's old preview went out");
  outbox.close();
});

Deno.test("outbox retries a held preview once the backlog drains, without new input", async () => {
  const socket = new FakeSocket();
  const outbox = outboxOn(socket, { maxBufferedBytes: 10, retryMs: 5 });
  socket.bufferedAmount = 50;
  preview(outbox, 1);
  assert.equal(socket.sent.length, 0);
  socket.bufferedAmount = 0;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(socket.sent.length, 3);
  outbox.close();
});

Deno.test("outbox: a held step's sound replaces only older sound, never frames", () => {
  const socket = new FakeSocket();
  const outbox = outboxOn(socket, { maxBufferedBytes: 10 });
  socket.bufferedAmount = 50;
  outbox.media(frames(1));
  outbox.media(sound(1));
  outbox.media(frames(2));
  assert.equal(outbox.dropped("j"), 2, "step 2's frames replaced step 1's, not its sound");
  socket.bufferedAmount = 0;
  outbox.media(sound(2));
  assert.deepEqual(socket.sent, [
    new Uint8Array([2]),
    new Uint8Array([2]),
    new Uint8Array([102]),
  ], "the newest frames and the newest sound, each once");
  assert.equal(outbox.dropped("j"), 3);
  outbox.close();
});

Deno.test("an outbox sends each batch in the form its client asked for", () => {
  const video = frames(1, 24), audio = sound(1);
  const batch = {
    ...video,
    messages: (w: MediaWants) => w.bundles ? [new Uint8Array([201])] : video.messages(w),
  };
  const chunk = {
    ...audio,
    messages: (w: MediaWants) => [new Uint8Array([w.pcm === "pcm_s16" ? 16 : 32])],
  };
  const sent = (wants: MediaWants) => {
    const socket = new FakeSocket();
    const outbox = outboxOn(socket, { wants });
    outbox.media(batch);
    outbox.media(chunk);
    outbox.close();
    return socket.sent;
  };
  assert.deepEqual(sent({ bundles: true, pcm: "pcm_s16" }), [
    new Uint8Array([201]),
    new Uint8Array([16]),
  ]);
  const plain = sent({ bundles: false, pcm: "pcm_f32" });
  assert.equal(plain.length, 25, "24 frame messages and the sound");
  assert.deepEqual(plain.at(-1), new Uint8Array([32]));
});
