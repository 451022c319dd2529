/**
 * The numbers of the synthetic world that the scorer needs, copied from
 * models/WORLD.md (the contract with models/world.py). Keep both in step.
 */

/** An RGB triple, 0..255 per channel. */
export type Rgb = readonly [number, number, number];

/** Background colors by name. */
export const BACKGROUNDS: Readonly<Record<string, Rgb>> = {
  black: [15, 15, 15],
  white: [240, 240, 240],
  gray: [128, 128, 128],
  brown: [110, 70, 40],
};

/** Shape colors by name. */
export const COLORS: Readonly<Record<string, Rgb>> = {
  red: [220, 40, 40],
  orange: [245, 140, 20],
  yellow: [235, 220, 40],
  green: [40, 180, 60],
  blue: [40, 80, 230],
  purple: [150, 60, 200],
};

/** Shape radius as a fraction of min(W, H). */
export const SIZE_FRACTION = { small: 0.12, large: 0.2 } as const;

/** Tone frequencies in Hz; `none` is silence. */
export const PITCH_HZ = { low: 250, high: 1500 } as const;

/** The six attributes a prompt names, each a word of the world. */
export interface Attributes {
  shape: string;
  color: string;
  size: string;
  background: string;
  motion: string;
  pitch: string;
}

/** Attribute names in table order. */
export const ATTRIBUTE_NAMES = [
  "color",
  "shape",
  "size",
  "background",
  "pitch",
  "motion",
] as const satisfies readonly (keyof Attributes)[];

/** The attributes that do not change over a clip: adherence is measured on these. */
export const STATIC_ATTRIBUTES = ATTRIBUTE_NAMES.filter((name) => name !== "motion");

/** Euclidean distance between two colors. */
export function colorDistance(a: Rgb, b: Rgb): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** The palette entry nearest to `rgb`, by name. */
export function nearestColor(rgb: Rgb, palette: Readonly<Record<string, Rgb>>): string {
  let best = "";
  let bestDistance = Infinity;
  for (const [name, value] of Object.entries(palette)) {
    const distance = colorDistance(rgb, value);
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}
