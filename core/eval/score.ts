/**
 * Scoring: each clip's detected attributes against its prompt, click sync and
 * persistence, and the totals of issue 3 (adherence, motion, sync, persistence).
 */
import { frameCount } from "./clip.ts";
import type { Clip } from "./clip.ts";
import { clickFrames, detectPitch } from "./audio.ts";
import { EvalError } from "./errors.ts";
import { analyzeMotion } from "./motion.ts";
import { chanceSync, hitOffsets, ownSync } from "./sync.ts";
import { analyzeVideo } from "./video.ts";
import { ATTRIBUTE_NAMES, type Attributes, STATIC_ATTRIBUTES } from "./world.ts";

/** Name of one of the six attributes. */
export type AttributeName = (typeof ATTRIBUTE_NAMES)[number];

/** What the scorer found in one clip. */
export interface ClipScore {
  id: string;
  heldout: boolean;
  expected: Attributes;
  detected: Attributes;
  correct: Record<AttributeName, boolean>;
  frames: number;
  /** Frames in which exactly one object is visible. */
  singleObjectFrames: number;
  /** Frames where the object turns at a wall. */
  visualHits: number[];
  /** Frames of the audio clicks. */
  clicks: number[];
  /** Per visual hit, |hit - nearest click| in frames (the clip's length when there is no click). */
  offsets: number[];
}

/** Right answers out of scored clips. */
export interface Tally {
  right: number;
  total: number;
}

/** Per-attribute tallies for one group of clips. */
export type GroupAccuracy = Record<AttributeName, Tally>;

/** The scores of a set of clips; every field is plain JSON. */
export interface EvalReport {
  clips: ClipScore[];
  heldout: GroupAccuracy;
  training: GroupAccuracy;
  /** True when no clip is held out, so adherence and motion are over all clips. */
  overAllClips: boolean;
  /** Fraction of static attributes right on held-out prompts. */
  adherence: number;
  /** Fraction of held-out clips whose motion is right. */
  motion: number;
  /** Median |visual hit - audio click| in frames over bounce clips; null without hits. */
  syncFrames: number | null;
  /** Number of visual hits behind `syncFrames`. */
  syncHits: number;
  /** Fraction of those hits with a click within one frame; null without hits. */
  hitsWithClick: number | null;
  /**
   * Fraction of the clicks of bounce clips within one frame of a visual hit; null
   * without clicks. `syncFrames` looks from each hit to its nearest click, so extra
   * clicks at random times lower it; this is the check from the other side.
   */
  clickPrecision: number | null;
  /** Number of clicks behind `clickPrecision`. */
  syncClicks: number;
  /**
   * `syncFrames`, `hitsWithClick` and `clickPrecision` by chance: each bounce clip's clicks against the
   * hits of the other bounce clips of its length (sync.ts); null without such pairs.
   * A denoiser that times its clicks to the picture reads well below the first and
   * above the others.
   */
  syncFramesChance: number | null;
  hitsWithClickChance: number | null;
  clickPrecisionChance: number | null;
  /** Fraction of frames in which exactly one object is visible. */
  persistence: number;
}

/** Detects every attribute of `clip` and compares it with the prompt's. */
export function scoreClip(clip: Clip, index = 0): ClipScore {
  const video = analyzeVideo(clip);
  const { motion, hits } = analyzeMotion(video.track, clip.width, clip.height);
  const detected: Attributes = {
    shape: video.shape,
    color: video.color,
    size: video.size,
    background: video.background,
    motion,
    pitch: detectPitch(clip.waveform, clip.sampleRate),
  };
  const track = {
    frames: frameCount(clip),
    visualHits: hits,
    clicks: clickFrames(clip.waveform, clip.sampleRate, clip.fps),
  };
  return {
    id: clip.id ?? `clip${index}`,
    heldout: clip.heldout,
    expected: clip.attributes,
    detected,
    correct: Object.fromEntries(
      ATTRIBUTE_NAMES.map((name) => [name, detected[name] === clip.attributes[name]]),
    ) as Record<AttributeName, boolean>,
    frames: track.frames,
    singleObjectFrames: video.objectCounts.filter((n) => n === 1).length,
    visualHits: track.visualHits,
    clicks: track.clicks,
    offsets: hitOffsets(track, track),
  };
}

/**
 * Scores every clip and sums up. Throws an EvalError `no_clips` for an empty list.
 *
 * @example
 * ```ts
 * const report = scoreClips(await readClips("out/eval"));
 * console.log(formatReport(report));
 * ```
 */
export function scoreClips(clips: readonly Clip[]): EvalReport {
  if (clips.length === 0) throw new EvalError("no_clips", "Cannot score clips: the list is empty");
  const scores = clips.map((clip, i) => scoreClip(clip, i));
  const heldout = scores.filter((s) => s.heldout);
  const overAllClips = heldout.length === 0;
  const judged = overAllClips ? scores : heldout;
  const staticRight = judged.flatMap((s) => STATIC_ATTRIBUTES.map((name) => s.correct[name]));
  const bounce = scores.filter((s) => s.expected.motion === "bounce");
  const sync = ownSync(bounce), chance = chanceSync(bounce);
  const frames = scores.reduce((sum, s) => sum + s.frames, 0);
  return {
    clips: scores,
    heldout: tally(heldout),
    training: tally(scores.filter((s) => !s.heldout)),
    overAllClips,
    adherence: fraction(staticRight),
    motion: fraction(judged.map((s) => s.correct.motion)),
    syncFrames: sync.frames,
    syncHits: sync.hits,
    hitsWithClick: sync.recall,
    clickPrecision: sync.precision,
    syncClicks: sync.clicks,
    syncFramesChance: chance?.frames ?? null,
    hitsWithClickChance: chance?.recall ?? null,
    clickPrecisionChance: chance?.precision ?? null,
    persistence: frames > 0 ? scores.reduce((sum, s) => sum + s.singleObjectFrames, 0) / frames : 0,
  };
}

function tally(scores: readonly ClipScore[]): GroupAccuracy {
  return Object.fromEntries(ATTRIBUTE_NAMES.map((name) => [name, {
    right: scores.filter((s) => s.correct[name]).length,
    total: scores.length,
  }])) as GroupAccuracy;
}

function fraction(flags: readonly boolean[]): number {
  return flags.length === 0 ? 0 : flags.filter(Boolean).length / flags.length;
}
