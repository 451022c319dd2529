/**
 * Click sync: how far the sound's clicks fall from the picture's wall hits, read both
 * ways (from each hit to its nearest click, and from each click to the hits), for a
 * clip's own clicks and by chance.
 *
 * Chance matters because a bounce clip has a hit every few frames: clicks at random
 * times land within a frame of one often (about half the time at ~4 hits in 24
 * frames), and the median hit is then 1-2 frames from its nearest click. Chance
 * holds each clip's clicks against the hits of every other bounce clip of its length,
 * the same clicks and the same hit density, only not this picture's.
 */
import { median } from "./_stats.ts";

/** What sync needs of a scored clip. */
export interface SyncTrack {
  /** The clip's length in frames. */
  frames: number;
  /** Frames where the object turns at a wall. */
  visualHits: readonly number[];
  /** Frames of the audio clicks. */
  clicks: readonly number[];
}

/** Sync over a set of clips. */
export interface SyncScore {
  /** Median |hit - nearest click| in frames; null without hits. */
  frames: number | null;
  /** Hits behind `frames`. */
  hits: number;
  /** Share of hits with a click within one frame; null without hits. */
  recall: number | null;
  /** Share of clicks within one frame of a hit; null without clicks. */
  precision: number | null;
  /** Clicks behind `precision`. */
  clicks: number;
}

/**
 * Per hit of `picture`, the distance in frames to the nearest click of `sound` (the
 * clip's length when it has none).
 */
export function hitOffsets(picture: SyncTrack, sound: SyncTrack): number[] {
  return picture.visualHits.map((hit) =>
    Math.min(picture.frames, ...sound.clicks.map((click) => Math.abs(click - hit)))
  );
}

/** Per click of `sound`, whether a hit of `picture` is within one frame of it. */
export function clicksOnHits(picture: SyncTrack, sound: SyncTrack): boolean[] {
  return sound.clicks.map((click) => picture.visualHits.some((hit) => Math.abs(hit - click) <= 1));
}

/** Sync of each clip's clicks against its own hits. */
export function ownSync(tracks: readonly SyncTrack[]): SyncScore {
  return summarize(tracks.map((track) => [track, track]));
}

/**
 * Sync of each clip's clicks against the hits of every other clip of the same length;
 * null when no clip has a partner.
 */
export function chanceSync(tracks: readonly SyncTrack[]): SyncScore | null {
  const pairs = tracks.flatMap((sound) =>
    tracks
      .filter((picture) => picture !== sound && picture.frames === sound.frames)
      .map((picture) => [picture, sound] as const)
  );
  return pairs.length === 0 ? null : summarize(pairs);
}

function summarize(pairs: readonly (readonly [SyncTrack, SyncTrack])[]): SyncScore {
  const offsets = pairs.flatMap(([picture, sound]) => hitOffsets(picture, sound));
  const onHit = pairs.flatMap(([picture, sound]) => clicksOnHits(picture, sound));
  return {
    frames: offsets.length > 0 ? median(offsets) : null,
    hits: offsets.length,
    recall: offsets.length > 0 ? offsets.filter((o) => o <= 1).length / offsets.length : null,
    precision: onHit.length > 0 ? onHit.filter(Boolean).length / onHit.length : null,
    clicks: onHit.length,
  };
}
