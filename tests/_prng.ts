/**
 * A seeded PRNG (mulberry32) and pickers for fuzz tests: the same seed gives the
 * same inputs, so a failure found in CI replays exactly on a laptop.
 */

/** A generator of floats in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Helpers over one generator. */
export class Rand {
  readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }

  /** A whole number in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array<ArrayBuffer> {
    return Uint8Array.from({ length: n }, () => this.int(256));
  }

  /** A string of `n` UTF-16 units drawn from the whole BMP (lone surrogates included). */
  units(n: number): string {
    return String.fromCharCode(...Array.from({ length: n }, () => this.int(0x10000)));
  }
}
