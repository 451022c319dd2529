/**
 * Errors no route answers itself, over real HTTP: an unknown route and an
 * exception a handler did not expect (here a job store that cannot read) get the
 * REST API's JSON error shape, as every other REST error does, not plain text.
 */
import assert from "node:assert/strict";
import { MemoryJobStore } from "../server/jobs/store.ts";
import { FakeEngine } from "./_fake_engine.ts";
import { withServer } from "./_server.ts";

/** A store whose reads throw, as a database locked past its busy timeout does. */
class UnreadableStore extends MemoryJobStore {
  override get(): never {
    throw new Error("database is locked");
  }
}

Deno.test("an unknown route gets a JSON 404 in the REST error shape", async () => {
  await withServer({ engine: new FakeEngine() }, async ({ url }) => {
    for (const [method, path] of [["GET", "/v1/nope"], ["POST", "/nowhere"]] as const) {
      const res = await fetch(`${url}${path}`, { method });
      assert.equal(res.status, 404, path);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      assert.deepEqual(await res.json(), {
        error: {
          message: `Cannot find route "${method} ${path}"`,
          type: "invalid_request_error",
          param: null,
          code: "not_found",
        },
      });
    }
  });
});

Deno.test("an unexpected exception gets a JSON 500 and is logged, without its detail", async () => {
  const logged: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void logged.push(args.map(String).join(" "));
  try {
    await withServer(
      { engine: new FakeEngine(), store: new UnreadableStore() },
      async ({ url }) => {
        const path = `/v1/videos/video_${"0".repeat(24)}`;
        const res = await fetch(`${url}${path}`);
        assert.equal(res.status, 500);
        assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
        const body = await res.json();
        assert.equal(body.error.code, "internal");
        assert.equal(body.error.type, "server_error");
        assert.equal(
          body.error.message,
          `Cannot handle "GET ${path}": the server failed unexpectedly`,
        );
        assert.doesNotMatch(body.error.message, /locked/, "the cause stays in the server's log");
        assert.ok(
          logged.some((line) => line.includes(path) && line.includes("database is locked")),
        );
      },
    );
  } finally {
    console.error = original;
  }
});
