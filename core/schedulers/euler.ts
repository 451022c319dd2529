/** Flow-matching Euler: first order, one model call per step. */
import { predictX0, type Scheduler, type StepInput, type StepResult } from "./scheduler.ts";

/** `x <- x + (sigmaNext - sigma) v` (models/PACK.md, "Flow matching"). */
export const euler: Scheduler = {
  kind: "euler",
  step({ x, v, sigma, sigmaNext }: StepInput): StepResult {
    const dt = sigmaNext - sigma;
    const next = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) next[i] = x[i]! + dt * v[i]!;
    return { x: next, x0: predictX0(x, v, sigma), history: null };
  },
};
