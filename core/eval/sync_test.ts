import assert from "node:assert/strict";
import { chanceSync, ownSync, type SyncTrack } from "./sync.ts";

const clip = (frames: number, visualHits: number[], clicks: number[]): SyncTrack => ({
  frames,
  visualHits,
  clicks,
});

Deno.test("clicks on their own hits are in sync; the same clicks on other clips' hits are not", () => {
  const tracks = [clip(24, [5], [5]), clip(24, [15], [15]), clip(24, [10], [11])];
  assert.deepEqual(ownSync(tracks), { frames: 0, hits: 3, recall: 1, precision: 1, clicks: 3 });
  // Six pairings: offsets 10 and 6 (clip 0's hit), 10 and 4 (clip 1's), 5 and 5 (clip 2's).
  const chance = chanceSync(tracks)!;
  assert.equal(chance.hits, 6);
  assert.equal(chance.frames, 5.5);
  assert.equal(chance.recall, 0);
  assert.equal(chance.precision, 0);
});

Deno.test("chance pairs only clips of the same length; none without a partner", () => {
  const short = [clip(24, [5], [5]), clip(24, [6], [6])];
  const long = clip(48, [30], [30]);
  assert.deepEqual(chanceSync([...short, long]), chanceSync(short));
  assert.equal(chanceSync([long]), null);
  // Clicks a frame from another clip's hit count as on it, as they would on their own.
  assert.equal(chanceSync(short)!.precision, 1);
});

Deno.test("a clip without clicks puts its hits a whole clip away", () => {
  assert.deepEqual(ownSync([clip(24, [3, 9], [])]), {
    frames: 24,
    hits: 2,
    recall: 0,
    precision: null,
    clicks: 0,
  });
});
