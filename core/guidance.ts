/**
 * Classifier-free guidance with one scale per modality (models/PACK.md):
 * `v = v_u + g (v_c - v_u)`, `g = guidance.video` over the video part of a job's
 * latent and `guidance.audio` over the audio part. LTX-2 guides audio harder than
 * video (7 vs 3), which one shared scale could not express.
 */
import type { Guidance } from "./types.ts";

/**
 * Guided velocity for one job, packed `[video..., audio...]` like its latent.
 * `cond` and `uncond` are views of the denoiser output rows of that job.
 */
export function guide(
  cond: { video: Float32Array; audio: Float32Array },
  uncond: { video: Float32Array; audio: Float32Array },
  guidance: Guidance,
): Float32Array {
  const out = new Float32Array(cond.video.length + cond.audio.length);
  mix(out, 0, cond.video, uncond.video, guidance.video);
  mix(out, cond.video.length, cond.audio, uncond.audio, guidance.audio);
  return out;
}

function mix(out: Float32Array, offset: number, c: Float32Array, u: Float32Array, g: number): void {
  for (let i = 0; i < c.length; i++) out[offset + i] = u[i]! + g * (c[i]! - u[i]!);
}
