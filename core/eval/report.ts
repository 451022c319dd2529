/** The eval table and its closing summary line (issue 3, "The scorer"). */
import type { EvalReport, Tally } from "./score.ts";
import { ATTRIBUTE_NAMES } from "./world.ts";

/**
 * The table printed by `deno task eval`: per attribute, accuracy on held-out and
 * on training combinations, then sync and persistence, ending with the summary line.
 */
export function formatReport(report: EvalReport): string {
  const cell = (t: Tally) =>
    t.total === 0 ? "-" : `${fixed(t.right / t.total)} (${t.right}/${t.total})`;
  const row = (...cells: string[]) =>
    cells.map((c, i) => c.padEnd(i === 0 ? 12 : 18)).join("").trimEnd();
  const bounce = report.clips.filter((c) => c.expected.motion === "bounce").length;
  const frames = report.clips.reduce((sum, c) => sum + c.frames, 0);
  const single = report.clips.reduce((sum, c) => sum + c.singleObjectFrames, 0);
  const lines = [
    row("attribute", "held-out", "training"),
    ...ATTRIBUTE_NAMES.map((name) =>
      row(name, cell(report.heldout[name]), cell(report.training[name]))
    ),
    syncLine(report, bounce),
    `persistence ${fixed(report.persistence)} (${single}/${frames} frames show exactly one object)`,
  ];
  if (report.overAllClips) lines.push("no held-out clips: adherence and motion are over all clips");
  lines.push(summaryLine(report));
  return lines.join("\n");
}

/** `eval: adherence=A motion=M sync_frames=S persistence=P clips=N`; S is `nan` without hits. */
export function summaryLine(report: EvalReport): string {
  const sync = report.syncFrames === null ? "nan" : fixed(report.syncFrames);
  return `eval: adherence=${fixed(report.adherence)} motion=${fixed(report.motion)} ` +
    `sync_frames=${sync} persistence=${fixed(report.persistence)} clips=${report.clips.length}`;
}

/**
 * The median offset, then the share of hits with a click within a frame and of clicks
 * within a frame of a hit, each beside its chance level (sync.ts).
 */
function syncLine(report: EvalReport, bounce: number): string {
  const median = report.syncFrames === null
    ? "n/a"
    : `${fixed(report.syncFrames)} frames${byChance(report.syncFramesChance)}`;
  const parts = [
    `median |visual hit - click| ${median} over ${report.syncHits} hits in ${bounce} bounce clips`,
  ];
  if (report.hitsWithClick !== null) {
    parts.push(
      `${fixed(report.hitsWithClick)} of them with a click within a frame${
        byChance(report.hitsWithClickChance)
      }`,
    );
  }
  parts.push(
    report.clickPrecision === null
      ? "no clicks"
      : `${fixed(report.clickPrecision)} of ${report.syncClicks} clicks within a frame of a hit${
        byChance(report.clickPrecisionChance)
      }`,
  );
  return `sync        ${parts.join("; ")}`;
}

/** " (X by chance)": the same reading with each clip's clicks on other clips' hits. */
function byChance(value: number | null): string {
  return value === null ? "" : ` (${fixed(value)} by chance)`;
}

function fixed(value: number): string {
  return value.toFixed(3);
}
