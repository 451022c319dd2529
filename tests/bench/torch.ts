/**
 * The "vs PyTorch eager" column of the bench: models/bench_torch.py runs the same
 * default generation (text encode, CFG-batched Euler steps, video and audio decode)
 * with models/' own sampler on the same machine, and the ratio is
 * `torch wall seconds / Emerge wall seconds`. Torch gets its best thread setting.
 *
 * Both sides deliver the clip as files inside the timed run: the 16-bit PCM WAV, then
 * the MP4 that the same ffmpeg binary (findFfmpeg) encodes with the engine's settings, in
 * one process after both decoders (Emerge runs its H.264 encode beside the audio decoder).
 * Emerge also writes a poster and a sprite-sheet JPEG, which the baseline does not: that
 * favours torch. Without an ffmpeg the baseline stops at the decoded tensors.
 */
import { findFfmpeg } from "../../core/media/ffmpeg.ts";
import { PYTHON, torchMissing } from "../../models/train.ts";

/** What the torch hook gets: a way to time the engine on the same request. */
export interface TorchComparison {
  /**
   * Times Emerge's wall seconds for one default generation, previews off, outputs
   * written. Called right after the baseline, so both meet the same machine load: on
   * this shared 2-core VM, Emerge's time alone drifted 390-480 ms between bench runs.
   */
  emergeSeconds: () => Promise<number>;
  steps: number;
  seed: number;
  prompt: string;
  /** The pack Emerge ran (default models/default); torch builds the same architecture. */
  packDir?: string;
}

/** Both sides' seconds, or null (with the reason printed) without torch. */
export async function torchVsEmerge(
  c: TorchComparison,
): Promise<{ torch: number; emerge: number } | null> {
  const missing = await torchMissing();
  if (missing) {
    console.error(`bench: no torch column: ${missing}`);
    return null;
  }
  const packDir = c.packDir ?? Deno.env.get("EMERGE_PACK") ?? "models/default";
  const args = ["models/bench_torch.py", "--pack", packDir, "--steps", String(c.steps)];
  // The default pack's checkpoints when this machine has them (sync3: its H200 denoiser
  // with the CPU-trained sync head); else the pack's architecture with random weights:
  // the timing is the same.
  const work = "models/.work/sync3";
  if (packDir === "models/default") {
    try {
      await Deno.stat(`${work}/dit.pt`);
      args.push("--work", work);
    } catch { /* not on this machine */ }
  }
  // The same ffmpeg Emerge encodes with, so the baseline writes the WAV and MP4 too.
  const ffmpeg = await findFfmpeg();
  if (ffmpeg) args.push("--ffmpeg", ffmpeg);
  else console.error("bench: no ffmpeg: the torch baseline skips writing the WAV and MP4");
  const run = await new Deno.Command(PYTHON, {
    args,
    env: { OPENBLAS_NUM_THREADS: "2" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!run.success) {
    console.error(
      `bench: torch baseline failed: ${new TextDecoder().decode(run.stderr).slice(-500)}`,
    );
    return null;
  }
  const lines = new TextDecoder().decode(run.stdout).trim().split("\n");
  const { seconds } = JSON.parse(lines.at(-1)!) as { seconds: number };
  return { torch: seconds, emerge: await c.emergeSeconds() };
}
