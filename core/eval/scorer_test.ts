/**
 * The scorer proves itself on the ground-truth fixtures of models/world.py and
 * shows that it notices broken clips (issue 3, "The scorer").
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type Clip, frameCount } from "./clip.ts";
import { readClips } from "./read.ts";
import { scoreClips } from "./score.ts";
import { ATTRIBUTE_NAMES } from "./world.ts";

const FIXTURES = join(import.meta.dirname!, "../../tests/_fixtures/clips");
const clips = await readClips(FIXTURES);

Deno.test("ground truth: >= 98 % of attributes right, clicks on every hit, one object always", () => {
  assert.ok(clips.length >= 30, `only ${clips.length} fixture clips`);
  const report = scoreClips(clips);
  const right = report.clips.flatMap((c) => ATTRIBUTE_NAMES.map((n) => c.correct[n]));
  const accuracy = right.filter(Boolean).length / right.length;
  assert.ok(accuracy >= 0.98, `attribute accuracy ${accuracy}`);
  for (const [i, score] of report.clips.entries()) {
    const hits = clips[i]!.hits ?? [];
    assert.deepEqual(score.visualHits, hits, `${score.id} visual hits`);
    assert.deepEqual(score.clicks, hits, `${score.id} clicks`);
    assert.ok(score.offsets.every((o) => o === 0), `${score.id} offsets ${score.offsets}`);
  }
  assert.ok(report.syncHits > 0);
  assert.equal(report.syncFrames, 0);
  assert.equal(report.clickPrecision, 1);
  // The same clicks against other clips' hits: far from them, and mostly off them.
  assert.ok(report.syncFramesChance !== null && report.syncFramesChance >= 1);
  assert.ok(report.clickPrecisionChance !== null && report.clickPrecisionChance < 0.6);
  assert.equal(report.hitsWithClick, 1);
  assert.ok(report.hitsWithClickChance !== null && report.hitsWithClickChance < 0.6);
  assert.equal(report.persistence, 1);
  assert.ok(report.adherence >= 0.98 && report.motion >= 0.98);
});

Deno.test("ground truth still scores right through blur, noise and color drift", () => {
  const report = scoreClips(clips.map((clip, i) => degrade(clip, i)));
  const right = report.clips.flatMap((c) => ATTRIBUTE_NAMES.map((n) => c.correct[n]));
  assert.ok(right.filter(Boolean).length / right.length >= 0.98);
  assert.equal(report.syncFrames, 0);
  assert.equal(report.persistence, 1);
});

Deno.test("swapped red and blue channels are read as the wrong colors", () => {
  const report = scoreClips(clips.map((clip) => ({ ...clip, frames: swapRedBlue(clip.frames) })));
  const reds = report.clips.filter((c) => c.expected.color === "red");
  assert.ok(reds.length > 0 && reds.every((c) => c.detected.color === "blue"));
  assert.ok(report.training.color.right / report.training.color.total < 0.5);
});

Deno.test("audio delayed by 3 frames gives sync_frames 3", () => {
  const report = scoreClips(clips.map((clip) => {
    const waveform = new Float32Array(clip.waveform.length);
    waveform.set(
      clip.waveform.subarray(0, -3 * clip.sampleRate / clip.fps),
      3 * clip.sampleRate / clip.fps,
    );
    return { ...clip, waveform };
  }));
  assert.equal(report.syncFrames, 3);
});

Deno.test("clicks between the hits leave sync at 0 but lower click precision", () => {
  const bounce = clips.filter((clip) => (clip.hits ?? []).length > 0);
  const report = scoreClips(bounce.map((clip) => {
    // A click (a copy of the first hit's) half way between two hits at least 6 frames
    // apart: 3 frames from either, so its own echo a frame later is off them too.
    const waveform = clip.waveform.slice();
    const perFrame = clip.sampleRate / clip.fps;
    const hits = clip.hits!;
    const click = clip.waveform.slice(hits[0]! * perFrame, (hits[0]! + 1) * perFrame);
    for (let i = 1; i < hits.length; i++) {
      if (hits[i]! - hits[i - 1]! >= 6) {
        waveform.set(click, ((hits[i - 1]! + hits[i]!) >> 1) * perFrame);
      }
    }
    return { ...clip, waveform };
  }));
  assert.equal(report.syncFrames, 0);
  assert.ok(
    report.clickPrecision !== null && report.clickPrecision < 1,
    `${report.clickPrecision}`,
  );
  // Every hit kept its click; all the others are the inserted ones.
  const onHits = report.clips.reduce((n, c) => n + c.visualHits.length, 0);
  assert.equal(report.clickPrecision, onHits / report.syncClicks);
});

Deno.test("silent audio loses the pitch and every click", () => {
  const report = scoreClips(clips.map((clip) => ({ ...clip, waveform: new Float32Array(100) })));
  for (const score of report.clips) {
    assert.equal(score.correct.pitch, score.expected.pitch === "none");
    assert.deepEqual(score.clicks, []);
  }
  assert.ok(report.syncFrames !== null && report.syncFrames > 1);
});

Deno.test("blanked frames lower persistence by exactly their share", () => {
  const blank = 4;
  const report = scoreClips(clips.map((clip) => {
    const frames = clip.frames.slice();
    const size = clip.width * clip.height * 3;
    for (let p = 0; p < blank * size; p += 3) frames.set(clip.frames.subarray(0, 3), p);
    return { ...clip, frames };
  }));
  const total = clips.reduce((sum, clip) => sum + frameCount(clip), 0);
  assert.equal(report.persistence, (total - blank * clips.length) / total);
});

/** RGB with R and B swapped. */
function swapRedBlue(frames: Uint8Array): Uint8Array {
  const out = frames.slice();
  for (let p = 0; p < out.length; p += 3) [out[p], out[p + 2]] = [frames[p + 2]!, frames[p]!];
  return out;
}

/**
 * What a decoder does to a clip: a 3x3 box blur, +-20 levels of noise, a drift of
 * 20 levels per channel, and hiss on the audio. Seeded by `seed`.
 */
function degrade(clip: Clip, seed: number): Clip {
  let state = seed + 1;
  const noise = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const { width: w, height: h } = clip;
  const frames = new Uint8ClampedArray(clip.frames.length);
  for (let p = 0; p < frames.length; p++) {
    const c = p % 3, x = Math.floor(p / 3) % w, y = Math.floor(p / 3 / w) % h;
    const base = p - 3 * (y * w + x) - c;
    let sum = 0, n = 0;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const xx = Math.min(w - 1, Math.max(0, x + dx)), yy = Math.min(h - 1, Math.max(0, y + dy));
        sum += clip.frames[base + 3 * (yy * w + xx) + c]!;
        n++;
      }
    }
    frames[p] = Math.round(sum / n + (c === 1 ? -20 : 20) + 20 * noise());
  }
  return {
    ...clip,
    frames: new Uint8Array(frames.buffer),
    waveform: clip.waveform.map((v) => v + 0.03 * noise()),
  };
}
