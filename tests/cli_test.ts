/**
 * `deno task generate` end to end: the real pack, real ONNX sessions and ffmpeg, run
 * as a process the way the task runs it (from the repository root, INIT_CWD set to
 * where the user typed the command).
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const GENERATE = join(import.meta.dirname!, "../core/cli/generate.ts");
const ROOT = join(import.meta.dirname!, "..");

async function generate(args: string[], initCwd: string) {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", GENERATE, ...args],
    cwd: ROOT,
    env: { INIT_CWD: initCwd },
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

Deno.test("generate writes the clip where the user ran it, with a progress bar", async () => {
  const here = await Deno.makeTempDir({ prefix: "emerge-cli-" });
  try {
    const { code, stderr } = await generate(
      ["--prompt", "a red circle moves left", "--out", "clips/first.mp4", "--steps", "3"],
      here,
    );
    assert.equal(code, 0, stderr);
    assert.match(stderr, /3\/3/);
    assert.match(stderr, /it\/s/);
    const files = [...Deno.readDirSync(join(here, "clips"))].map((e) => e.name).sort();
    assert.deepEqual(files, ["first.jpg", "first.mp4", "first.sprite.jpg", "first.wav"]);
    assert.ok(Deno.statSync(join(here, "clips", "first.mp4")).size > 1000);
  } finally {
    await Deno.remove(here, { recursive: true });
  }
});

Deno.test("a bad flag or request exits 2 with its code and a sentence, writing nothing", async () => {
  const here = await Deno.makeTempDir({ prefix: "emerge-cli-" });
  try {
    for (
      const [args, exit, message] of [
        [["--seconds", "0x10"], 2, /--seconds "0x10" is not a number/],
        [["--size", "70x64"], 2, /width 70 is not a multiple of 16/],
        // A relative pack is looked for where the user ran the command.
        [["--pack", "no/such/pack"], 1, new RegExp(`${here}/no/such/pack`)],
      ] as [string[], number, RegExp][]
    ) {
      const { code, stderr } = await generate(["--prompt", "p", ...args], here);
      assert.equal(code, exit, stderr);
      assert.match(stderr, /^error\[(invalid_request|pack_invalid)\]: Cannot /m);
      assert.match(stderr, message);
    }
    assert.deepEqual([...Deno.readDirSync(here)], []);
  } finally {
    await Deno.remove(here, { recursive: true });
  }
});
