/** Measures a scheduler's error on the Gaussian-flow ODE (test helper). */
import { gaussianTransport, gaussianVelocity } from "../_testing/gaussian_flow.ts";
import type { Scheduler } from "./scheduler.ts";
import { sigmaSchedule } from "./sigmas.ts";
import { solve } from "./_solve.ts";

const data = {
  mu: Float32Array.from([0.8, -1.2, 0.1, 2.0]),
  s: Float32Array.from([0.3, 0.5, 0.8, 1.5]),
};
const start = Float32Array.from([1.3, -0.4, 0.7, -2.1, 0.2, 1.1, -0.9, 0.05]);

/** Max abs error against the exact solution after walking `sigmas`. */
export function scheduleError(scheduler: Scheduler, sigmas: Float64Array): number {
  const from = sigmas[0]!, to = sigmas[sigmas.length - 1]!;
  const exact = gaussianTransport(data, start, from, to);
  const x = solve(
    scheduler,
    sigmas,
    Float32Array.from(start),
    (x, t) => gaussianVelocity(data, x, t),
  );
  return Math.max(...x.map((v, i) => Math.abs(v - exact[i]!)));
}

/** Error of the full shifted schedule, noise (1) to clean (0). */
export function endError(scheduler: Scheduler, steps: number, k: number): number {
  return scheduleError(scheduler, sigmaSchedule(steps, k));
}

/**
 * Error of `steps` even steps from 0.9 to 0.1. Away from the ends the step in
 * lambda = log((1 - s) / s) shrinks with 1 / steps, so the asymptotic order is clean;
 * at s = 0 and s = 1 lambda is infinite and the last steps cost a log factor.
 */
export function interiorError(scheduler: Scheduler, steps: number): number {
  const sigmas = new Float64Array(steps + 1).map((_, i) => 0.9 - (0.8 * i) / steps);
  return scheduleError(scheduler, sigmas);
}
