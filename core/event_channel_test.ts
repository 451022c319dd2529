import assert from "node:assert/strict";
import { EventChannel } from "./event_channel.ts";

Deno.test("EventChannel delivers events pushed before and after the consumer waits", async () => {
  const channel = new EventChannel<number>();
  channel.push(1);
  const seen: number[] = [];
  const reading = (async () => {
    for await (const n of channel) seen.push(n);
  })();
  await Promise.resolve();
  channel.push(2);
  setTimeout(() => {
    channel.push(3);
    channel.close();
  }, 5);
  await reading;
  assert.deepEqual(seen, [1, 2, 3]);
});

Deno.test("EventChannel can be iterated only once", async () => {
  const channel = new EventChannel<number>();
  channel.close();
  for await (const _ of channel) { /* empty */ }
  await assert.rejects(async () => {
    for await (const _ of channel) { /* empty */ }
  }, TypeError);
});

Deno.test("EventChannel stops buffering once the consumer breaks early", async () => {
  const channel = new EventChannel<number>();
  channel.push(1);
  channel.push(2);
  for await (const _ of channel) break;
  channel.push(3);
  assert.equal(channel.pending, 0);
});
