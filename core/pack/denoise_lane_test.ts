/**
 * The denoiser lane on the real default pack: a call split between this thread and the
 * lane's worker gives the velocities of one whole call, failures come back as
 * ModelFailedError, and a closed lane leaves the backend computing alone.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import type { DenoiseBatch } from "../backend.ts";
import { DEFAULT_PACK_DIR } from "../engine.ts";
import { ModelFailedError } from "../errors.ts";
import { clipGeometry } from "../geometry.ts";
import { DenoiseLane } from "./denoise_lane.ts";
import { loadPack } from "./load.ts";
import { OnnxBackend } from "./onnx_backend.ts";

const ignore = !existsSync(`${DEFAULT_PACK_DIR}/manifest.json`);
if (ignore) console.log(`skipped: no pack at ${DEFAULT_PACK_DIR} (see models/README.md)`);

async function backends() {
  const pack = await loadPack(DEFAULT_PACK_DIR, { intraOpThreads: 1 });
  const lane = await DenoiseLane.start(DEFAULT_PACK_DIR, { device: "cpu", intraOpThreads: 1 });
  const alone = new OnnxBackend(pack), split = new OnnxBackend(pack, { lane });
  const text = await alone.encodeText(["a red circle moves left on a white background", ""]);
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const batch = (rows: number): DenoiseBatch => {
    const g = clipGeometry(pack.manifest, 64, 64, 2);
    const each = <T extends Float32Array>(of: (row: number) => T) =>
      Float32Array.from(Array.from({ length: rows }, (_, r) => [...of(r)]).flat());
    return {
      geometry: g,
      rows,
      video: Float32Array.from({ length: rows * g.videoSize }, random),
      audio: Float32Array.from({ length: rows * g.audioSize }, random),
      sigma: Float32Array.from({ length: rows }, (_, r) => 0.2 + 0.15 * r),
      textTokens: each((r) => text[r % 2]!.tokens),
      textMask: each((r) => text[r % 2]!.mask),
      textPooled: each((r) => text[r % 2]!.pooled),
    };
  };
  return {
    lane,
    alone,
    split,
    batch,
    async [Symbol.asyncDispose]() {
      await split.close(); // releases the pack's sessions and closes the lane
    },
  };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

Deno.test({
  name: "a denoiser call split with the lane gives the velocities of the whole call",
  ignore,
  fn: async () => {
    await using t = await backends();
    for (const rows of [2, 4, 6]) {
      const input = t.batch(rows);
      const whole = await t.alone.denoise(structuredClone(input));
      const split = await t.split.denoise(structuredClone(input));
      assert.ok(maxDiff(whole.video, split.video) < 1e-4, `rows ${rows}: video`);
      assert.ok(maxDiff(whole.audio, split.audio) < 1e-4, `rows ${rows}: audio`);
      // Not trivially equal: rows differ, so a half put in the wrong place would show.
      const half = whole.video.length / rows;
      assert.ok(
        maxDiff(whole.video.subarray(0, half), whole.video.subarray(half, 2 * half)) > 0.01,
      );
    }
    assert.equal(t.split.stats().byComponent.denoiser?.calls, 3, "a split call counts once");
  },
});

Deno.test({
  name: "the lane reports a failed call as ModelFailedError and keeps serving",
  ignore,
  fn: async () => {
    await using t = await backends();
    const bad = t.batch(2);
    bad.video = bad.video.subarray(0, 10).slice(); // a tensor that does not fit its shape
    await assert.rejects(t.lane.denoise(bad), ModelFailedError);
    assert.ok(t.lane.usable);
    const velocity = await t.lane.denoise(t.batch(2));
    assert.equal(velocity.video.length, t.batch(2).video.length);
  },
});

Deno.test({
  name: "a lane closed during a call leaves its half to this thread, and the call succeeds",
  ignore,
  fn: async () => {
    await using t = await backends();
    const input = t.batch(4);
    const whole = await t.alone.denoise(structuredClone(input));
    const call = t.split.denoise(structuredClone(input)); // the lane's half is in flight
    await t.lane.close();
    const split = await call;
    assert.ok(maxDiff(whole.video, split.video) < 1e-4);
    assert.ok(maxDiff(whole.audio, split.audio) < 1e-4);
  },
});

Deno.test({
  name: "after its lane is closed, the backend runs whole calls on its own",
  ignore,
  fn: async () => {
    await using t = await backends();
    const input = t.batch(2);
    const before = await t.split.denoise(structuredClone(input));
    await t.lane.close();
    assert.equal(t.lane.usable, false);
    await assert.rejects(t.lane.denoise(t.batch(2)), ModelFailedError);
    const after = await t.split.denoise(structuredClone(input));
    assert.ok(maxDiff(before.video, after.video) < 1e-4);
  },
});
