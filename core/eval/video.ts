/**
 * The static visual attributes of a clip (background, color, shape, size) and the
 * per-frame object track that motion, wall hits and persistence are read from.
 */
import { frameAt, frameCount } from "./clip.ts";
import type { Clip } from "./clip.ts";
import { median } from "./_stats.ts";
import { histogramMedian, type Region, segmentFrame } from "./segment.ts";
import { measureShape, type ShapeMeasures } from "./shape.ts";
import {
  BACKGROUNDS,
  colorDistance,
  COLORS,
  nearestColor,
  type Rgb,
  SIZE_FRACTION,
} from "./world.ts";

/** What the frames show, before any comparison with the prompt. */
export interface VideoAnalysis {
  background: string;
  /** `none` for these three when no frame shows an object. */
  color: string;
  shape: string;
  size: string;
  /** Number of objects (regions bigger than a speck) per frame. */
  objectCounts: number[];
  /** The largest object per frame, or null when the frame shows none. */
  track: (Region | null)[];
}

/** Segments every frame and reads the static attributes off the whole clip. */
export function analyzeVideo(clip: Clip): VideoAnalysis {
  const { width, height } = clip;
  const backgrounds: Rgb[] = [];
  const track: (Region | null)[] = [];
  const objectCounts: number[] = [];
  const measures: ShapeMeasures[] = [];
  const histograms = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
  let colorCount = 0;
  for (let t = 0; t < frameCount(clip); t++) {
    const frame = frameAt(clip, t);
    const { background, labels, regions } = segmentFrame(frame, width, height);
    backgrounds.push(background);
    objectCounts.push(regions.length);
    const object = regions[0] ?? null;
    track.push(object);
    if (!object) continue;
    const pixels = corePixels(frame, labels, object, width, background);
    const sum = [0, 0, 0];
    for (const p of pixels) {
      for (let c = 0; c < 3; c++) {
        histograms[c]![frame[3 * p + c]!]!++;
        sum[c]! += frame[3 * p + c]!;
      }
    }
    colorCount += pixels.length;
    // Shape and size only where the largest region is surely the one object.
    if (regions.length !== 1) continue;
    const color = sum.map((s) => s / pixels.length) as unknown as Rgb;
    measures.push(measureShape(frame, width, height, object, background, color));
  }
  const background = nearestColor(
    [0, 1, 2].map((c) => median(backgrounds.map((b) => b[c]!))) as unknown as Rgb,
    BACKGROUNDS,
  );
  const color = colorCount === 0 ? "none" : nearestColor(
    histograms.map((h) => histogramMedian(h, colorCount)) as unknown as Rgb,
    COLORS,
  );
  const shape = classifyShape(measures);
  return {
    background,
    color,
    shape,
    size: classifySize(measures, shape, Math.min(width, height)),
    objectCounts,
    track,
  };
}

/**
 * Triangle when the mass leans down (skew) or the shape fills half its box,
 * otherwise square or disc by boxiness (1 vs 4/pi, split at their geometric mean).
 */
export function classifyShape(measures: readonly ShapeMeasures[]): string {
  if (measures.length === 0) return "none";
  const boxiness = median(measures.map((m) => m.boxiness));
  const skew = median(measures.map((m) => m.skew));
  if (Math.abs(skew) > 0.25 || boxiness > 1.6) return "triangle";
  return boxiness < Math.sqrt(4 / Math.PI) ? "square" : "circle";
}

/** Area of a shape of radius 1: the scale that turns an area back into a radius. */
const UNIT_AREA: Record<string, number> = { circle: Math.PI, square: 4, triangle: 2 };

/** Small or large from the radius the median area implies, relative to min(W, H). */
function classifySize(measures: readonly ShapeMeasures[], shape: string, size: number): string {
  if (measures.length === 0) return "none";
  const radius = Math.sqrt(median(measures.map((m) => m.area)) / (UNIT_AREA[shape] ?? Math.PI));
  // Split at the geometric mean of the two radii: equal ratio margin either way.
  const split = Math.sqrt(SIZE_FRACTION.small * SIZE_FRACTION.large);
  return radius / size > split ? "large" : "small";
}

/**
 * The pixels that show the object's own color: interior ones (all four neighbours
 * in the region), and of those the half farthest from the background, since blur
 * blends a small shape's middle with the background too.
 */
function corePixels(
  frame: Uint8Array,
  labels: Int32Array,
  region: Region,
  width: number,
  background: Rgb,
): number[] {
  const all: number[] = [];
  const inner: number[] = [];
  const same = (q: number) => labels[q] === region.label;
  for (let y = region.y0; y <= region.y1; y++) {
    for (let x = region.x0; x <= region.x1; x++) {
      const p = y * width + x;
      if (!same(p)) continue;
      all.push(p);
      const inside = x > region.x0 && x < region.x1 && y > region.y0 && y < region.y1;
      if (inside && same(p - 1) && same(p + 1) && same(p - width) && same(p + width)) inner.push(p);
    }
  }
  const pixels = inner.length > 0 ? inner : all;
  const distance = (p: number) =>
    colorDistance([frame[3 * p]!, frame[3 * p + 1]!, frame[3 * p + 2]!], background);
  const ranked = pixels.map((p) => [distance(p), p] as const).sort((a, b) => b[0] - a[0]);
  return ranked.slice(0, Math.ceil(ranked.length / 2)).map(([, p]) => p);
}
