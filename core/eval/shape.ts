/**
 * Shape and size measures that survive blur and noise. A binary mask's bounding
 * box grows by a ragged pixel on each side under noise, which turns squares into
 * circles by fill ratio; soft coverage sums do not: blur moves coverage around but
 * keeps its totals, so areas and column maxima stay put.
 */
import type { Region } from "./segment.ts";
import type { Rgb } from "./world.ts";

/** Blur-robust measures of one object in one frame. */
export interface ShapeMeasures {
  /** Sum of coverage: the object's area in pixels. */
  area: number;
  /**
   * Tallest column x widest row / area: 1 for a square, 4/pi for a disc, 2 for a
   * triangle (base 2r, height 2r, area 2r^2).
   */
  boxiness: number;
  /**
   * Skewness of the object's mass along y: 0 for shapes symmetric top to bottom,
   * -0.57 for a triangle with apex up (its rows widen linearly downward).
   */
  skew: number;
}

/** Coverage under this is background noise, not a soft edge. */
const NOISE_FLOOR = 0.2;

/**
 * Measures `region` in an (H, W, 3) frame from each pixel's coverage: its position
 * between the background and the object's color, clamped to [0, 1]. Looks 2 px
 * beyond the region's box, where blurred edges fade out.
 */
export function measureShape(
  frame: Uint8Array,
  width: number,
  height: number,
  region: Region,
  background: Rgb,
  color: Rgb,
): ShapeMeasures {
  const axis = [0, 1, 2].map((c) => color[c]! - background[c]!);
  const norm = axis.reduce((sum, v) => sum + v * v, 0) || 1;
  const x0 = Math.max(0, region.x0 - 2), x1 = Math.min(width - 1, region.x1 + 2);
  const y0 = Math.max(0, region.y0 - 2), y1 = Math.min(height - 1, region.y1 + 2);
  const columns = new Float64Array(x1 - x0 + 1);
  const rows = new Float64Array(y1 - y0 + 1);
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const p = 3 * (y * width + x);
      let dot = 0;
      for (let c = 0; c < 3; c++) dot += (frame[p + c]! - background[c]!) * axis[c]!;
      const coverage = Math.min(1, dot / norm);
      if (coverage < NOISE_FLOOR) continue;
      columns[x - x0]! += coverage;
      rows[y - y0]! += coverage;
    }
  }
  const area = rows.reduce((a, b) => a + b, 0);
  if (area === 0) return { area: 0, boxiness: NaN, skew: NaN };
  const moment = (k: number, mean: number) =>
    rows.reduce((sum, w, i) => sum + w * (i - mean) ** k, 0) / area;
  const mean = moment(1, 0);
  const sigma = Math.sqrt(moment(2, mean));
  return {
    area,
    boxiness: Math.max(...columns) * Math.max(...rows) / area,
    skew: sigma > 0 ? moment(3, mean) / sigma ** 3 : 0,
  };
}
