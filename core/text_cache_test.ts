import assert from "node:assert/strict";
import type { TextEncoding } from "./backend.ts";
import { TextCache } from "./text_cache.ts";

function counting() {
  const calls: string[][] = [];
  const encode = (prompts: string[]): Promise<TextEncoding[]> => {
    calls.push(prompts);
    return Promise.resolve(prompts.map((p) => ({
      tokens: Float32Array.of(p.length),
      mask: Float32Array.of(1),
      pooled: Float32Array.of(p.length),
    })));
  };
  return { calls, encode };
}

Deno.test("TextCache batches misses into one call and serves repeats from memory", async () => {
  const { calls, encode } = counting();
  const cache = new TextCache(encode, 4);
  const [a, b, a2] = await cache.get(["abc", "", "abc"]);
  assert.deepEqual(calls, [["abc", ""]]);
  assert.equal(a, a2);
  assert.equal(b!.pooled[0], 0);
  await cache.get(["", "abc"]);
  assert.equal(calls.length, 1);
});

Deno.test("TextCache evicts the least recently used prompt past its capacity", async () => {
  const { calls, encode } = counting();
  const cache = new TextCache(encode, 2);
  await cache.get(["a"]);
  await cache.get(["b"]);
  await cache.get(["a"]); // a is now newer than b
  await cache.get(["c"]); // evicts b
  assert.ok(cache.has("a") && cache.has("c") && !cache.has("b"));
  await cache.get(["b"]);
  assert.deepEqual(calls, [["a"], ["b"], ["c"], ["b"]]);
});

Deno.test("TextCache answers a call whose misses evict one of its own hits", async () => {
  const { calls, encode } = counting();
  const cache = new TextCache(encode, 2);
  await cache.get(["old"]);
  await cache.get(["mid"]);
  // "old" is the least recent entry; storing "new" and "newer" evicts it and "mid".
  const [old, fresh, newer] = await cache.get(["old", "new", "newer"]);
  assert.equal(old!.pooled[0], 3);
  assert.equal(fresh!.pooled[0], 3);
  assert.equal(newer!.pooled[0], 5);
  // Whatever was evicted is encoded again, never served as missing.
  const again = await cache.get(["old"]);
  assert.equal(again[0]!.pooled[0], 3);
  assert.deepEqual(calls, [["old"], ["mid"], ["new", "newer"], ["old"]]);
});
