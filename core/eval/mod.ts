/**
 * @module
 * The model-free scorer of issue 3: reads clips (folders or in-memory), detects
 * shape, color, size, background, motion, pitch, clicks and wall hits from pixels
 * and samples, and scores them against the prompt's attributes.
 *
 * @example
 * ```ts
 * import { formatReport, readClips, scoreClips } from "./core/eval/mod.ts";
 * console.log(formatReport(scoreClips(await readClips("tests/_fixtures/clips"))));
 * ```
 */
export type { Clip } from "./clip.ts";
export { frameAt, frameCount } from "./clip.ts";
export { EvalError, type EvalErrorCode } from "./errors.ts";
export { readClip, readClips } from "./read.ts";
export { formatReport, summaryLine } from "./report.ts";
export {
  type AttributeName,
  type ClipScore,
  type EvalReport,
  type GroupAccuracy,
  scoreClip,
  scoreClips,
  type Tally,
} from "./score.ts";
export { clickFrames, detectClicks, detectPitch } from "./audio.ts";
export { analyzeVideo, type VideoAnalysis } from "./video.ts";
export { analyzeMotion, type MotionAnalysis, type TurningPoint, turningPoints } from "./motion.ts";
export { type Region, type Segmentation, segmentFrame } from "./segment.ts";
export { decodeWav, type Wave } from "./wav.ts";
export type { Attributes, Rgb } from "./world.ts";
