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
}

/** Records jobs by id. */
export interface JobStore {
  save(record: JobRecord): void;
  get(id: string): JobRecord | undefined;
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
}
