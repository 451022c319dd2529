import assert from "node:assert/strict";
import { join } from "node:path";
import { DataDirLock, LOCK_FILE } from "./lock.ts";
import { SqliteJobStore, StoreError } from "./sqlite.ts";

/** Runs `fn` on a fresh temp folder and removes it after. */
function withDir(fn: (dir: string) => void): void {
  const dir = Deno.makeTempDirSync({ prefix: "emerge_lock_" });
  try {
    fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("a held data folder refuses a second lock, naming the holder's pid", () => {
  withDir((dir) => {
    const first = DataDirLock.acquire(dir);
    try {
      assert.throws(
        () => DataDirLock.acquire(dir),
        (error) =>
          error instanceof StoreError &&
          error.message ===
            `Cannot start: another Emerge server uses the data folder "${dir}" (pid ${Deno.pid})`,
      );
    } finally {
      first.release();
    }
    // Released, the folder is free again, and the file stays (see lock.ts).
    DataDirLock.acquire(dir).release();
    assert.equal(Deno.readTextFileSync(join(dir, LOCK_FILE)), `${Deno.pid}\n`);
  });
});

Deno.test("a job store holds its folder until closed: a second store there is refused", () => {
  withDir((dir) => {
    const path = join(dir, "emerge.db");
    const store = new SqliteJobStore(path);
    try {
      assert.throws(() => new SqliteJobStore(path), /another Emerge server uses the data folder/);
    } finally {
      store.close();
    }
    new SqliteJobStore(path).close();
  });
});
