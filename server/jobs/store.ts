/**
 * Where finished and running jobs are recorded for the REST resource. In memory
 * for now; the durability issue swaps in an embedded database behind the same
 * interface, so every state change already passes through `save`.
 */
import type { GenerationOutputs, GenerationRequest } from "../../core/types.ts";
import type { JobState } from "./state.ts";

/** What the server remembers about one generation. */
export interface JobRecord {
  id: string;
  request: GenerationRequest;
  model: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  completedAt: number | null;
  state: JobState;
  /** Absolute paths, set once the files are complete. */
  files: GenerationOutputs | null;
  /** Who created it (an API key's owner id); absent when the server has no keys. */
  owner?: string;
  /** The video this one remixes (REST remix). */
  remixOf?: string;
  /** The client's idempotency key (WS generate), scoped by `owner`; kept so a restart keeps it. */
  clientId?: string;
}

/** A page request of {@linkcode JobStore.list}, newest first unless `order` is "asc". */
export interface ListQuery {
  /** Only this owner's jobs; undefined lists the records with no owner. */
  owner: string | undefined;
  limit: number;
  /** Start after this id (a cursor from the previous page). */
  after?: string;
  order: "asc" | "desc";
}

/** One page of records. */
export interface ListPage {
  data: JobRecord[];
  hasMore: boolean;
}

/** Records jobs by id. */
export interface JobStore {
  save(record: JobRecord): void;
  get(id: string): JobRecord | undefined;
  /** One page of an owner's records by creation time. */
  list(query: ListQuery): ListPage;
  /** Forgets `id`; false when it was not known. */
  delete(id: string): boolean;
}

/**
 * The page of `records` (in creation order) that `query` asks for: the one
 * paging rule every store shares, so cursors mean the same everywhere.
 */
export function pageOf(records: Iterable<JobRecord>, query: ListQuery): ListPage {
  const mine = [...records].filter((r) => r.owner === query.owner);
  if (query.order === "desc") mine.reverse();
  const start = query.after === undefined ? 0 : mine.findIndex((r) => r.id === query.after) + 1;
  // A cursor that is gone (deleted, or never this owner's) ends the walk rather
  // than restarting it, so a client paging with it cannot loop.
  if (query.after !== undefined && start === 0) return { data: [], hasMore: false };
  const data = mine.slice(start, start + query.limit);
  return { data, hasMore: start + query.limit < mine.length };
}

/** A JobStore in a Map; lost on restart. */
export class MemoryJobStore implements JobStore {
  #records = new Map<string, JobRecord>();

  save(record: JobRecord): void {
    this.#records.set(record.id, record);
  }

  get(id: string): JobRecord | undefined {
    return this.#records.get(id);
  }

  list(query: ListQuery): ListPage {
    // A Map iterates in insertion order, which is creation order: save() of an
    // existing id keeps its place.
    return pageOf(this.#records.values(), query);
  }

  delete(id: string): boolean {
    return this.#records.delete(id);
  }
}
