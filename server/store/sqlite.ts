/**
 * A {@linkcode JobStore} in SQLite through Deno's built-in `node:sqlite`: no
 * native addon, no server, one file under the data dir. Writes are synchronous,
 * so when `save` returns the row is in the database and a `kill -9` cannot lose
 * it; that is what lets the server write a job before it acknowledges it.
 *
 * WAL mode with `synchronous=NORMAL` survives any process crash (the WAL is in
 * the OS's page cache the moment a commit returns); only a power cut can roll
 * back the newest commits, never corrupt the file. `sync: "full"` fsyncs every
 * commit for that case too, at about 3 ms a write on this machine's disk.
 */
import { statSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { GenerationOutputs } from "../../core/types.ts";
import { isTerminal, type JobState } from "../jobs/state.ts";
import type { JobRecord, JobStore, ListPage, ListQuery } from "../jobs/store.ts";
import { StoreError } from "./_error.ts";
import { DataDirLock } from "./lock.ts";
import { ADDED_COLUMNS, SCHEMA_SQL, SCHEMA_VERSION } from "./schema.ts";
import { errorMessage } from "../../core/errors.ts";

/** How the database is opened. */
export interface SqliteStoreOptions {
  /** "normal" (default) survives process crashes; "full" also power cuts. */
  sync?: "normal" | "full";
}

export { StoreError };

interface Row {
  id: string;
  owner: string | null;
  remix_of: string | null;
  client_id: string | null;
  model: string;
  request: string;
  state: string;
  files: string | null;
  file_sizes: string | null;
  attempt: number;
  created_at: number;
  completed_at: number | null;
}

const COLUMNS = "id, owner, remix_of, client_id, model, request, state, files, file_sizes, " +
  "attempt, created_at, completed_at";

/** What {@linkcode SqliteJobStore.restart} gives the new run. */
export interface Restarted {
  /** Runs so far, this one included (seqs of each run start above the last's). */
  attempt: number;
  /** Runs that ended because the server died while they ran. */
  crashes: number;
}

/** Jobs in one SQLite file. */
export class SqliteJobStore implements JobStore {
  #db: DatabaseSync;
  #upsert: StatementSync;
  #byId: StatementSync;
  /** Status last written per unfinished job: a step changes no status, so it costs no write. */
  #written = new Map<string, string>();

  /** The data folder is this store's alone while it is open (see lock.ts). */
  #lock: DataDirLock;

  /**
   * Opens (creating if needed) the database at `path`, first locking its folder:
   * throws a {@linkcode StoreError} when another server holds it.
   */
  constructor(readonly path: string, options: SqliteStoreOptions = {}) {
    this.#lock = DataDirLock.acquire(dirname(path));
    try {
      this.#db = this.#open(options);
    } catch (error) {
      this.#lock.release();
      throw error;
    }
    this.#upsert = this.#db.prepare(`
      INSERT INTO jobs (id, owner, remix_of, client_id, model, request, status, state, files,
                        file_sizes, created_at, completed_at, updated_at)
      VALUES (:id, :owner, :remix_of, :client_id, :model, :request, :status, :state, :files,
              :file_sizes, :created_at, :completed_at, :updated_at)
      ON CONFLICT (id) DO UPDATE SET
        status = excluded.status, state = excluded.state, files = excluded.files,
        file_sizes = excluded.file_sizes, completed_at = excluded.completed_at,
        updated_at = excluded.updated_at`);
    this.#byId = this.#db.prepare(`SELECT ${COLUMNS} FROM jobs WHERE id = ?`);
  }

  /** Writes `record` when its status changed (or it is new); progress within a status is not kept. */
  save(record: JobRecord): void {
    const status = record.state.status;
    if (this.#written.get(record.id) === status && status !== "done") return;
    this.#upsert.run({
      id: record.id,
      owner: record.owner ?? null,
      remix_of: record.remixOf ?? null,
      client_id: record.clientId ?? null,
      model: record.model,
      request: JSON.stringify(record.request),
      status,
      state: JSON.stringify(record.state),
      files: record.files ? JSON.stringify(record.files) : null,
      file_sizes: record.files ? JSON.stringify(sizesOf(record.files)) : null,
      created_at: record.createdAt,
      completed_at: record.completedAt,
      updated_at: Date.now(),
    });
    if (isTerminal(status)) this.#written.delete(record.id);
    else this.#written.set(record.id, status);
  }

  get(id: string): JobRecord | undefined {
    const row = this.#byId.get(id) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  list(query: ListQuery): ListPage {
    const owner = query.owner ?? null;
    let from: number | null = null;
    if (query.after !== undefined) {
      const cursor = this.#db.prepare("SELECT seq FROM jobs WHERE id = ? AND owner IS ?")
        .get(query.after, owner) as { seq: number } | undefined;
      // A cursor that is gone ends the walk (pageOf's rule), so paging cannot loop.
      if (!cursor) return { data: [], hasMore: false };
      from = cursor.seq;
    }
    const asc = query.order === "asc";
    const rows = this.#db.prepare(
      `SELECT ${COLUMNS} FROM jobs WHERE owner IS ? ${
        from === null ? "" : asc ? "AND seq > ?" : "AND seq < ?"
      } ORDER BY seq ${asc ? "ASC" : "DESC"} LIMIT ?`,
    ).all(...(from === null ? [owner] : [owner, from]), query.limit + 1) as unknown as Row[];
    return {
      data: rows.slice(0, query.limit).map(toRecord),
      hasMore: rows.length > query.limit,
    };
  }

  delete(id: string): boolean {
    this.#written.delete(id);
    return Number(this.#db.prepare("DELETE FROM jobs WHERE id = ?").run(id).changes) > 0;
  }

  /** Jobs a restart must run again: acknowledged (queued) or running, oldest first. */
  unfinished(): JobRecord[] {
    return this.#select("status IN ('queued', 'running')");
  }

  /** Jobs that finished with files, oldest first. */
  done(): JobRecord[] {
    return this.#select("status = 'done'");
  }

  /**
   * Whether every output of done job `id` is on disk with the size it had when the
   * job finished: a missing file or one cut short (a disk restored from an old
   * snapshot, a hand edit) means the job must run again.
   */
  intact(id: string): boolean {
    const row = this.#db.prepare("SELECT files, file_sizes FROM jobs WHERE id = ?").get(id) as
      | { files: string | null; file_sizes: string | null }
      | undefined;
    if (!row?.files || !row.file_sizes) return false;
    const expected = JSON.parse(row.file_sizes) as Record<string, number>;
    const actual = sizesOf(JSON.parse(row.files) as GenerationOutputs);
    return Object.entries(expected).every(([k, size]) => size > 0 && actual[k] === size);
  }

  /**
   * Marks `id` for another run: back to queued with no files, one more attempt.
   * A job found still `running` was running when its server died without
   * shutting down (a graceful stop requeues it first), so that run is counted
   * as a crash; a queued one (never started, or requeued) is not.
   */
  restart(id: string, state: JobState): Restarted {
    this.#written.set(id, "queued");
    // SQLite evaluates every SET expression against the row as it was, so
    // `status` here is the status the last run left.
    const row = this.#db.prepare(
      `UPDATE jobs SET status = 'queued', state = ?, files = NULL, file_sizes = NULL,
         completed_at = NULL, attempt = attempt + 1, crashes = crashes + (status = 'running'),
         updated_at = ? WHERE id = ? RETURNING attempt, crashes`,
    ).get(JSON.stringify(state), Date.now(), id) as Restarted | undefined;
    if (!row) throw new StoreError(`Cannot restart job "${id}": it is not in the database`);
    return { attempt: row.attempt, crashes: row.crashes };
  }

  /**
   * Puts an unfinished job back to queued (graceful shutdown's checkpoint). It
   * is then no longer `running`, which is how the next start tells this clean
   * stop from a crash.
   */
  requeue(id: string): void {
    this.#written.delete(id);
    this.#db.prepare(
      "UPDATE jobs SET status = 'queued', updated_at = ? WHERE id = ? AND status = 'running'",
    ).run(Date.now(), id);
  }

  /** Closes the file and unlocks the folder; a closed store throws on use. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
    this.#lock.release();
  }

  /** The database in WAL mode, migrated to SCHEMA_VERSION; closed again if that fails. */
  #open(options: SqliteStoreOptions): DatabaseSync {
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(this.path);
      db.exec(
        `PRAGMA journal_mode = WAL; PRAGMA synchronous = ${
          options.sync === "full" ? "FULL" : "NORMAL"
        }; PRAGMA busy_timeout = 5000;`,
      );
    } catch (cause) {
      throw new StoreError(`Cannot open job database "${this.path}": ${errorMessage(cause)}`, {
        cause,
      });
    }
    try {
      migrate(db, this.path);
    } catch (error) {
      db.close();
      throw error;
    }
    return db;
  }

  #select(where: string): JobRecord[] {
    const rows = this.#db.prepare(`SELECT ${COLUMNS} FROM jobs WHERE ${where} ORDER BY seq`)
      .all() as unknown as Row[];
    return rows.map(toRecord);
  }
}

/** Brings `db` to SCHEMA_VERSION; refuses a file from a newer server. */
function migrate(db: DatabaseSync, path: string): void {
  const { user_version: version } = db.prepare("PRAGMA user_version").get() as {
    user_version: number;
  };
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      `Cannot open job database "${path}": schema version "${version}" is newer than "${SCHEMA_VERSION}"`,
    );
  }
  db.exec(SCHEMA_SQL);
  const columns = db.prepare("PRAGMA table_info(jobs)").all() as unknown as { name: string }[];
  const have = new Set(columns.map((c) => c.name));
  for (const [name, type] of Object.entries(ADDED_COLUMNS)) {
    if (!have.has(name)) db.exec(`ALTER TABLE jobs ADD COLUMN ${name} ${type}`);
  }
  db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
}

function toRecord(row: Row): JobRecord {
  const record: JobRecord = {
    id: row.id,
    request: JSON.parse(row.request),
    model: row.model,
    createdAt: row.created_at,
    completedAt: row.completed_at,
    state: JSON.parse(row.state),
    files: row.files ? JSON.parse(row.files) : null,
  };
  if (row.owner !== null) record.owner = row.owner;
  if (row.remix_of !== null) record.remixOf = row.remix_of;
  if (row.client_id !== null) record.clientId = row.client_id;
  return record;
}

/** Byte size of each output file; -1 for one that is missing. */
function sizesOf(files: GenerationOutputs): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const [key, path] of Object.entries(files)) {
    try {
      sizes[key] = statSync(path).size;
    } catch {
      sizes[key] = -1;
    }
  }
  return sizes;
}
