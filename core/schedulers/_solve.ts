/** Runs a scheduler over a whole schedule against a velocity field (test helper). */
import type { Scheduler, SolverHistory } from "./scheduler.ts";

/** Integrates from `sigmas[0]` to the last sigma; returns the final x. */
export function solve(
  scheduler: Scheduler,
  sigmas: Float64Array,
  x: Float32Array,
  velocity: (x: Float32Array, sigma: number) => Float32Array,
): Float32Array {
  let history: SolverHistory | null = null;
  for (let i = 0; i + 1 < sigmas.length; i++) {
    const sigma = sigmas[i]!;
    const out = scheduler.step({
      x,
      v: velocity(x, sigma),
      sigma,
      sigmaNext: sigmas[i + 1]!,
      history,
    });
    x = out.x;
    history = out.history;
  }
  return x;
}
