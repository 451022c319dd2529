/**
 * What every scheduler is: a pure function from (x, v, sigma, sigmaNext, history) to
 * the next x, the predicted clean sample x0 and the history for the next step. No
 * counters live inside a scheduler, so one instance serves every job, and restarting a
 * multistep solver (after a steer) is passing `history: null`.
 */
import type { SchedulerKind } from "../types.ts";

/** What a multistep solver remembers from the previous step. */
export interface SolverHistory {
  /** The clean-sample prediction of the previous step. */
  readonly x0: Float32Array;
  /** The sigma that prediction was made at. */
  readonly sigma: number;
}

/** The input of one step. Arrays are read, never written. */
export interface StepInput {
  x: Float32Array;
  /** The (guided) velocity `noise - x0` predicted at `sigma`. */
  v: Float32Array;
  sigma: number;
  sigmaNext: number;
  /** `null` on the first step and after a restart. */
  history: SolverHistory | null;
}

/** The output of one step; all arrays are new. */
export interface StepResult {
  x: Float32Array;
  /** `x - sigma v`: what the previews decode. */
  x0: Float32Array;
  history: SolverHistory | null;
}

/** A flow-matching sampler step. */
export interface Scheduler {
  readonly kind: SchedulerKind;
  step(input: StepInput): StepResult;
}

/** `x0 = x - sigma v`, the clean sample implied by a velocity prediction. */
export function predictX0(x: Float32Array, v: Float32Array, sigma: number): Float32Array {
  const x0 = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) x0[i] = x[i]! - sigma * v[i]!;
  return x0;
}
