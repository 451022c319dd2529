/**
 * What a server does with the jobs it finds in its database at start: every job
 * that was acknowledged and did not end runs again from its request (same seed,
 * so the same clip), and a done job whose files are missing or cut short does too.
 * Cancelled and failed jobs stay as they are. A job whose runs ended in a
 * server crash `maxAttempts` times (a poison request that kills the server each
 * time) ends failed instead of looping forever; a run stopped by a graceful
 * shutdown (a deploy) does not count, or a long job would fail after three
 * routine restarts. A job run again keeps its clientId, so a generate retried
 * with it (same owner) replays that job instead of starting another, as it would
 * have without the restart.
 */
import { join } from "node:path";
import type { JobRegistry } from "../jobs/registry.ts";
import { initialState, type JobState } from "../jobs/state.ts";
import type { JobRecord } from "../jobs/store.ts";
import type { SqliteJobStore } from "./sqlite.ts";

/** Seqs one run may use: a run after a restart starts this far above the last. */
export const SEQS_PER_ATTEMPT = 1 << 24;

/** What recovery did, for the server's start log and tests. */
export interface RecoveryReport {
  /** Unfinished jobs started again. */
  resumed: string[];
  /** Done jobs whose files were missing or partial, started again. */
  repaired: string[];
  /** Jobs that crashed the server `maxAttempts` times, now failed. */
  abandoned: string[];
}

/** Restarts what `store` holds unfinished (and done-but-broken) on `registry`. */
export function recoverJobs(
  registry: JobRegistry,
  store: SqliteJobStore,
  options: { dataDir: string; maxAttempts: number },
): RecoveryReport {
  const report: RecoveryReport = { resumed: [], repaired: [], abandoned: [] };
  const rerun = (record: JobRecord, into: string[]) => {
    const { attempt, crashes } = store.restart(record.id, initialState(record.request.steps));
    // Whatever the last run left (a temp file mid-rename, outputs of a partial
    // job) goes, so no half-written file can ever be served for this id.
    try {
      Deno.removeSync(join(options.dataDir, "videos", record.id), { recursive: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (crashes >= options.maxAttempts) {
      store.save({ ...record, state: abandoned(record, crashes), completedAt: Date.now() });
      report.abandoned.push(record.id);
      return;
    }
    registry.create(record.request, {
      detached: true,
      ...(record.owner !== undefined ? { owner: record.owner } : {}),
      ...(record.remixOf !== undefined ? { remixOf: record.remixOf } : {}),
      ...(record.clientId !== undefined ? { clientId: record.clientId } : {}),
      restore: {
        id: record.id,
        createdAt: record.createdAt,
        seqBase: (attempt - 1) * SEQS_PER_ATTEMPT,
      },
    });
    into.push(record.id);
  };
  for (const record of store.unfinished()) rerun(record, report.resumed);
  for (const record of store.done()) {
    if (!store.intact(record.id)) rerun(record, report.repaired);
  }
  return report;
}

function abandoned(record: JobRecord, crashes: number): JobState {
  return {
    ...initialState(record.request.steps),
    status: "failed",
    error: {
      code: "interrupted",
      message:
        `Cannot finish job: the server crashed during "${crashes}" of its runs, so it is not run again`,
    },
  };
}
