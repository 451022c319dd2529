/**
 * Per-frame segmentation: the background color, the foreground mask and its
 * connected components. Thresholds are relative to the palette and the image
 * size so that blurred, noisy generated frames segment like the flat ground truth.
 */
import { colorDistance, COLORS, type Rgb } from "./world.ts";

/** One connected region of foreground pixels. Coordinates are pixel indices. */
export interface Region {
  /** Label in the frame's label map (1-based). */
  label: number;
  area: number;
  /** Centroid. */
  cx: number;
  cy: number;
  /** Inclusive bounding box. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A segmented frame. */
export interface Segmentation {
  /** Per-channel median of the border pixels. */
  background: Rgb;
  /** Label per pixel, (H, W); 0 is background or a speck. */
  labels: Int32Array;
  /** Regions bigger than a speck, largest first. */
  regions: Region[];
}

/**
 * Segments one (H, W, 3) frame. The background is read off the border, which the
 * shape only grazes at wall hits; a pixel is foreground when it is farther from
 * the background than half the gap to the nearest shape color (so a desaturated or
 * blurred shape still counts, but noise of a few tens of levels does not).
 */
export function segmentFrame(frame: Uint8Array, width: number, height: number): Segmentation {
  const background = borderMedian(frame, width, height);
  let gap = Infinity;
  for (const color of Object.values(COLORS)) gap = Math.min(gap, colorDistance(background, color));
  const threshold = Math.min(0.5 * gap, 80) ** 2;
  const [r, g, b] = background;
  const mask = new Uint8Array(width * height);
  for (let p = 0; p < mask.length; p++) {
    const dr = frame[3 * p]! - r, dg = frame[3 * p + 1]! - g, db = frame[3 * p + 2]! - b;
    mask[p] = dr * dr + dg * dg + db * db > threshold ? 1 : 0;
  }
  // The smallest world shape (a small triangle) covers ~0.029 min(W,H)^2 pixels, so
  // a tenth of that is noise, not an object.
  const minArea = Math.max(3, 0.003 * Math.min(width, height) ** 2);
  return { background, ...components(mask, width, height, minArea) };
}

/** Per-channel median of the frame's border pixels. */
function borderMedian(frame: Uint8Array, width: number, height: number): Rgb {
  const histograms = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
  let count = 0;
  const add = (x: number, y: number) => {
    const p = 3 * (y * width + x);
    for (let c = 0; c < 3; c++) histograms[c]![frame[p + c]!]!++;
    count++;
  };
  for (let x = 0; x < width; x++) [add(x, 0), add(x, height - 1)];
  for (let y = 1; y < height - 1; y++) [add(0, y), add(width - 1, y)];
  return histograms.map((h) => histogramMedian(h, count)) as unknown as Rgb;
}

/** The median value of a 256-bin histogram holding `count` values. */
export function histogramMedian(histogram: Uint32Array, count: number): number {
  let seen = 0;
  for (let v = 0; v < histogram.length; v++) {
    seen += histogram[v]!;
    if (2 * seen >= count) return v;
  }
  return histogram.length - 1;
}

/** 8-connected components of `mask`; those under `minArea` pixels are dropped. */
function components(mask: Uint8Array, width: number, height: number, minArea: number) {
  const labels = new Int32Array(mask.length);
  const regions: Region[] = [];
  const stack = new Int32Array(mask.length);
  let next = 1;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    const label = next++;
    const pixels: number[] = [];
    let top = 0;
    stack[top++] = start;
    labels[start] = label;
    while (top > 0) {
      const p = stack[--top]!;
      pixels.push(p);
      const x = p % width, y = (p - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx, ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const q = ny * width + nx;
          if (mask[q] && !labels[q]) [labels[q] = label, stack[top++] = q];
        }
      }
    }
    if (pixels.length < minArea) {
      for (const p of pixels) labels[p] = 0;
      continue;
    }
    regions.push(describe(label, pixels, width));
  }
  return { labels, regions: regions.sort((a, b) => b.area - a.area) };
}

function describe(label: number, pixels: number[], width: number): Region {
  let sx = 0, sy = 0, x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
  for (const p of pixels) {
    const x = p % width, y = (p - x) / width;
    sx += x, sy += y;
    x0 = Math.min(x0, x), y0 = Math.min(y0, y), x1 = Math.max(x1, x), y1 = Math.max(y1, y);
  }
  const area = pixels.length;
  return { label, area, cx: sx / area, cy: sy / area, x0, y0, x1, y1 };
}
