/**
 * DPM-Solver++ 2M (Lu et al. 2022, arXiv:2211.01095, Algorithm 2) in flow-matching
 * form, as diffusers' DPMSolverMultistepScheduler runs it for Wan and SD3.
 *
 * With `alpha = 1 - sigma` and `lambda = log(alpha / sigma)` the data-prediction update
 * from sigma to sigmaNext is
 *   `x' = (sigmaNext / sigma) x + (alphaNext - alpha sigmaNext / sigma) D`
 * (the closed form of `-alphaNext (e^-h - 1) D`, written without lambda so sigma = 1,
 * where lambda is -inf, needs no special case). First order, `D = x0`, this is exactly
 * Euler. Second order, `D = (1 + 1/(2r)) x0 - 1/(2r) x0_prev` with `r = h_prev / h`.
 * It falls back to first order on the first step, after a restart, right after
 * sigma = 1 (h_prev infinite) and on the last step to sigma = 0 (diffusers'
 * `lower_order_final`, which keeps few-step sampling stable).
 */
import { predictX0, type Scheduler, type StepInput, type StepResult } from "./scheduler.ts";

function lambda(sigma: number): number {
  return Math.log((1 - sigma) / sigma);
}

/** The multistep second-order solver; pass its `history` back on the next step. */
export const dpmpp2m: Scheduler = {
  kind: "dpmpp2m",
  step({ x, v, sigma, sigmaNext, history }: StepInput): StepResult {
    const x0 = predictX0(x, v, sigma);
    if (sigmaNext <= 0) return { x: x0.slice(), x0, history: null };

    let d = x0;
    if (history !== null && history.sigma < 1 && sigma < 1) {
      const h = lambda(sigmaNext) - lambda(sigma);
      const hPrev = lambda(sigma) - lambda(history.sigma);
      const c = h / (2 * hPrev); // 1 / (2r)
      d = new Float32Array(x.length);
      for (let i = 0; i < x.length; i++) d[i] = (1 + c) * x0[i]! - c * history.x0[i]!;
    }

    const ratio = sigmaNext / sigma;
    const coef = 1 - sigmaNext - (1 - sigma) * ratio;
    const next = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) next[i] = ratio * x[i]! + coef * d[i]!;
    return { x: next, x0, history: { x0, sigma } };
  },
};
