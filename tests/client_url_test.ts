/**
 * The client's URL as a function, on a real server with API keys and tokens
 * that live 200 ms: it is called at every connect and reconnect, so a reconnect
 * after the first token expired carries a fresh one and the run still finishes.
 */
import assert from "node:assert/strict";
import { ConnectionError, EmergeClient } from "../client/mod.ts";
import { FakeEngine } from "./_fake_engine.ts";
import { withServer } from "./_server.ts";

const TTL_MS = 200;
const fast = { reconnect: { initialMs: 10, maxMs: 50, maxAttempts: 3 } };
const security = { apiKeys: ["test-key"], tokenTtlMs: TTL_MS };

async function token(server: string): Promise<string> {
  const res = await fetch(`${server}/v1/tokens`, {
    method: "POST",
    headers: { authorization: "Bearer test-key" },
  });
  assert.equal(res.status, 200);
  return (await res.json()).token;
}

Deno.test("client url function is called again on reconnect and gives a fresh token", async () => {
  await withServer({ engine: new FakeEngine({ stepMs: 10 }), security }, async (server) => {
    const urls: string[] = [];
    let expiry = Infinity;
    const url = async () => {
      urls.push(`${server.wsUrl}?token=${await token(server.url)}`);
      expiry = Math.min(expiry, Date.now() + TTL_MS);
      return new URL(urls.at(-1)!);
    };
    const states: string[] = [];
    const client = new EmergeClient(url, { ...fast, onState: (s) => states.push(s) });
    const gen = client.generate({ prompt: "x", steps: 100 });
    const steps: number[] = [];
    let dropped = false;
    for await (const e of gen) {
      if (e.type !== "step") continue;
      steps.push(e.i);
      // Drop once the first token has expired: reusing its URL would be refused.
      if (!dropped && Date.now() > expiry + 50) {
        dropped = true;
        client.dropConnection();
      }
    }
    assert.ok(dropped, "the run outlived the first token");
    assert.equal(urls.length, 2, "one call to connect, one to reconnect");
    assert.notEqual(urls[0], urls[1], "the reconnect carried a new token");
    assert.deepEqual(steps, [...Array(100).keys()].map((i) => i + 1));
    const { outputs } = await gen.result;
    assert.ok(outputs.video.startsWith(`${server.url}/v1/videos/${gen.id}/`), outputs.video);
    assert.deepEqual(states, ["connecting", "open", "reconnecting", "connecting", "open"]);
    client.close();

    // The first URL as a plain string: the server refuses its expired token now.
    const stale = new EmergeClient(urls[0]!, fast);
    const refused = await stale.generate({ prompt: "x" }).result.catch((e) => e);
    assert.ok(refused instanceof ConnectionError, String(refused));
  });
});

Deno.test("client url function that fails is retried, then the run fails with why", async () => {
  let calls = 0;
  const client = new EmergeClient(() => {
    calls++;
    return Promise.reject(new Error("no token today"));
  }, fast);
  const failure = await client.generate({ prompt: "x" }).result.catch((e) => e);
  assert.ok(failure instanceof ConnectionError, String(failure));
  assert.match(failure.message, /after 3 attempts \(the URL function failed: no token today\)/);
  assert.equal(calls, 4, "one try and three retries");
});
