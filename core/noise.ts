/**
 * Seeded Gaussian noise, so a request with the same seed gives the same clip on any
 * machine and any batch composition.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 32-bit,
 * passes PractRand to 2^36+ bytes) seeded through splitmix32, so nearby seeds (1, 2, 3)
 * give unrelated streams. Gaussians come from the Box-Muller transform, two per pair of
 * uniforms, in order: `z0 = r cos(2 pi u2)`, `z1 = r sin(2 pi u2)` with
 * `r = sqrt(-2 ln u1)` and `u1` in (0, 1]. A job's noise is one stream: all video
 * latent values first (C, T, H, W order), then all audio values (C, T order).
 */

/** splitmix32: spreads a 32-bit seed over the generator state. */
function splitmix32(state: number): () => number {
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A deterministic source of uniform numbers in [0, 1) (sfc32). */
export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    const mix = splitmix32(seed >>> 0);
    this.#a = mix();
    this.#b = mix();
    this.#c = mix();
    this.#d = mix();
    // sfc32 needs a few rounds before its output is well mixed.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** The next raw 32-bit output. */
  nextUint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }
}

/**
 * Fills a new array with `n` standard normal samples drawn from `seed`.
 *
 * @example
 * const noise = gaussianNoise(42, 1536 + 400); // video values, then audio values
 */
export function gaussianNoise(seed: number, n: number): Float32Array {
  const random = new SeededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - random.next(); // (0, 1]: log(0) never happens
    const u2 = random.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
