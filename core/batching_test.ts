import assert from "node:assert/strict";
import { type Batchable, pickBatch } from "./batching.ts";

type J = Batchable & { lastServed: number; name: string };

function simulate(jobs: J[], maxBatch: number, calls: number): string[][] {
  const picked: string[][] = [];
  let serial = 0;
  for (let call = 0; call < calls; call++) {
    const batch = pickBatch(jobs, maxBatch);
    for (const j of batch) j.lastServed = ++serial;
    picked.push(batch.map((j) => j.name));
  }
  return picked;
}

const job = (name: string, key: string, order: number): J => ({ name, key, order, lastServed: 0 });

Deno.test("pickBatch puts every ready job of one shape into one call", () => {
  const jobs = [job("a", "s", 0), job("b", "s", 1), job("c", "s", 2), job("d", "s", 3)];
  assert.deepEqual(simulate(jobs, 8, 2), [["a", "b", "c", "d"], ["a", "b", "c", "d"]]);
});

Deno.test("pickBatch never mixes shapes and alternates between shape groups", () => {
  const jobs = [job("a", "square", 0), job("b", "wide", 1), job("c", "square", 2)];
  assert.deepEqual(simulate(jobs, 8, 4), [["a", "c"], ["b"], ["a", "c"], ["b"]]);
});

Deno.test("pickBatch rotates fairly when one shape has more jobs than fit in a call", () => {
  const jobs = ["a", "b", "c"].map((n, i) => job(n, "s", i));
  const picked = simulate(jobs, 2, 3);
  assert.deepEqual(picked, [["a", "b"], ["c", "a"], ["b", "c"]]);
  // over 3 calls each job ran exactly twice
  const counts = new Map<string, number>();
  for (const n of picked.flat()) counts.set(n, (counts.get(n) ?? 0) + 1);
  assert.deepEqual([...counts.values()], [2, 2, 2]);
});
