import assert from "node:assert/strict";
import { yieldToEventLoop } from "./yield.ts";

Deno.test("yieldToEventLoop lets an already-due macrotask run first; a microtask does not", async () => {
  const order: string[] = [];
  const due = new Promise<void>((resolve) =>
    setTimeout(() => {
      order.push("macrotask");
      resolve();
    }, 0)
  );
  await Promise.resolve();
  order.push("after microtask");
  await yieldToEventLoop();
  order.push("after yield");
  await due;
  assert.deepEqual(order, ["after microtask", "macrotask", "after yield"]);
});

Deno.test("yieldToEventLoop lets a local socket's data in before it resolves", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await listener.accept();
  let received = false;
  const reading = server.read(new Uint8Array(8)).then(() => (received = true));
  await client.write(Uint8Array.of(1));
  // Busy the thread the way a model call does, so the data is waiting when we yield.
  const until = performance.now() + 20;
  while (performance.now() < until);
  for (let i = 0; i < 3 && !received; i++) await yieldToEventLoop();
  assert.ok(received, "the read completed within three yields");
  await reading;
  client.close();
  server.close();
  listener.close();
});
