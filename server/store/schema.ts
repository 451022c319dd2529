/**
 * The job table. One row per job, written before the job is acknowledged; the
 * request column holds the resolved request (seed included), which is all a
 * restart needs to run the job again. `files` is set only once every output was
 * renamed into place, with the byte sizes seen then, so a restart can tell a whole
 * file from a missing or truncated one.
 */

/**
 * Bumped when the table changes shape; a newer file is refused, not guessed at.
 * 2: `client_id`, so a generate retried after a restart finds its job.
 * 3: `crashes`, so only runs that ended in a crash count against the retry cap.
 */
export const SCHEMA_VERSION = 3;

/** Creates the table if absent. `STRICT` makes SQLite refuse a wrongly typed value. */
export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS jobs (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT, -- creation order, for paging
  id           TEXT NOT NULL UNIQUE,              -- video_<24 hex>
  owner        TEXT,                              -- API key owner; NULL: no keys
  remix_of     TEXT,
  client_id    TEXT,                              -- WS generate's clientId, scoped by owner
  model        TEXT NOT NULL,
  request      TEXT NOT NULL,                     -- resolved GenerationRequest, JSON
  status       TEXT NOT NULL,                     -- queued|running|done|cancelled|failed
  state        TEXT NOT NULL,                     -- JobState, JSON
  files        TEXT,                              -- GenerationOutputs, JSON; NULL until complete
  file_sizes   TEXT,                              -- byte size per output, JSON
  attempt      INTEGER NOT NULL DEFAULT 1,        -- runs so far; a restart adds one
  crashes      INTEGER NOT NULL DEFAULT 0,        -- runs the process died in (left running)
  created_at   INTEGER NOT NULL,                  -- ms since the epoch
  completed_at INTEGER,
  updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status);
CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs (owner, seq);
`;

/**
 * Columns added since version 1, with their types. A file from an older server
 * lacks them (CREATE TABLE IF NOT EXISTS leaves its table as it is), so opening
 * adds each one missing; older rows read its default there (NULL, or 0 crashes).
 */
export const ADDED_COLUMNS: Readonly<Record<string, string>> = {
  client_id: "TEXT",
  crashes: "INTEGER NOT NULL DEFAULT 0",
};
