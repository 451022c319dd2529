/**
 * Denoiser cost per row at batch 2, 4, 8 and 16 (bench helper), with the sessions set
 * up as Engine.load sets them up on this machine: one intra-op thread here and a
 * denoiser lane taking half the rows (on the CPU with 2+ cores). Batching across jobs
 * pays only where a bigger batch costs less per row; this table says how much the
 * hardware allows, so the batching speedup can be read against it.
 */
import { clipGeometry } from "../../core/geometry.ts";
import { DenoiseLane } from "../../core/pack/denoise_lane.ts";
import { loadPack, OnnxBackend } from "../../core/pack/mod.ts";

/** [rows, ms per call, ms per row, per-row cost relative to batch 2]. */
export async function denoiserScaling(packDir: string, runs: number): Promise<number[][]> {
  const withLane = navigator.hardwareConcurrency >= 2;
  const pack = await loadPack(packDir, withLane ? { intraOpThreads: 1 } : {});
  const lane = withLane
    ? await DenoiseLane.start(packDir, { device: pack.device, intraOpThreads: 1 })
    : undefined;
  const backend = new OnnxBackend(pack, lane ? { lane } : {});
  const size = pack.manifest.sizes[0]!;
  const g = clipGeometry(pack.manifest, size.width, size.height, pack.manifest.durations[0]!);
  const [text] = await backend.encodeText(["a red ball"]);
  const out: number[][] = [];
  for (const rows of [2, 4, 8, 16]) {
    const batch = {
      geometry: g,
      rows,
      video: new Float32Array(rows * g.videoSize).fill(0.1),
      audio: new Float32Array(rows * g.audioSize).fill(0.1),
      sigma: new Float32Array(rows).fill(0.5),
      textTokens: new Float32Array(rows * text!.tokens.length),
      textMask: new Float32Array(rows * text!.mask.length),
      textPooled: new Float32Array(rows * text!.pooled.length),
    };
    for (let r = 0; r < rows; r++) {
      batch.textTokens.set(text!.tokens, r * text!.tokens.length);
      batch.textMask.set(text!.mask, r * text!.mask.length);
      batch.textPooled.set(text!.pooled, r * text!.pooled.length);
    }
    await backend.denoise(batch); // warm-up for this shape
    const start = performance.now();
    for (let i = 0; i < runs; i++) await backend.denoise(batch);
    const ms = (performance.now() - start) / runs;
    out.push([rows, ms, ms / rows]);
  }
  await backend.close();
  const base = out[0]![2]!;
  return out.map(([rows, ms, perRow]) => [rows!, ms!, perRow!, perRow! / base]);
}
