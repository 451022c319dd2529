import assert from "node:assert/strict";
import { InvalidRequestError } from "../errors.ts";
import { parseArgs } from "./args.ts";

Deno.test("parseArgs reads every flag, in both --flag value and --flag=value forms", () => {
  const args = parseArgs([
    "--prompt",
    "a red ball",
    "--out=x/y.mp4",
    "--seed",
    "7",
    "--steps=12",
    "--size",
    "96x64",
    "--seconds",
    "4",
    "--guidance",
    "3,7",
    "--scheduler",
    "dpmpp2m",
    "--pack",
    "p",
    "--negative",
    "blur",
  ]); // deno-fmt-ignore
  assert.deepEqual(args.request, {
    prompt: "a red ball",
    previewEvery: 0,
    negativePrompt: "blur",
    seed: 7,
    steps: 12,
    seconds: 4,
    width: 96,
    height: 64,
    guidance: { video: 3, audio: 7 },
    scheduler: "dpmpp2m",
  });
  assert.equal(args.out, "x/y.mp4");
  assert.equal(args.pack, "p");
  assert.equal(parseArgs(["--prompt", "p", "--guidance", "5"]).request.guidance?.audio, 5);
});

Deno.test("parseArgs gives a stable code and a quoted sentence for every bad flag", () => {
  const cases: [string[], string][] = [
    [[], "Cannot parse flags: --prompt is required"],
    [
      ["--prompt", "p", "--steps", "ten"],
      `Cannot parse flags: --steps "ten" is not a whole number`,
    ],
    [["--prompt", "p", "--seed", "-1"], `Cannot parse flags: --seed "-1" is not a whole number`],
    [
      ["--prompt", "p", "--size", "64"],
      `Cannot parse flags: --size "64" is not WIDTHxHEIGHT, e.g. 96x64`,
    ],
    [["--prompt", "p", "--seconds", "two"], `Cannot parse flags: --seconds "two" is not a number`],
    [
      ["--prompt", "p", "--seconds", "0x10"],
      `Cannot parse flags: --seconds "0x10" is not a number`,
    ],
    [
      ["--prompt", "p", "--out", "out/my clip.mp4"],
      `Cannot parse flags: --out "out/my clip.mp4": the file name may only hold letters, digits, ".", "_" and "-"`,
    ],
    [
      ["--prompt", "p", "--guidance", "1,2,3"],
      `Cannot parse flags: --guidance "1,2,3" is not G or VIDEO,AUDIO`,
    ],
    [
      ["--prompt", "p", "--scheduler", "ddim"],
      `Cannot parse flags: --scheduler "ddim" is not one of euler, dpmpp2m`,
    ],
    [
      ["--prompt", "p", "--out", "clip.avi"],
      `Cannot parse flags: --out "clip.avi" is not a .mp4 file name`,
    ],
    [
      ["--prompt", "p", "--colour", "red"],
      "Cannot parse flags: --colour is not a known flag (see --help)",
    ],
    [["--prompt", "p", "--steps"], "Cannot parse flags: --steps needs a value"],
    [["--prompt", "p", "--prompt", "q"], "Cannot parse flags: --prompt is given twice"],
    [["hello"], `Cannot parse flags: "hello" is not a flag (flags start with --)`],
    [
      ["--prompt", "p", "--device", "tpu"],
      `Cannot parse flags: --device "tpu" is not one of cpu, cuda`,
    ],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => parseArgs(argv),
      (e: unknown) =>
        e instanceof InvalidRequestError && e.code === "invalid_request" && e.message === message,
      message,
    );
  }
});
