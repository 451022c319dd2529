import assert from "node:assert/strict";
import { parseClientMessage } from "./messages.ts";

const refusal = (message: unknown) => {
  const result = parseClientMessage(JSON.stringify(message));
  assert.ok(!result.ok);
  assert.equal(result.code, "invalid_request");
  return result.message;
};

Deno.test("a message without a known type is told the types there are", () => {
  assert.match(
    refusal({}),
    /^Cannot read message: its "type" is missing \(one of "hello", "generate",/,
  );
  assert.match(refusal({ type: "nope" }), /its "type" "nope" is unknown \(one of .*"ping"\)$/);
  assert.match(refusal({ type: 7 }), /its "type" 7 is unknown/);
});

Deno.test("unknown fields are named as fields, and a bad field by its path", () => {
  assert.equal(
    refusal({ type: "cancel", job: "video_abc", extra: 1 }),
    'Cannot accept "cancel" message: it has unknown field "extra"',
  );
  assert.match(refusal({ type: "ping", id: 5 }), /^Cannot accept "ping" message: field "id" /);
});

Deno.test("a message that parses is returned as it is", () => {
  assert.deepEqual(parseClientMessage('{"type":"ping","id":"p"}'), {
    ok: true,
    message: { type: "ping", id: "p" },
  });
});
