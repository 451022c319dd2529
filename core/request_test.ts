import assert from "node:assert/strict";
import { InvalidRequestError } from "./errors.ts";
import { parseManifest } from "./pack/manifest.ts";
import { checkSteer, resolveRequest } from "./request.ts";
import { fixtureManifest } from "./_testing/fixture_manifest.ts";

const m = parseManifest(fixtureManifest());

Deno.test("resolveRequest fills defaults from the manifest and keeps given fields", () => {
  const r = resolveRequest(m, { prompt: "a red ball", steps: 3, guidance: { video: 2, audio: 9 } });
  assert.equal(r.width, 64);
  assert.equal(r.height, 64);
  assert.equal(r.seconds, 2);
  assert.equal(r.steps, 3);
  assert.deepEqual(r.guidance, { video: 2, audio: 9 });
  assert.equal(r.scheduler, "euler");
  assert.equal(r.negativePrompt, "");
  assert.ok(Number.isInteger(r.seed) && r.seed >= 0);
});

Deno.test("resolveRequest refuses bad fields with the value quoted", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ steps: 0 }, "Cannot start job: steps 0 is not a whole number from 1 to 500"],
    [{ seed: 1.5 }, "Cannot start job: seed 1.5 is not a whole number from 0 to 4294967295"],
    [{ scheduler: "ddim" }, `Cannot start job: scheduler "ddim" is not one of euler, dpmpp2m`],
    [{ guidance: { video: -1 } }, "Cannot start job: guidance.video -1 is not between 0 and 50"],
    [{ width: 70 }, "Cannot start job: width 70 is not a multiple of 16"],
  ];
  for (const [fields, message] of cases) {
    assert.throws(
      () => resolveRequest(m, { prompt: "x", ...fields }),
      (e: unknown) => e instanceof InvalidRequestError && e.message === message,
      message,
    );
  }
});

Deno.test("checkSteer refuses a guidance that is not a number", () => {
  assert.throws(
    () => checkSteer({ guidance: { audio: Number.NaN } }),
    /Cannot steer job: guidance.audio NaN is not between 0 and 50/,
  );
  checkSteer({ prompt: "a blue square" });
});
