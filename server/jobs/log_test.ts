import assert from "node:assert/strict";
import type { JobEvent } from "../../client/protocol.ts";
import { EventLog } from "./log.ts";
import { initialState } from "./state.ts";

const step = (seq: number, i: number): JobEvent => ({
  type: "step",
  job: "j",
  seq,
  ts: 0,
  i,
  n: 10,
  sigma: 1 - i / 10,
});
const entry = (event: JobEvent) => ({ event, text: JSON.stringify(event) });

Deno.test("event log replays after lastSeq, skipping media seq gaps", () => {
  const log = new EventLog(10, initialState(10));
  for (const [seq, i] of [[1, 1], [5, 2], [9, 3]] as const) log.append(entry(step(seq, i)));
  const replay = log.since(4);
  assert.equal(replay.snapshot, null);
  assert.deepEqual(replay.events.map((e) => e.event.seq), [5, 9]);
});

Deno.test("event log folds evicted events into the snapshot a late client gets", () => {
  const log = new EventLog(2, initialState(10));
  for (let i = 0; i < 5; i++) log.append(entry(step(i + 1, i + 1)));
  const late = log.since(1);
  assert.equal(late.snapshot?.seq, 3);
  assert.equal(late.snapshot?.step, 3, "three steps finished by seq 3");
  assert.deepEqual(late.events.map((e) => e.event.seq), [4, 5]);
  assert.equal(log.since(3).snapshot, null, "a client at the base seq missed nothing evicted");
});
