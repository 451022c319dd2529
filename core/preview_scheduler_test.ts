import assert from "node:assert/strict";
import type { ClipGeometry } from "./geometry.ts";
import { PreviewGate } from "./preview_gate.ts";
import { type PreviewRequest, PreviewScheduler } from "./preview_scheduler.ts";
import type { Preview } from "./types.ts";

class FakeJob {
  ended = false;
  got: number[] = [];
  constructor(readonly name: string) {}
}

const request = (step: number): PreviewRequest => ({
  x0: new Float32Array(1),
  geometry: {} as ClipGeometry,
  step,
  sigma: 1 - step / 10,
});

/** A scheduler whose renders finish only when the test says so. */
function harness(gate?: PreviewGate) {
  const started: string[] = [];
  const finish: (() => void)[] = [];
  const errors: string[] = [];
  const scheduler = new PreviewScheduler<FakeJob>({
    render: (r, _stillWanted, deliver) => {
      started.push(`${r.step}`);
      return new Promise<void>((resolve) =>
        finish.push(() => {
          deliver({ step: r.step } as Preview);
          resolve();
        })
      );
    },
    deliver: (job, preview) => job.got.push(preview.step),
    onError: (job, r, error) => errors.push(`${job.name}@${r.step}: ${(error as Error).message}`),
    ...(gate ? { gate } : {}),
  });
  return { scheduler, started, finish, errors };
}

Deno.test("preview scheduler: one render at a time, a job's waiting request is replaced by a newer one", async () => {
  const h = harness(), a = new FakeJob("a");
  h.scheduler.submit(a, request(1));
  h.scheduler.submit(a, request(2));
  h.scheduler.submit(a, request(3));
  assert.deepEqual(h.started, ["1"], "only one in flight");
  assert.equal(h.scheduler.pending, 1, "step 2 was replaced by step 3");
  h.finish.shift()!();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(h.started, ["1", "3"]);
  h.finish.shift()!();
  await h.scheduler.idle();
  assert.deepEqual(a.got, [1, 3]);
});

Deno.test("preview scheduler: the job previewed longest ago goes next; ended jobs are dropped", async () => {
  const h = harness(), a = new FakeJob("a"), b = new FakeJob("b"), c = new FakeJob("c");
  h.scheduler.submit(a, request(1)); // starts at once
  h.scheduler.submit(a, request(2));
  h.scheduler.submit(b, request(1));
  h.scheduler.submit(c, request(1));
  c.ended = true;
  h.finish.shift()!();
  await new Promise((r) => setTimeout(r, 0));
  // b was never previewed, a was: b goes first; c ended and is skipped.
  assert.deepEqual(h.started, ["1", "1"]);
  h.finish.shift()!();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(h.started, ["1", "1", "2"]);
  h.finish.shift()!();
  await h.scheduler.idle();
  assert.deepEqual([a.got, b.got, c.got], [[1, 2], [1], []]);
  assert.equal(h.scheduler.pending, 0);
});

Deno.test("preview scheduler: a job that ends mid-render gets nothing; a failed render is reported", async () => {
  const errors: string[] = [], settled: string[] = [];
  const failing = new PreviewScheduler<FakeJob>({
    render: () => Promise.reject(new Error("boom")),
    deliver: () => assert.fail("nothing to deliver"),
    onError: (job, r, error) => errors.push(`${job.name}@${r.step}: ${(error as Error).message}`),
    settled: (job) => settled.push(job.name),
  });
  failing.submit(new FakeJob("x"), request(4));
  await failing.idle();
  assert.deepEqual(errors, ["x@4: boom"]);
  assert.deepEqual(settled, ["x"], "a failed render is settled too");

  const h = harness(), a = new FakeJob("a");
  h.scheduler.submit(a, request(1));
  a.ended = true;
  h.finish.shift()!();
  await h.scheduler.idle();
  assert.deepEqual(a.got, []);
});

Deno.test("preview scheduler: a closed gate holds the request until the next submit", async () => {
  let now = 0;
  const gate = new PreviewGate(0.5, () => now);
  const h = harness(gate), a = new FakeJob("a");
  h.scheduler.submit(a, request(1));
  now = 10;
  h.finish.shift()!(); // took 10 ms: the gate reopens at 20
  await h.scheduler.idle();
  h.scheduler.submit(a, request(2));
  assert.deepEqual(h.started, ["1"], "gate closed at t=10");
  now = 20;
  h.scheduler.submit(a, request(3));
  assert.deepEqual(h.started, ["1", "3"]);
  h.finish.shift()!();
  await h.scheduler.idle();
  assert.deepEqual(a.got, [1, 3]);
});

Deno.test("preview scheduler: a ready part is delivered at once, the next render waits for the other", async () => {
  const a = new FakeJob("a");
  let sound!: () => void;
  const started: number[] = [], settled: number[] = [];
  const scheduler = new PreviewScheduler<FakeJob>({
    render: (r, _stillWanted, deliver) => {
      started.push(r.step);
      deliver({ kind: "video", step: r.step } as Preview);
      return new Promise<void>((resolve) =>
        sound = () => {
          deliver({ kind: "audio", step: r.step } as Preview);
          resolve();
        }
      );
    },
    deliver: (job, part) => job.got.push(part.kind === "video" ? part.step : -part.step),
    onError: () => assert.fail("no error"),
    settled: () => settled.push(a.got.length),
  });
  scheduler.submit(a, request(1));
  scheduler.submit(a, request(2));
  assert.deepEqual(a.got, [1], "step 1's frames went out before its render ended");
  assert.deepEqual(started, [1], "step 2 waits for step 1's sound");
  assert.deepEqual(settled, [], "not settled while the sound renders");
  sound();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(started, [1, 2]);
  assert.deepEqual(settled, [2], "settled once both parts were out");
  a.ended = true;
  sound();
  await scheduler.idle();
  assert.deepEqual(a.got, [1, -1, 2], "nothing is delivered to an ended job");
});
