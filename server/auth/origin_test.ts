import assert from "node:assert/strict";
import { originAllowed } from "./origin.ts";

Deno.test("originAllowed: same origin and loopback by default, the list when given", () => {
  assert.equal(originAllowed(undefined, "emerge.example", []), true, "no Origin: not a browser");
  assert.equal(originAllowed("https://emerge.example", "emerge.example", []), true);
  assert.equal(originAllowed("http://127.0.0.1:5173", "emerge.example", []), true);
  assert.equal(originAllowed("https://evil.example", "emerge.example", []), false);
  assert.equal(originAllowed("null", "emerge.example", []), false);
  const list = ["https://app.example"];
  assert.equal(originAllowed("https://app.example", "emerge.example", list), true);
  assert.equal(originAllowed("http://localhost:1", "emerge.example", list), false);
  assert.equal(originAllowed("https://any.example", "x", ["*"]), true);
});
