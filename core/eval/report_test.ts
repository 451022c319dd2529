import assert from "node:assert/strict";
import { join } from "node:path";
import { readClips } from "./read.ts";
import { formatReport, summaryLine } from "./report.ts";
import { scoreClips } from "./score.ts";

const clips = await readClips(join(import.meta.dirname!, "../../tests/_fixtures/clips"));

Deno.test("without held-out clips, adherence and motion are over all clips and the table says so", () => {
  const training = clips.filter((c) => !c.heldout && c.attributes.motion !== "bounce").slice(0, 4);
  const report = scoreClips(
    training.map((c) => ({ ...c, attributes: { ...c.attributes, color: "red" } })),
  );
  const wrongColor = training.filter((c) => c.attributes.color !== "red").length;
  assert.ok(wrongColor > 0);
  assert.equal(report.overAllClips, true);
  assert.equal(report.adherence, 1 - wrongColor / (5 * training.length));
  const table = formatReport(report);
  assert.match(table, /no held-out clips: adherence and motion are over all clips/);
  assert.match(table, /^color\s+-\s+\d\.\d{3} \(\d+\/4\)$/m);
  // No bounce clip, so no hit to time: the sync number is nan, not a fake 0.
  assert.match(summaryLine(report), / sync_frames=nan /);
});

Deno.test("adherence and motion count held-out clips only when there are some", () => {
  const heldout = clips.filter((c) => c.heldout);
  assert.ok(heldout.length > 0);
  const report = scoreClips(
    clips.map((c) => c.heldout ? c : { ...c, attributes: { ...c.attributes, motion: "still" } }),
  );
  assert.equal(report.motion, 1);
  assert.equal(report.training.motion.right, 0);
  assert.match(
    summaryLine(report),
    /^eval: adherence=1\.000 motion=1\.000 sync_frames=0\.000 persistence=1\.000 clips=36$/,
  );
});
