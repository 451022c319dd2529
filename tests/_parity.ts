/**
 * Engine-against-PyTorch parity: one generation through the engine on a pack, and
 * models/sample.py on a run folder's checkpoints from the same noise. Used by the
 * train --quick test (a fresh run and its export) and the from_pack test (a pack and
 * the checkpoints read back out of it).
 */
import assert from "node:assert/strict";
import { Engine } from "../core/engine.ts";
import { CapturingBackend } from "../core/eval/capture.ts";
import { gaussianNoise } from "../core/noise.ts";
import type { Pack } from "../core/pack/load.ts";
import { OnnxBackend } from "../core/pack/onnx_backend.ts";
import { PYTHON } from "../models/train.ts";

const decoder = new TextDecoder();

/** Runs `models/<script>` (args[0]) with Debian's torch; its stdout, or an assertion failure with its stderr. */
export async function python(args: string[]): Promise<string> {
  const run = await new Deno.Command(PYTHON, { args, stdout: "piped", stderr: "piped" }).output();
  assert.ok(
    run.success,
    `${PYTHON} ${args[0]} failed:\n${decoder.decode(run.stderr).slice(-2000)}`,
  );
  return decoder.decode(run.stdout);
}

/** max |a - b| / max |b|: scale-free, and strict where the latents are large. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

/**
 * Samples one 96x64 clip (negative prompt, guidance 3 / 5) through the engine on
 * `pack` and through models/sample.py on `work`'s checkpoints from the same noise;
 * asserts the latents agree to 1e-3 and that sampling moved them far from the noise.
 * `scratch` holds the noise and reference files.
 */
export async function assertParity(pack: Pack, work: string, scratch: string): Promise<void> {
  const captured = new CapturingBackend(new OnnxBackend(pack));
  const engine = new Engine(pack.manifest, captured, { outDir: `${scratch}/outputs` });
  const request = engine.resolve({
    prompt: "a small blue square moves left on a white background, with a low hum",
    negativePrompt: "a red circle",
    width: 96,
    height: 64,
    seed: 7,
    previewEvery: 0,
    guidance: { video: 3, audio: 5 },
  });
  await engine.generate(request).result;
  const noisePath = `${scratch}/noise.f32`, refPath = `${scratch}/reference.f32`;
  const size = captured.videoLatent!.length + captured.audioLatent!.length;
  const noise = gaussianNoise(7, size);
  await Deno.writeFile(noisePath, new Uint8Array(noise.buffer));
  await python([
    "models/sample.py",
    ...["--work", work, "--prompt", request.prompt, "--negative", request.negativePrompt],
    ...["--size", "96x64", "--seconds", String(request.seconds)],
    ...["--steps", String(request.steps), "--guidance", "3", "5"],
    ...["--noise", noisePath, "--out", refPath],
  ]);
  const reference = new Float32Array((await Deno.readFile(refPath)).buffer);
  const nv = captured.videoLatent!.length;
  const videoError = relativeError(captured.videoLatent!, reference.subarray(0, nv));
  const audioError = relativeError(captured.audioLatent!, reference.subarray(nv));
  // Parity means something only if sampling moved the latents far from the noise.
  const moved = relativeError(captured.videoLatent!, noise.subarray(0, nv));
  console.log(
    `parity: video ${videoError.toExponential(2)}, audio ${audioError.toExponential(2)}, ` +
      `moved from noise ${moved.toFixed(3)}`,
  );
  assert.ok(moved > 0.05, `sampling barely moved the latents (${moved})`);
  assert.ok(videoError < 1e-3, `video latents differ by ${videoError}`);
  assert.ok(audioError < 1e-3, `audio latents differ by ${audioError}`);
  await engine.close();
}
