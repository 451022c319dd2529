import assert from "node:assert/strict";
import { InvalidRequestError } from "./errors.ts";
import { clipGeometry } from "./geometry.ts";
import { parseManifest } from "./pack/manifest.ts";
import { fixtureManifest } from "./_testing/fixture_manifest.ts";

const m = parseManifest(fixtureManifest());

Deno.test("clipGeometry follows PACK.md: T = s fps, Tv = T / tc, Hv = H / sc, Ta = s rate", () => {
  const g = clipGeometry(m, 96, 64, 2);
  assert.deepEqual(g.video, [8, 12, 8, 12]);
  assert.deepEqual(g.audio, [8, 50]);
  assert.equal(g.frames, 24);
  assert.equal(g.samples, 32000);
  assert.equal(g.videoSize, 8 * 12 * 8 * 12);
  assert.equal(g.tokens, 12 * 4 * 6 + 50);
  assert.notEqual(g.key, clipGeometry(m, 64, 96, 2).key);
  assert.equal(g.key, clipGeometry(m, 96, 64, 2).key);
});

Deno.test("clipGeometry refuses a width that is not a multiple of 16, quoting it", () => {
  assert.throws(
    () => clipGeometry(m, 70, 64, 2),
    (e: unknown) =>
      e instanceof InvalidRequestError &&
      e.message === "Cannot start job: width 70 is not a multiple of 16",
  );
});

Deno.test("clipGeometry refuses lengths that do not divide into latent frames", () => {
  assert.throws(
    () => clipGeometry(m, 64, 64, 0.1),
    /seconds 0.1 gives 1.2 frames, not a multiple of 2/,
  );
  assert.throws(() => clipGeometry(m, 64, 64, -1), /seconds -1 is not between 0 and 60/);
  assert.throws(() => clipGeometry(m, 64, 4096, 2), /height 4096 is not a whole number/);
});

Deno.test("clipGeometry refuses more tokens than the pack's max_tokens, and the default is 8192", () => {
  assert.equal(m.max_tokens, 8192);
  // 1024x1024 for 60 s passes every side and length limit: 1,476,060 tokens.
  assert.throws(
    () => clipGeometry(m, 1024, 1024, 60),
    /Cannot start job: 1024x1024 for 60 s is 1476060 tokens, more than this pack's 8192/,
  );
  const small = parseManifest({ ...fixtureManifest(), max_tokens: 300 });
  assert.equal(clipGeometry(small, 64, 64, 2).tokens, 12 * 4 * 4 + 50);
  assert.throws(() => clipGeometry(small, 96, 64, 2), /is 338 tokens, more than this pack's 300/);
});
