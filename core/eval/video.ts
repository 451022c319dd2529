/**
 * The static visual attributes of a clip (background, color, shape, size) and the
 * per-frame object track that motion, wall hits and persistence are read from.
 */
import { frameAt, frameCount } from "./clip.ts";
import type { Clip } from "./clip.ts";
import { median } from "./_stats.ts";
import { histogramMedian, type Region, segmentFrame } from "./segment.ts";
import { BACKGROUNDS, COLORS, nearestColor, type Rgb, SIZE_FRACTION } from "./world.ts";

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
  const colorHistograms = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
  let colorCount = 0;
  for (let t = 0; t < frameCount(clip); t++) {
    const frame = frameAt(clip, t);
    const { background, labels, regions } = segmentFrame(frame, width, height);
    backgrounds.push(background);
    objectCounts.push(regions.length);
    const object = regions[0] ?? null;
    track.push(object);
    if (!object) continue;
    // Interior pixels only: edges of a blurred shape blend into the background.
    const pixels = interiorPixels(labels, object, width);
    for (const p of pixels) {
      for (let c = 0; c < 3; c++) colorHistograms[c]![frame[3 * p + c]!]!++;
    }
    colorCount += pixels.length;
  }
  const background = nearestColor(
    [0, 1, 2].map((c) => median(backgrounds.map((b) => b[c]!))) as unknown as Rgb,
    BACKGROUNDS,
  );
  const color = colorCount === 0 ? "none" : nearestColor(
    colorHistograms.map((h) => histogramMedian(h, colorCount)) as unknown as Rgb,
    COLORS,
  );
  // Shape and size from frames with exactly one object, where the largest region is it.
  const single = track.filter((r, t): r is Region => r !== null && objectCounts[t] === 1);
  const objects = single.length > 0 ? single : track.filter((r): r is Region => r !== null);
  const shape = classifyShape(objects);
  return {
    background,
    color,
    shape,
    size: classifySize(objects, shape, clip),
    objectCounts,
    track,
  };
}

/**
 * Circle, square or triangle from two measures that survive soft edges: how much of
 * its bounding box the mask fills (square 1, disc pi/4, triangle 1/2) and where the
 * centroid sits between top and bottom (a triangle with apex up sits at 2/3).
 */
export function classifyShape(objects: readonly Region[]): string {
  if (objects.length === 0) return "none";
  const fill = median(objects.map((r) => r.area / ((r.x1 - r.x0 + 1) * (r.y1 - r.y0 + 1))));
  const lean = median(objects.map((r) => r.y1 > r.y0 ? (r.cy - r.y0) / (r.y1 - r.y0) : 0.5));
  if (Math.abs(lean - 0.5) > 0.08 || fill < 0.62) return "triangle";
  return fill > 0.89 ? "square" : "circle";
}

/** Area of a shape of radius 1: the scale that turns an area back into a radius. */
const UNIT_AREA: Record<string, number> = { circle: Math.PI, square: 4, triangle: 2 };

/** Small or large from the radius the median area implies, relative to min(W, H). */
function classifySize(objects: readonly Region[], shape: string, clip: Clip): string {
  if (objects.length === 0) return "none";
  const radius = Math.sqrt(median(objects.map((r) => r.area)) / (UNIT_AREA[shape] ?? Math.PI));
  // Split at the geometric mean of the two radii: equal ratio margin either way.
  const split = Math.sqrt(SIZE_FRACTION.small * SIZE_FRACTION.large);
  return radius / Math.min(clip.width, clip.height) > split ? "large" : "small";
}

/** Pixels of `region` whose four neighbours belong to it too; all of it when none do. */
function interiorPixels(labels: Int32Array, region: Region, width: number): number[] {
  const all: number[] = [];
  const inner: number[] = [];
  for (let y = region.y0; y <= region.y1; y++) {
    for (let x = region.x0; x <= region.x1; x++) {
      const p = y * width + x;
      if (labels[p] !== region.label) continue;
      all.push(p);
      const same = (q: number) => labels[q] === region.label;
      if (
        x > region.x0 && x < region.x1 && y > region.y0 && y < region.y1 &&
        same(p - 1) && same(p + 1) && same(p - width) && same(p + width)
      ) inner.push(p);
    }
  }
  return inner.length > 0 ? inner : all;
}
