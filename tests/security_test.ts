/**
 * Issue 7, security, in-process on the fake engine with API keys on: missing and
 * wrong keys refused, WS tokens expire, upgrades from origins off the allowlist
 * refused, one owner cannot see, steer or cancel another's job, and traversal in
 * output URLs gets 404. (Auth itself is server/auth/, issue 6; this checks it.)
 */
import assert from "node:assert/strict";
import type { ErrorMessage, ServerMessage } from "../client/protocol.ts";
import { FakeEngine } from "./_fake_engine.ts";
import { isTerminal, TestSocket, withServer } from "./_server.ts";

const KEY_A = "sk-test-alice-0123456789";
const KEY_B = "sk-test-bob-0123456789";
const security = {
  apiKeys: [KEY_A, KEY_B],
  allowedOrigins: ["https://ok.example"],
  tokenTtlMs: 400,
};
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const isError = (m: ServerMessage): m is ErrorMessage => m.type === "error";
const UPGRADE = {
  upgrade: "websocket",
  connection: "Upgrade",
  "sec-websocket-version": "13",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
};

async function token(url: string, key: string): Promise<string> {
  const res = await fetch(`${url}/v1/tokens`, { method: "POST", headers: bearer(key) });
  assert.equal(res.status, 200);
  return (await res.json()).token;
}

Deno.test("missing or wrong keys are refused; tokens expire; foreign origins cannot upgrade", async () => {
  await withServer({ engine: new FakeEngine(), security }, async (server) => {
    const id = "video_" + "0".repeat(24);
    for (const headers of [{}, bearer("sk-wrong"), { authorization: KEY_A }]) {
      const res = await fetch(`${server.url}/v1/videos/${id}`, { headers });
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal((await res.json()).error.code, "invalid_api_key");
    }
    const noKey = await fetch(`${server.url}/v1/stream`, { headers: UPGRADE });
    assert.equal(noKey.status, 401);
    await noKey.body?.cancel();
    // A key is never taken from the URL, only a short-lived token is.
    const keyInUrl = await fetch(`${server.url}/v1/videos/${id}?token=${KEY_A}`);
    assert.equal(keyInUrl.status, 401);
    await keyInUrl.body?.cancel();

    const t = await token(server.url, KEY_A);
    const ws = await TestSocket.open(`${server.wsUrl}?token=${t}`);
    await ws.close();
    await new Promise((r) => setTimeout(r, 600));
    const expired = await fetch(`${server.url}/v1/stream?token=${t}`, { headers: UPGRADE });
    assert.equal(expired.status, 401, "an expired token opens nothing");
    await expired.body?.cancel();

    // A token reads (GET and HEAD, header or URL) but never creates or deletes.
    const reader = await token(server.url, KEY_A);
    const listed = await fetch(`${server.url}/v1/videos`, { headers: bearer(reader) });
    assert.equal(listed.status, 200);
    await listed.body?.cancel();
    const head = await fetch(`${server.url}/v1/videos?token=${reader}`, { method: "HEAD" });
    assert.equal(head.status, 200);
    const writes: [string, string][] = [["POST", "/v1/videos"], ["DELETE", `/v1/videos/${id}`]];
    for (const [method, path] of writes) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { ...bearer(reader), "content-type": "application/json" },
        ...(method === "POST" ? { body: JSON.stringify({ prompt: "x" }) } : {}),
      });
      assert.equal(res.status, 401, `${method} ${path} with a token`);
      assert.match((await res.json()).error.message, /a token only reads/);
    }

    const t2 = await token(server.url, KEY_A);
    const evil = await fetch(`${server.url}/v1/stream?token=${t2}`, {
      headers: { ...UPGRADE, origin: "https://evil.example" },
    });
    assert.equal(evil.status, 403);
    assert.equal((await evil.json()).error.code, "origin_not_allowed");
  });
});

Deno.test("one owner cannot see, steer, cancel or download another owner's job", async () => {
  await withServer({ engine: new FakeEngine({ stepMs: 20 }), security }, async (server) => {
    const alice = await TestSocket.open(`${server.wsUrl}?token=${await token(server.url, KEY_A)}`);
    alice.send({ type: "generate", prompt: "alice's", steps: 30 });
    const job = (await alice.next((m) => m.type === "queued") as { job: string }).job;
    const bob = await TestSocket.open(`${server.wsUrl}?token=${await token(server.url, KEY_B)}`);
    for (
      const message of [
        { type: "resume", job, lastSeq: 0 },
        { type: "steer", job, prompt: "bob's now" },
        { type: "cancel", job },
      ]
    ) {
      const from = bob.received.length;
      bob.send(message);
      const error = await bob.next(isError, { from }) as ErrorMessage;
      assert.equal(error.code, "unknown_job", message.type);
    }
    assert.ok(!bob.messages.some((m) => "job" in m && m.job === job && m.type !== "error"));
    const done = await alice.next(isTerminal, { ms: 20_000 });
    assert.equal(done.type, "done", "alice's job ran to the end, unsteered and uncancelled");
    assert.ok(!alice.messages.some((m) => m.type === "steered"));
    for (const path of [`/v1/videos/${job}`, `/v1/videos/${job}/content?variant=video`]) {
      const res = await fetch(server.url + path, { headers: bearer(KEY_B) });
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
      const own = await fetch(server.url + path, { headers: bearer(KEY_A) });
      assert.equal(own.status, 200, path);
      await own.body?.cancel();
    }
    await alice.close();
    await bob.close();
  });
});

Deno.test("traversal in output URLs gets 404 and never a file", async () => {
  await withServer({ engine: new FakeEngine() }, async (server) => {
    for (
      const path of [
        "/v1/videos/..%2F..%2F..%2Fetc%2Fpasswd/content",
        "/v1/videos/%2e%2e/content?variant=video",
        "/v1/videos/..%2Femerge.db/content?variant=video",
        "/v1/videos/video_000000000000000000000000%2F..%2F..%2Femerge.db/content",
        "/v1/videos/../../etc/passwd",
      ]
    ) {
      const res = await fetch(server.url + path);
      const text = await res.text();
      assert.equal(res.status, 404, `${path}: ${res.status}`);
      assert.doesNotMatch(text, /root:|SQLite format/);
    }
  });
});
