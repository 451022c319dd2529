/**
 * The server's stderr stays free of runtime warnings on a path an operator hits daily:
 * deleting a running job over REST. Deno 2.9 warned there, once per process, that
 * `request.signal` aborts on successful responses (its legacy behavior, read somewhere
 * in the serving path, not by Emerge); deno.json opts in to the new behavior
 * (`"unstable": ["no-legacy-abort"]`), where the signal aborts only when a request fails.
 */
import assert from "node:assert/strict";
import { spawnServer } from "./_server.ts";

Deno.test("a running job deleted over REST leaves the server's stderr clean", async () => {
  const server = await spawnServer({}, { stderr: "piped" });
  const { url } = server;
  try {
    const created = await fetch(`${url}/v1/videos`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "a red ball bounces", steps: 40 }),
    });
    const { id } = await created.json();
    // Running: its first steps are in (40 steps take ~1 s).
    for (let i = 0; i < 100; i++) {
      const video = await (await fetch(`${url}/v1/videos/${id}`)).json();
      if (video.status === "in_progress") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const deleted = await fetch(`${url}/v1/videos/${id}`, { method: "DELETE" });
    assert.equal(deleted.status, 200);
    assert.equal((await deleted.json()).deleted, true);
    await new Promise((r) => setTimeout(r, 300)); // the warning came after the response
  } finally {
    await server.stop();
  }
  const log = await server.stderr;
  assert.ok(!/legacy behavior|warning/i.test(log), `stderr: ${log}`);
});
