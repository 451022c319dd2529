/**
 * An ODE with an exact solution, for testing samplers: the probability-flow ODE of
 * rectified flow when the data is Gaussian, `x0 ~ N(mu, s^2)` per element. With
 * `x_t = (1 - t) x0 + t noise` the marginal at t is `N((1 - t) mu, (1 - t)^2 s^2 + t^2)`
 * and the ODE moves the standardized value unchanged, so from `x(1)` the exact end is
 * `x(0) = mu + s x(1)`. The velocity is
 *   `v(x, t) = -mu + (t - (1 - t) s^2) / std_t^2 * (x - (1 - t) mu)`,
 * which is nonlinear in t, so Euler's error shrinks only linearly with the step.
 */

/** Per-element data means and standard deviations. */
export interface GaussianData {
  mu: Float32Array;
  s: Float32Array;
}

/** The exact velocity field of the data at time `t`, written into a new array. */
export function gaussianVelocity(data: GaussianData, x: Float32Array, t: number): Float32Array {
  const v = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const mu = data.mu[i % data.mu.length]!, s = data.s[i % data.s.length]!;
    const variance = (1 - t) ** 2 * s * s + t * t;
    v[i] = -mu + ((t - (1 - t) * s * s) / variance) * (x[i]! - (1 - t) * mu);
  }
  return v;
}

/** Where the exact ODE started at `x` at time `from` is at time `to`. */
export function gaussianTransport(
  data: GaussianData,
  x: Float32Array,
  from: number,
  to: number,
): Float32Array {
  return x.map((value, i) => {
    const mu = data.mu[i % data.mu.length]!, s = data.s[i % data.s.length]!;
    const std = (t: number) => Math.sqrt((1 - t) ** 2 * s * s + t * t);
    return (1 - to) * mu + (std(to) / std(from)) * (value - (1 - from) * mu);
  });
}

/** Where the exact ODE ends (t = 0) when it starts at `noise` (t = 1). */
export function gaussianEnd(data: GaussianData, noise: Float32Array): Float32Array {
  return gaussianTransport(data, noise, 1, 0);
}
