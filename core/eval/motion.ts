/**
 * Motion direction and visual wall hits from the object's centroid track.
 *
 * A hit is a turning point of the centroid along one axis: the world puts the
 * shape exactly on the wall at the hit frame and flips that velocity component
 * (models/world.py `trajectory`). Turning points come from a zigzag filter with a
 * minimum swing, so the jitter of a generated blob does not count as bounces.
 */
import type { Region } from "./segment.ts";

/** Motion and wall hits read off a track. */
export interface MotionAnalysis {
  /** left, right, up, down, bounce, still or none (no object at all). */
  motion: string;
  /** Frames of visual wall hits, sorted, one per frame even when both axes turn. */
  hits: number[];
}

type Axis = "x" | "y";

/** A local extreme of a track along one axis. */
export interface TurningPoint {
  index: number;
  kind: "min" | "max";
  /** True when the swings on both sides reach the minimum; false at the clip's ends. */
  interior: boolean;
}

/**
 * Classifies the motion of `track` (the object per frame, null where none) in a
 * `width` x `height` frame and lists the frames where it hits a wall.
 */
export function analyzeMotion(
  track: readonly (Region | null)[],
  width: number,
  height: number,
): MotionAnalysis {
  if (track.every((r) => r === null)) return { motion: "none", hits: [] };
  const size = Math.min(width, height);
  // 3.8 px at 64: above a generated blob's jitter, far below the >= 37 px a world
  // shape travels between two walls.
  const swing = 0.06 * size;
  const hits = new Set<number>();
  let bounced = false;
  const ranges = { x: 0, y: 0 };
  const nets = { x: 0, y: 0 };
  for (const axis of ["x", "y"] as const) {
    const values = fill(track.map((r) => r === null ? NaN : axis === "x" ? r.cx : r.cy));
    ranges[axis] = Math.max(...values) - Math.min(...values);
    nets[axis] = ends(values, "last") - ends(values, "first");
    for (const point of turningPoints(values, swing)) {
      bounced ||= point.interior;
      const region = track[point.index];
      if (point.interior || (region && isCutShortHit(point, values, region, axis, width, height))) {
        hits.add(point.index);
      }
    }
  }
  const major: Axis = ranges.x >= ranges.y ? "x" : "y";
  const minor: Axis = major === "x" ? "y" : "x";
  // Bounce is diagonal: a short bounce clip may end before its first full turn.
  const sorted = [...hits].sort((a, b) => a - b);
  if (bounced || ranges[minor] >= Math.max(swing, 0.25 * ranges[major])) {
    return { motion: "bounce", hits: sorted };
  }
  const net = nets[major];
  const motion = Math.abs(net) < swing
    ? "still"
    : major === "x"
    ? (net < 0 ? "left" : "right")
    : (net < 0 ? "up" : "down");
  return { motion, hits: sorted };
}

/** Zigzag turning points of `values`: reversals by at least `swing`, plus the ends' extremes. */
export function turningPoints(values: readonly number[], swing: number): TurningPoint[] {
  const points: TurningPoint[] = [];
  let direction = 0; // 0 until the values have moved by `swing` either way
  let lo = 0, hi = 0, extreme = 0;
  for (let i = 1; i < values.length; i++) {
    const v = values[i]!;
    if (direction === 0) {
      if (v < values[lo]!) lo = i;
      if (v > values[hi]!) hi = i;
      if (values[hi]! - values[lo]! < swing) continue;
      direction = hi > lo ? 1 : -1;
      const first = direction > 0 ? lo : hi;
      if (first > 0) {
        points.push({ index: first, kind: direction > 0 ? "min" : "max", interior: false });
      }
      extreme = direction > 0 ? hi : lo;
    } else if (direction * (v - values[extreme]!) > 0) {
      extreme = i;
    } else if (direction * (values[extreme]! - v) >= swing) {
      points.push({ index: extreme, kind: direction > 0 ? "max" : "min", interior: true });
      direction = -direction;
      extreme = i;
    }
  }
  if (direction !== 0) {
    points.push({ index: extreme, kind: direction > 0 ? "max" : "min", interior: false });
  }
  return points;
}

/**
 * Whether a turn cut short by the clip's ends is a wall hit. The shape must touch
 * the wall (within 1 px: a rasterized triangle's apex or a disc's side can miss the
 * edge row by one). A turn before the last frame shows a reversal; on the last frame
 * a hit shows only as a short step, since the world clamps the shape onto the wall.
 */
function isCutShortHit(
  point: TurningPoint,
  values: readonly number[],
  r: Region,
  axis: Axis,
  width: number,
  height: number,
): boolean {
  const far = (axis === "x" ? width : height) - 2;
  const touches = point.kind === "min"
    ? (axis === "x" ? r.x0 : r.y0) <= 1
    : (axis === "x" ? r.x1 : r.y1) >= far;
  if (!touches) return false;
  const i = point.index;
  if (i < values.length - 1) return true;
  const steps = [1, 2, 3].filter((k) => i - k - 1 >= 0)
    .map((k) => Math.abs(values[i - k]! - values[i - k - 1]!));
  if (steps.length === 0) return false;
  const usual = steps.reduce((a, b) => a + b, 0) / steps.length;
  // Rasterization moves a centroid by up to ~0.3 px; a clamped step is shorter by more.
  return usual - Math.abs(values[i]! - values[i - 1]!) > 0.5;
}

/** Fills NaN gaps by linear interpolation, holding the first and last known values. */
function fill(values: number[]): number[] {
  const known = values.flatMap((v, i) => Number.isNaN(v) ? [] : [i]);
  return values.map((v, i) => {
    if (!Number.isNaN(v)) return v;
    const after = known.find((k) => k > i);
    const before = known.findLast((k) => k < i);
    if (before === undefined) return values[after!]!;
    if (after === undefined) return values[before]!;
    return values[before]! + (values[after]! - values[before]!) * (i - before) / (after - before);
  });
}

/** Mean of the first or last two values: one jittery frame does not set the direction. */
function ends(values: readonly number[], which: "first" | "last"): number {
  const part = which === "first" ? values.slice(0, 2) : values.slice(-2);
  return part.reduce((a, b) => a + b, 0) / part.length;
}
