import assert from "node:assert/strict";
import { TokenIssuer } from "./tokens.ts";

Deno.test("a token carries its owner until it expires, and a changed byte voids it", () => {
  let now = 1_000_000;
  const issuer = new TokenIssuer(60_000, () => now);
  const { token, expiresAt } = issuer.issue("key_abc");
  assert.equal(expiresAt, 1_060_000);
  assert.deepEqual(issuer.verify(token), { owner: "key_abc", expiresAt });
  const flipped = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
  assert.equal(issuer.verify(flipped), null);
  assert.equal(new TokenIssuer(60_000, () => now).verify(token), null, "another server's secret");
  now += 60_000;
  assert.equal(issuer.verify(token), null, "expired");
  assert.equal(issuer.verify("not-a-token"), null);
});
