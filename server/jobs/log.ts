/**
 * The bounded per-job event log that resume replays from. Media never enters it
 * (only the latest preview is kept, by the job); lifecycle events do, up to a cap,
 * and what falls out is folded into a base state so a late client still gets a
 * consistent story: snapshot (the base) + the retained events.
 */
import type { JobEvent } from "../../client/protocol.ts";
import { applyEvent, type JobState } from "./state.ts";

/** An event with its JSON text, serialized once for every subscriber. */
export interface LoggedEvent {
  event: JobEvent;
  text: string;
}

/** What a resuming client needs: maybe a snapshot, then events in order. */
export interface Replay {
  snapshot: JobState | null;
  events: LoggedEvent[];
}

/** A ring of the last `capacity` lifecycle events. */
export class EventLog {
  #events: LoggedEvent[] = [];
  #base: JobState;

  constructor(readonly capacity: number, initial: JobState) {
    if (capacity < 1) throw new RangeError(`Cannot create event log: capacity "${capacity}" < 1`);
    this.#base = initial;
  }

  /** Appends; the oldest event folds into the base state when the log is full. */
  append(entry: LoggedEvent): void {
    this.#events.push(entry);
    if (this.#events.length > this.capacity) {
      this.#base = applyEvent(this.#base, this.#events.shift()!.event);
    }
  }

  /** Events after `lastSeq`, preceded by the base state when some were evicted. */
  since(lastSeq: number): Replay {
    const evicted = this.#base.seq > 0 && lastSeq < this.#base.seq;
    return {
      snapshot: evicted ? this.#base : null,
      events: this.#events.filter((e) => e.event.seq > lastSeq),
    };
  }
}
