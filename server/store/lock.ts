/**
 * One server per data folder. Recovery treats every unfinished job in the
 * database as orphaned and deletes its outputs, so a second server on the same
 * folder would re-run (and undo deletes of) jobs the first is still running.
 * The lock is an OS file lock (flock) on `<dataDir>/emerge.lock`: the kernel
 * drops it when the process dies, even by SIGKILL, so a restart after a crash
 * never finds a stale lock. The file is never deleted (deleting a lock file lets
 * two processes lock two different inodes); it holds the owner's pid, only to
 * name it in the refusal.
 */
import { join } from "node:path";
import { StoreError } from "./_error.ts";

/** The lock file's name inside the data folder. */
export const LOCK_FILE = "emerge.lock";

/** An exclusive hold on a data folder, until {@linkcode DataDirLock.release}. */
export class DataDirLock {
  #file: Deno.FsFile | null;

  private constructor(file: Deno.FsFile) {
    this.#file = file;
  }

  /**
   * Locks `dataDir` (which must exist) or throws a {@linkcode StoreError} naming
   * the process that holds it. Never waits: a server that cannot own its folder
   * must say so at once, not hang at start.
   */
  static acquire(dataDir: string): DataDirLock {
    const path = join(dataDir, LOCK_FILE);
    let file: Deno.FsFile;
    try {
      // No truncate on open: that would wipe the holder's pid before we know we own it.
      file = Deno.openSync(path, { read: true, write: true, create: true });
    } catch (cause) {
      throw new StoreError(`Cannot lock the data folder "${dataDir}": ${String(cause)}`, { cause });
    }
    if (!file.tryLockSync(true)) {
      const pid = holder(path);
      file.close();
      throw new StoreError(
        `Cannot start: another Emerge server uses the data folder "${dataDir}"${
          pid ? ` (pid ${pid})` : ""
        }`,
      );
    }
    file.truncateSync(0);
    file.writeSync(new TextEncoder().encode(`${Deno.pid}\n`));
    return new DataDirLock(file);
  }

  /** Lets another server have the folder; a second call does nothing. */
  release(): void {
    this.#file?.close(); // closing the last descriptor drops the flock
    this.#file = null;
  }
}

/** The pid the holder wrote, or "" if it has not written it yet. */
function holder(path: string): string {
  try {
    return Deno.readTextFileSync(path).trim();
  } catch {
    return "";
  }
}
