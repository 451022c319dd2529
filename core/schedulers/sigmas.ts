/**
 * The sigma schedule shared by every scheduler: `steps + 1` values from 1 (pure
 * noise) down to exactly 0 (clean), evenly spaced in t and then shifted.
 *
 * Shift `k` moves steps toward high noise, where a flow model decides the layout:
 * `s' = k s / (1 + (k - 1) s)` (SD3 / diffusers FlowMatchEulerDiscrete). Dynamic shift
 * picks `k = exp(mu)` with `mu` linear in the token count (diffusers
 * `use_dynamic_shifting`, Flux `calculate_shift`): bigger clips are shifted more
 * because more tokens carry more redundant signal at the same noise level.
 */

/** Applies the time shift `k s / (1 + (k - 1) s)` to one sigma in [0, 1]. */
export function shiftSigma(sigma: number, k: number): number {
  return (k * sigma) / (1 + (k - 1) * sigma);
}

/** The linear map from token count to `mu` used by dynamic shift. */
export interface DynamicShiftConfig {
  /** Token count at which `mu = baseMu`. */
  baseTokens: number;
  /** Token count at which `mu = maxMu`. */
  maxTokens: number;
  baseMu: number;
  maxMu: number;
}

/** diffusers' FlowMatchEulerDiscreteScheduler defaults (Flux / SD3.5). */
export const DIFFUSERS_DYNAMIC_SHIFT: DynamicShiftConfig = {
  baseTokens: 256,
  maxTokens: 4096,
  baseMu: 0.5,
  maxMu: 1.15,
};

/** How the schedule is shifted: a fixed `k`, or `k` from the token count. */
export type ShiftMode =
  | { kind: "static"; shift: number }
  | { kind: "dynamic"; config: DynamicShiftConfig };

/**
 * The shift `k = exp(mu)` for a clip of `tokens` tokens (video cubes + audio tokens).
 * `mu` is extrapolated linearly outside [baseTokens, maxTokens], as diffusers does.
 */
export function dynamicShift(tokens: number, config: DynamicShiftConfig): number {
  const slope = (config.maxMu - config.baseMu) / (config.maxTokens - config.baseTokens);
  const mu = config.baseMu + slope * (tokens - config.baseTokens);
  return Math.exp(mu);
}

/** Resolves a shift mode to the `k` used for a clip of `tokens` tokens. */
export function shiftFor(mode: ShiftMode, tokens: number): number {
  return mode.kind === "static" ? mode.shift : dynamicShift(tokens, mode.config);
}

/**
 * The sigmas a sampler visits: `sigmas[0] = 1`, `sigmas[steps] = 0`, shifted by `k`.
 *
 * @example
 * sigmaSchedule(4, 1); // Float64Array [1, 0.75, 0.5, 0.25, 0]
 */
export function sigmaSchedule(steps: number, k: number): Float64Array {
  const sigmas = new Float64Array(steps + 1);
  for (let i = 0; i <= steps; i++) sigmas[i] = shiftSigma(1 - i / steps, k);
  return sigmas;
}
