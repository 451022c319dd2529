/**
 * `deno task train --quick` end to end: Debian's torch trains every stage for a few
 * steps, exports ONNX, samples and scores clips, and the result is a pack the
 * engine loads, whose tokenizer gives the ids the training used.
 */
import assert from "node:assert/strict";
import { loadPack } from "../core/pack/load.ts";
import { PYTHON, TORCH_INSTALL, torchMissing } from "../models/train.ts";

const missing = await torchMissing();
if (missing) console.log(`skipping train --quick: ${missing}; install with: ${TORCH_INSTALL}`);

Deno.test({
  name: "train --quick produces a valid pack with a scored model card",
  ignore: missing !== null,
  sanitizeResources: false,
  fn: async () => {
    const work = await Deno.makeTempDir({ prefix: "emerge-train-" });
    const out = `${work}/pack`;
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "models/train.ts", "--quick", "--work", work, "--out", out],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const log = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
    assert.ok(run.success, `train --quick failed:\n${log.slice(-3000)}`);
    assert.match(
      log,
      /eval: adherence=[\d.]+ motion=[\d.]+ sync_frames=\S+ persistence=[\d.]+ clips=\d+/,
    );

    const pack = await loadPack(out);
    assert.ok(pack.manifest.heldout.length >= 9, "at least 10 % of 90 combinations held out");
    for (const name of ["text_encoder", "denoiser", "video_decoder", "audio_decoder"] as const) {
      assert.ok(pack.sessions[name], `${name} session opened`);
    }
    const card = await Deno.readTextFile(`${out}/MODEL_CARD.md`);
    assert.match(card, /## Measured quality[\s\S]*eval: adherence=/);

    const prompt = "A Big red BALL bounces, with a high-pitched whistle; zebra";
    const py = await new Deno.Command(PYTHON, {
      args: [
        "-c",
        `import sys; sys.path.insert(0, "models"); import world
from text import Tokenizer
print(Tokenizer(world.vocabulary()).encode(sys.argv[1], 32)[0])`,
        prompt,
      ],
      stdout: "piped",
    }).output();
    const trainingIds = JSON.parse(new TextDecoder().decode(py.stdout));
    assert.deepEqual(pack.tokenizer.encode(prompt).ids, trainingIds);
    assert.ok(trainingIds.includes(1), "the unknown word maps to [UNK]");
    await Promise.all(Object.values(pack.sessions).map((s) => s?.release()));
    await Deno.remove(work, { recursive: true });
  },
});
