/**
 * `deno task train [--quick | --preset cpu|gpu] [--set section.field=value ...]
 *   [--work DIR] [--out DIR] [--background] [--eval-clips N]`
 *
 * Reproduces a model pack from scratch with Debian's PyTorch (`/usr/bin/python3`),
 * then scores the clips the training sampled and writes the pack's MODEL_CARD.md.
 * `--background` detaches the run and logs to `<work>/train.log`. A killed run
 * resumes from its checkpoints when started again with the same `--work`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { formatReport, readClips, scoreClips } from "../core/eval/mod.ts";
import { writeModelCard } from "./model_card.ts";

export const PYTHON = Deno.env.get("EMERGE_PYTHON") ?? "/usr/bin/python3";
export const TORCH_INSTALL =
  "apt-get install -y python3-torch python3-onnx python3-numpy libopenblas0-pthread";

/** Why training cannot run here, or null when Debian's torch and onnx import. */
export async function torchMissing(): Promise<string | null> {
  try {
    const probe = await new Deno.Command(PYTHON, {
      args: ["-c", "import torch, onnx, numpy"],
      stdout: "null",
      stderr: "null",
    }).output();
    return probe.success ? null : `${PYTHON} cannot import torch, onnx and numpy`;
  } catch {
    return `${PYTHON} is not installed`;
  }
}

/** The scorer's table for a folder of clips, scored in this process. */
async function scoreFolder(dir: string): Promise<string> {
  return formatReport(scoreClips(await readClips(dir)));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      work: { type: "string" },
      out: { type: "string" },
      background: { type: "boolean", default: false },
      "eval-clips": { type: "string" },
      preset: { type: "string" },
      set: { type: "string", multiple: true },
    },
  });
  const missing = await torchMissing();
  if (missing) {
    console.error(`train: ${missing}; install it with: ${TORCH_INSTALL}`);
    return 2;
  }
  const work = values.work ?? (values.quick ? "models/.work/quick" : "models/.work/full");
  const out = values.out ?? (values.quick ? `${work}/pack` : "models/default");
  await Deno.mkdir(work, { recursive: true });
  if (values.background) {
    const args = Deno.args.filter((a) => a !== "--background");
    const log = `${work}/train.log`;
    // setsid: the run outlives this shell and can be stopped as one process group.
    const child = new Deno.Command("setsid", {
      args: [
        "sh",
        "-c",
        `exec "${Deno.execPath()}" run -A "${import.meta.filename}" ${
          args.map((a) => `'${a}'`).join(" ")
        } >> "${log}" 2>&1`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    child.unref();
    console.log(`train: running in the background (pid ${child.pid}), log: ${log}`);
    return 0;
  }
  const pyArgs = [new URL("./train.py", import.meta.url).pathname, "--work", work, "--out", out];
  if (values.quick) pyArgs.push("--quick", "--eval-clips", values["eval-clips"] ?? "1");
  else if (values["eval-clips"]) pyArgs.push("--eval-clips", values["eval-clips"]);
  if (values.preset) pyArgs.push("--preset", values.preset);
  for (const item of values.set ?? []) pyArgs.push("--set", item);
  const env = {
    OPENBLAS_NUM_THREADS: Deno.env.get("OPENBLAS_NUM_THREADS") ?? "2",
    // glibc returned the DiT's activations to the kernel every step and faulted them
    // back in: 30-40 % system time. Keeping them in the heap took a step of batch 24
    // from 3.2 s to 1.9 s on this 2-core machine.
    MALLOC_MMAP_THRESHOLD_: "67108864",
    MALLOC_TRIM_THRESHOLD_: "1073741824",
    MALLOC_TOP_PAD_: "268435456",
  };
  const py = await new Deno.Command(PYTHON, {
    args: pyArgs,
    env,
    stdout: "inherit",
    stderr: "inherit",
  })
    .spawn().status;
  if (!py.success) {
    console.error(`train: ${PYTHON} models/train.py exited ${py.code}`);
    return 1;
  }
  const samples = await scoreFolder(`${work}/eval/samples`);
  const ceiling = await scoreFolder(`${work}/eval/ceiling`);
  await writeModelCard(out, { samples, ceiling });
  console.log(samples.trim().split("\n").at(-1));
  console.log(`train: pack and MODEL_CARD.md in ${out}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
