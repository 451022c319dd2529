/**
 * How far a bench ratio can be trusted (bench helper). The ratios come from a few
 * interleaved runs on a shared VM, where one reading of the same code swings by ±0.05
 * or more; an interval beside each says whether a target was met or merely touched.
 * Percentile bootstrap over the runs: they are resampled with replacement, pair by
 * pair (an "on" run and the "off" run interleaved with it share their moment's
 * background load), and the ratio is taken again each time.
 */
import { mulberry32 } from "../_prng.ts";
import { median } from "./_table.ts";

/**
 * The central `level` interval of `statistic` over `draws` resamplings of `n` runs
 * (`statistic` gets the picked run indices). Seeded, so a reprint gives the same.
 */
export function bootstrapInterval(
  n: number,
  statistic: (picked: number[]) => number,
  { level = 0.95, draws = 2000, seed = 1 } = {},
): [number, number] {
  if (n === 0) throw new Error("bootstrapInterval needs at least one run");
  const random = mulberry32(seed);
  const values = Array.from(
    { length: draws },
    () => statistic(Array.from({ length: n }, () => Math.floor(random() * n))),
  ).sort((x, y) => x - y);
  const tail = (1 - level) / 2;
  return [values[Math.floor(tail * (draws - 1))]!, values[Math.ceil((1 - tail) * (draws - 1))]!];
}

/** The interval of median(a) / median(b) over the pairs (a[i], b[i]). */
export function ratioInterval(a: readonly number[], b: readonly number[]): [number, number] {
  if (a.length !== b.length) {
    throw new Error(`ratioInterval needs pairs: got ${a.length} and ${b.length} values`);
  }
  return bootstrapInterval(
    a.length,
    (picked) => median(picked.map((i) => a[i]!)) / median(picked.map((i) => b[i]!)),
  );
}

/** The interval of the median of `values`. */
export function medianInterval(values: readonly number[]): [number, number] {
  return bootstrapInterval(values.length, (picked) => median(picked.map((i) => values[i]!)));
}

/** "1.12-1.31", for a table cell. */
export function formatInterval([low, high]: [number, number]): string {
  return `${low.toFixed(2)}-${high.toFixed(2)}`;
}
