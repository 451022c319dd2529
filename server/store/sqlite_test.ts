import assert from "node:assert/strict";
import { join } from "node:path";
import { initialState } from "../jobs/state.ts";
import type { JobRecord } from "../jobs/store.ts";
import { SqliteJobStore } from "./sqlite.ts";

/** A job as the registry writes it, `status` as given. */
function job(status: "queued" | "running"): JobRecord {
  const request = { prompt: "x", steps: 4 } as JobRecord["request"];
  return {
    id: "video_a",
    request,
    model: "emerge",
    createdAt: 1,
    completedAt: null,
    state: { ...initialState(4), status },
    files: null,
  };
}

Deno.test("restart() counts a run as a crash only when the job was left running", () => {
  const dir = Deno.makeTempDirSync({ prefix: "emerge_sqlite_" });
  const store = new SqliteJobStore(join(dir, "emerge.db"));
  try {
    // Crash: the server died while the job ran, so the row still says running.
    store.save(job("running"));
    assert.deepEqual(store.restart("video_a", initialState(4)), { attempt: 2, crashes: 1 });
    // Graceful stop: shutdown requeued it, so the next start must not count that run.
    store.save(job("running"));
    store.requeue("video_a");
    assert.deepEqual(store.restart("video_a", initialState(4)), { attempt: 3, crashes: 1 });
    // Never started (queued behind a poison job): not its crash either.
    assert.deepEqual(store.restart("video_a", initialState(4)), { attempt: 4, crashes: 1 });
  } finally {
    store.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
