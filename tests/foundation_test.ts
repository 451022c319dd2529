import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { Hono } from "hono";
import { z } from "zod";
import { binaryOpModel } from "./_tiny_onnx.ts";

Deno.test("import map resolves hono and zod to working modules", async () => {
  const app = new Hono().get("/", (c) => c.json({ ok: z.string().parse("yes") }));
  const res = await app.request("/");
  assert.deepEqual(await res.json(), { ok: "yes" });
});

Deno.test("onnxruntime-node runs a graph built in the test on the CPU", async () => {
  const session = await ort.InferenceSession.create(binaryOpModel("Mul"), {
    executionProviders: ["cpu"],
  });
  const a = new ort.Tensor("float32", Float32Array.from([1, 2, 3]), [3]);
  const b = new ort.Tensor("float32", Float32Array.from([4, 5, -6]), [3]);
  const { y } = await session.run({ a, b });
  assert.deepEqual(Array.from(y!.data as Float32Array), [4, 10, -18]);
  await session.release();
});
