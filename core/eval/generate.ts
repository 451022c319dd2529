/**
 * Generates a pack's evaluation set through the engine (ONNX sessions, the engine's
 * own noise, schedulers and guidance) and returns the clips for the scorer. The set
 * is the pack's `eval_prompts.json`, written at export: every held-out combination
 * and as many training ones, each with a fixed seed.
 */
import { join } from "node:path";
import { Engine } from "../engine.ts";
import { loadPack } from "../pack/load.ts";
import { OnnxBackend } from "../pack/onnx_backend.ts";
import { CapturingBackend } from "./capture.ts";
import type { Clip } from "./clip.ts";
import { EvalError } from "./errors.ts";
import type { Attributes } from "./world.ts";

/** One prompt of the pack's evaluation set. */
export interface EvalPrompt {
  prompt: string;
  attributes: Attributes;
  heldout: boolean;
  seed: number;
}

/** How to generate: every field defaults to the pack's sampler defaults. */
export interface GenerateEvalOptions {
  steps?: number;
  scheduler?: "euler" | "dpmpp2m";
  /** Only the first N prompts (quick looks). */
  limit?: number;
  /**
   * Each prompt at this many seeds (its own, then +1000, +2000...): the set's 10 bounce
   * clips time ~40 hits, too few to tell 1.5 frames of sync from 2.
   */
  seeds?: number;
  /** CFG scales for video and audio (sampler tuning). */
  guidance?: { video: number; audio: number };
  onClip?: (done: number, total: number) => void;
}

/** Reads `<packDir>/eval_prompts.json`. */
export async function readEvalPrompts(packDir: string): Promise<EvalPrompt[]> {
  const path = join(packDir, "eval_prompts.json");
  try {
    return JSON.parse(await Deno.readTextFile(path)) as EvalPrompt[];
  } catch (error) {
    throw new EvalError(
      "clips_not_found",
      `Cannot read eval prompts: "${path}" is missing or bad`,
      {
        cause: error,
      },
    );
  }
}

const toBytes = (frames: Float32Array) =>
  Uint8Array.from(frames, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));

/** Generates every eval prompt (square 2 s, one job at a time) and returns the clips. */
export async function generateEvalClips(
  packDir: string,
  options: GenerateEvalOptions = {},
): Promise<Clip[]> {
  const prompts = (await readEvalPrompts(packDir)).slice(0, options.limit).flatMap((p) =>
    Array.from({ length: options.seeds ?? 1 }, (_, k) => ({ ...p, seed: p.seed + 1000 * k }))
  );
  const pack = await loadPack(packDir);
  const captured = new CapturingBackend(new OnnxBackend(pack));
  const outDir = await Deno.makeTempDir({ prefix: "emerge-eval-" });
  const engine = new Engine(pack.manifest, captured, { outDir });
  const clips: Clip[] = [];
  try {
    for (const [i, p] of prompts.entries()) {
      const request = engine.resolve({
        prompt: p.prompt,
        seed: p.seed,
        width: 64,
        height: 64,
        seconds: 2,
        previewEvery: 0,
        ...(options.steps ? { steps: options.steps } : {}),
        ...(options.scheduler ? { scheduler: options.scheduler } : {}),
        ...(options.guidance ? { guidance: options.guidance } : {}),
      });
      await engine.generate(request).result;
      clips.push({
        id: `eval${String(i).padStart(3, "0")}`,
        frames: toBytes(captured.frames!),
        width: 64,
        height: 64,
        fps: pack.manifest.video.fps,
        waveform: captured.waveform!,
        sampleRate: pack.manifest.audio.sample_rate,
        attributes: p.attributes,
        heldout: p.heldout,
      });
      options.onClip?.(i + 1, prompts.length);
    }
  } finally {
    await engine.close();
    await Deno.remove(outDir, { recursive: true });
  }
  return clips;
}
