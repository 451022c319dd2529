/**
 * A job's state as a fold over its lifecycle events. The same fold serves the live
 * state, the REST resource and the snapshot a resuming client gets once the events
 * it missed have left the bounded log.
 */
import type { JobEvent, JobStatus, OutputUrls } from "../../client/protocol.ts";

/** What a job's events add up to. */
export interface JobState {
  status: JobStatus;
  /** Steps finished so far. */
  step: number;
  steps: number;
  sigma: number;
  /** Seq of the last event folded in. */
  seq: number;
  outputs?: OutputUrls;
  error?: { code: string; message: string };
}

/** The state before any event. */
export function initialState(steps: number): JobState {
  return { status: "queued", step: 0, steps, sigma: 1, seq: 0 };
}

/** The state after `event`; pure, so replays fold to the same answer. */
export function applyEvent(state: JobState, event: JobEvent): JobState {
  const next = { ...state, seq: event.seq };
  switch (event.type) {
    case "started":
      return { ...next, status: "running" };
    case "step":
      // `i` is 1-based: step i of n is done.
      return { ...next, status: "running", step: event.i, steps: event.n, sigma: event.sigma };
    case "done":
      return { ...next, status: "done", step: next.steps, sigma: 0, outputs: event.outputs };
    case "cancelled":
      return { ...next, status: "cancelled" };
    case "failed":
      return { ...next, status: "failed", error: { code: event.code, message: event.message } };
    default:
      return next;
  }
}

/** Whether no event can follow. */
export function isTerminal(status: JobStatus): boolean {
  return status === "done" || status === "cancelled" || status === "failed";
}
