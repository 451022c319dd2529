import assert from "node:assert/strict";
import { join } from "node:path";
import { generateEvalClips } from "./generate.ts";
import { main } from "./main.ts";

const FIXTURES = join(import.meta.dirname!, "../../tests/_fixtures/clips");
const MAIN = join(import.meta.dirname!, "main.ts");

/** Runs the CLI in-process and returns its exit code, stdout and stderr. */
async function run(...args: string[]) {
  const out: string[] = [], err: string[] = [];
  const { log, error } = console;
  console.log = (line: string) => out.push(line);
  console.error = (line: string) => err.push(line);
  try {
    const code = await main(args);
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
  } finally {
    Object.assign(console, { log, error });
  }
}

const temps: string[] = [];

/** A temp folder holding a copy of fixture clip000, with `meta` (a string) as its meta.json. */
async function brokenClip(meta: string, frames?: Uint8Array): Promise<string> {
  const dir = await Deno.makeTempDir();
  temps.push(dir);
  const clip = join(dir, "clip000");
  await Deno.mkdir(clip);
  for (const file of ["frames.rgb.gz", "audio.wav"]) {
    await Deno.copyFile(join(FIXTURES, "clip000", file), join(clip, file));
  }
  await Deno.writeTextFile(join(clip, "meta.json"), meta);
  if (frames) await Deno.writeFile(join(clip, "frames.rgb.gz"), frames);
  return dir;
}

Deno.test("eval --clips prints the table and ends with the summary line", async () => {
  const { code, stdout } = await run("--clips", FIXTURES);
  assert.equal(code, 0);
  assert.match(stdout, /^attribute\s+held-out\s+training$/m);
  assert.match(stdout, /^color\s+1\.000 \(\d+\/\d+\)\s+1\.000 \(\d+\/\d+\)$/m);
  assert.equal(
    stdout.split("\n").at(-1),
    "eval: adherence=1.000 motion=1.000 sync_frames=0.000 persistence=1.000 clips=36",
  );
});

Deno.test("eval --json prints the report as JSON", async () => {
  const { code, stdout } = await run(`--clips=${FIXTURES}`, "--json");
  assert.equal(code, 0);
  const report = JSON.parse(stdout);
  assert.equal(report.clips.length, 36);
  assert.equal(report.syncFrames, 0);
  assert.deepEqual(report.clips[0].detected, report.clips[0].expected);
});

Deno.test("bad input exits 2 with a stable code and a sentence", async () => {
  const meta = JSON.parse(await Deno.readTextFile(join(FIXTURES, "clip000", "meta.json")));
  const cases: [string[], string, RegExp][] = [
    [["--pack", "/no/such/pack"], "clips_not_found", /eval_prompts\.json" is missing/],
    [["--limit", "0"], "usage", /--limit "0" is not a positive integer/],
    [["--guidance", "4,x"], "usage", /--guidance "4,x" is not G or VIDEO,AUDIO/],
    [["--seeds", "1.5"], "usage", /--seeds "1.5" is not a positive integer/],
    [["--scheduler", "ddim"], "usage", /scheduler "ddim"/],
    [["--clips", FIXTURES, "--fast"], "usage", /unknown argument "--fast"/],
    [["--clips", "/no/such/folder"], "clips_not_found", /folder "\/no\/such\/folder"/],
    [["--clips", await brokenClip("{ not json")], "clip_invalid", /meta\.json is not valid JSON/],
    [
      ["--clips", await brokenClip(JSON.stringify({ ...meta, fps: "12" }))],
      "clip_invalid",
      /no positive integer "fps"/,
    ],
    [
      ["--clips", await brokenClip(JSON.stringify({ ...meta, attributes: { shape: "circle" } }))],
      "clip_invalid",
      /"attributes" must name/,
    ],
    [
      ["--clips", await brokenClip(JSON.stringify(meta), new Uint8Array([1, 2, 3]))],
      "clip_invalid",
      /frames\.rgb\.gz is not gzip/,
    ],
  ];
  for (const [args, code, message] of cases) {
    const result = await run(...args);
    assert.equal(result.code, 2, args.join(" "));
    assert.match(result.stderr, new RegExp(`^eval: error ${code}: Cannot `));
    assert.match(result.stderr, message);
  }
  for (const dir of temps.splice(0)) await Deno.remove(dir, { recursive: true });
});

Deno.test("the process exits with status 2 on bad input", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "--clips", "/no/such/folder"],
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 2);
  assert.match(new TextDecoder().decode(stderr), /eval: error clips_not_found/);
});

Deno.test("eval without --clips generates the pack's eval prompts through the engine", async () => {
  const { code, stdout } = await run("--pack", "models/default", "--limit", "2", "--json");
  assert.equal(code, 0);
  const report = JSON.parse(stdout);
  assert.equal(report.clips.length, 2);
  const prompts = JSON.parse(await Deno.readTextFile("models/default/eval_prompts.json"));
  assert.deepEqual(report.clips[0].expected, prompts[0].attributes);
});

Deno.test("--seeds runs each prompt at that many seeds, each a different clip", async () => {
  const clips = await generateEvalClips("models/default", { limit: 1, seeds: 2 });
  assert.equal(clips.length, 2);
  assert.deepEqual(clips[0]!.attributes, clips[1]!.attributes);
  assert.notDeepEqual(clips[0]!.frames, clips[1]!.frames);
  const { stdout } = await run("--pack", "models/default", "--limit", "1", "--seeds", "2");
  assert.match(stdout, / clips=2$/);
});
