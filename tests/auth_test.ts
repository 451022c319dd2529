/**
 * API keys, tokens, ownership and the origin allowlist on a real server: REST
 * without a key is refused in OpenAI's shape, one key's jobs are invisible to
 * another (REST and WebSocket alike), tokens open the WebSocket and media URLs
 * but mint nothing, and upgrades from foreign origins are refused.
 */
import assert from "node:assert/strict";
import OpenAI, { AuthenticationError } from "openai";
import { FakeEngine } from "./_fake_engine.ts";
import { TestSocket, withServer } from "./_server.ts";

const OPTIONS = { security: { apiKeys: ["alpha-key", "beta-key"] }, sizes: ["64x64"] };
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

async function create(url: string, key: string, steps = 4): Promise<string> {
  const res = await fetch(`${url}/v1/videos`, {
    method: "POST",
    headers: { ...auth(key), "content-type": "application/json" },
    body: JSON.stringify({ prompt: "a ball", steps }),
  });
  assert.equal(res.status, 200);
  return (await res.json()).id;
}

async function token(url: string, key: string): Promise<string> {
  const res = await fetch(`${url}/v1/tokens`, { method: "POST", headers: auth(key) });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.ok(body.expires_at > Date.now() / 1000, "the token expires in the future");
  return body.token;
}

Deno.test("REST needs a key, and one key cannot see another's videos", async () => {
  await withServer({ engine: new FakeEngine({ stepMs: 1 }), ...OPTIONS }, async ({ url }) => {
    const none = await fetch(`${url}/v1/videos`);
    assert.equal(none.status, 401);
    assert.deepEqual(Object.keys((await none.json()).error).sort(), [
      "code",
      "message",
      "param",
      "type",
    ]);
    const sdk = new OpenAI({ apiKey: "wrong", baseURL: `${url}/v1`, maxRetries: 0 });
    const refused = await sdk.videos.list().catch((e) => e);
    assert.ok(refused instanceof AuthenticationError, String(refused));
    assert.equal(refused.code, "invalid_api_key");

    const id = await create(url, "alpha-key");
    assert.equal(
      (await fetch(`${url}/v1/videos/${id}`, { headers: auth("alpha-key") })).status,
      200,
    );
    for (const path of [`/v1/videos/${id}`, `/v1/videos/${id}/content`]) {
      const res = await fetch(url + path, { headers: auth("beta-key") });
      assert.equal(res.status, 404, `beta gets 404 for ${path}`);
      await res.body?.cancel();
    }
    const del = await fetch(`${url}/v1/videos/${id}`, {
      method: "DELETE",
      headers: auth("beta-key"),
    });
    assert.equal(del.status, 404);
    const list = async (key: string) =>
      (await (await fetch(`${url}/v1/videos`, { headers: auth(key) })).json()).data.map(
        (v: { id: string }) => v.id,
      );
    assert.deepEqual(await list("alpha-key"), [id]);
    assert.deepEqual(await list("beta-key"), []);

    // A token (for <video src>) reads alpha's content, but cannot mint another token.
    const t = await token(url, "alpha-key");
    for (let i = 0; i < 100; i++) {
      const v = await (await fetch(`${url}/v1/videos/${id}`, { headers: auth("alpha-key") }))
        .json();
      if (v.status === "completed") break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const media = await fetch(`${url}/v1/videos/${id}/content?token=${t}`);
    assert.equal(media.status, 200);
    await media.body?.cancel();
    const minted = await fetch(`${url}/v1/tokens`, { method: "POST", headers: auth(t) });
    assert.equal(minted.status, 401);
    await minted.body?.cancel();
    const keyInUrl = await fetch(`${url}/v1/videos?token=alpha-key`);
    assert.equal(keyInUrl.status, 401, "keys are never accepted in URLs");
    await keyInUrl.body?.cancel();
  });
});

Deno.test("WebSocket: token required, other owners' jobs are unknown, origins checked", async () => {
  await withServer({ engine: new FakeEngine({ stepMs: 20 }), ...OPTIONS }, async (server) => {
    const { url, wsUrl } = server;
    await assert.rejects(TestSocket.open(wsUrl), "no token, no socket");

    const job = await create(url, "alpha-key", 150);
    const beta = await TestSocket.open(`${wsUrl}?token=${await token(url, "beta-key")}`);
    beta.send({ type: "cancel", job });
    beta.send({ type: "steer", job, prompt: "mine now" });
    beta.send({ type: "resume", job, lastSeq: 0 });
    for (const action of ["cancel", "steer", "resume"]) {
      const error = await beta.next((m) => m.type === "error" && m.message.includes(action));
      assert.equal(error.type === "error" && error.code, "unknown_job", action);
    }
    // A message over the cap is refused with a stable code and the socket stays open.
    beta.send({ type: "ping", id: "x".repeat(100_000) });
    const big = await beta.next((m) => m.type === "error" && m.code === "too_large");
    assert.match(big.type === "error" ? big.message : "", /over the \d+-byte limit/);
    beta.send({ type: "ping", id: "still-open" });
    await beta.next((m) => m.type === "pong");
    await beta.close();

    const alpha = await TestSocket.open(`${wsUrl}?token=${await token(url, "alpha-key")}`);
    alpha.send({ type: "cancel", job });
    const v =
      async () => (await (await fetch(`${url}/v1/videos/${job}`, { headers: auth("alpha-key") }))
        .json());
    for (let i = 0; i < 200 && (await v()).status !== "failed"; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((await v()).error?.code, "cancelled", "the owner's cancel worked");
    await alpha.close();

    const headers = { ...auth("alpha-key"), origin: "http://evil.example" };
    const foreign = await fetch(`${url}/v1/stream`, { headers });
    assert.equal(foreign.status, 403);
    assert.equal((await foreign.json()).error.code, "origin_not_allowed");
    const local = await fetch(`${url}/v1/stream`, {
      headers: { ...auth("alpha-key"), origin: "http://localhost:5173" },
    });
    assert.notEqual(local.status, 403, "loopback pages may connect");
    await local.body?.cancel();
  });
});
