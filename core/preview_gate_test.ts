import assert from "node:assert/strict";
import { PreviewGate } from "./preview_gate.ts";

Deno.test("PreviewGate stays shut while a preview runs and for d (1/budget - 1) after it", async () => {
  let clock = 0;
  const gate = new PreviewGate(0.2, () => clock);
  assert.ok(gate.open);
  let release!: () => void;
  const running = gate.run(() => new Promise<void>((r) => (release = r)));
  assert.ok(!gate.open, "shut while in flight");
  clock = 10; // the preview took 10 ms
  release();
  await running;
  clock = 49;
  assert.ok(!gate.open, "shut for 40 ms after a 10 ms preview at budget 0.2");
  clock = 50;
  assert.ok(gate.open);
});

Deno.test("PreviewGate with budget 1 only keeps one preview in flight", async () => {
  let clock = 0;
  const gate = new PreviewGate(1, () => clock);
  await gate.run(() => {
    clock = 30;
    return Promise.resolve();
  });
  assert.ok(gate.open);
  assert.throws(() => new PreviewGate(0), RangeError);
});
