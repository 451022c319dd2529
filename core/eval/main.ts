/**
 * `deno task eval [--pack DIR] [--limit N] [--seeds N] [--steps N] [--scheduler S] [--guidance G[,A]] [--json]`
 * generates the pack's evaluation set through the engine and scores it;
 * `deno task eval --clips DIR [--json]` scores clip folders made elsewhere (e.g. by
 * the PyTorch sampler during training). Either prints the eval table ending with the
 * `eval:` line (or the report as JSON). Bad input exits 2 with
 * `eval: error <code>: <sentence>` on stderr.
 */
import { parseGuidance } from "../cli/args.ts";
import { EvalError } from "./errors.ts";
import { generateEvalClips } from "./generate.ts";
import { readClips } from "./read.ts";
import { formatReport } from "./report.ts";
import { scoreClips } from "./score.ts";

const USAGE =
  "usage: deno task eval [--clips DIR | --pack DIR [--limit N] [--seeds N] [--steps N] [--scheduler euler|dpmpp2m] [--guidance G[,A]]] [--json]";

/** `G` or `VIDEO,AUDIO`: CFG scales, each a number >= 0. */
function guidanceScales(value: string | undefined): { video: number; audio: number } {
  const scales = parseGuidance(value ?? "");
  if (!scales || scales.video < 0 || scales.audio < 0) {
    throw new EvalError("usage", `Cannot run eval: --guidance "${value}" is not G or VIDEO,AUDIO`);
  }
  return scales;
}

/** Parsed command line. */
export interface EvalArgs {
  clips?: string;
  pack: string;
  limit?: number;
  seeds?: number;
  steps?: number;
  scheduler?: "euler" | "dpmpp2m";
  guidance?: { video: number; audio: number };
  json: boolean;
}

function positiveInt(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new EvalError("usage", `Cannot run eval: ${flag} "${value}" is not a positive integer`);
  }
  return n;
}

/** Parses the flags; throws an EvalError `usage` on anything it does not know. */
export function parseArgs(args: readonly string[]): EvalArgs {
  const out: EvalArgs = { pack: "models/default", json: false };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? args[++i];
    if (flag === "--json") out.json = true;
    else if (flag === "--clips") out.clips = value() ?? "";
    else if (flag === "--pack") out.pack = value() ?? "";
    else if (flag === "--limit") out.limit = positiveInt(flag, value());
    else if (flag === "--seeds") out.seeds = positiveInt(flag, value());
    else if (flag === "--steps") out.steps = positiveInt(flag, value());
    else if (flag === "--guidance") out.guidance = guidanceScales(value());
    else if (flag === "--scheduler") {
      const s = value();
      if (s !== "euler" && s !== "dpmpp2m") {
        throw new EvalError("usage", `Cannot run eval: scheduler "${s}" is not euler or dpmpp2m`);
      }
      out.scheduler = s;
    } else throw new EvalError("usage", `Cannot run eval: unknown argument "${flag}" (${USAGE})`);
  }
  if (out.clips === "" || out.pack === "") {
    throw new EvalError("usage", `Cannot run eval: a folder is missing (${USAGE})`);
  }
  return out;
}

/** Runs the CLI and returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  try {
    const options = parseArgs(args);
    const clips = options.clips ? await readClips(options.clips) : await generateEvalClips(
      options.pack,
      {
        ...(options.limit ? { limit: options.limit } : {}),
        ...(options.seeds ? { seeds: options.seeds } : {}),
        ...(options.steps ? { steps: options.steps } : {}),
        ...(options.scheduler ? { scheduler: options.scheduler } : {}),
        ...(options.guidance ? { guidance: options.guidance } : {}),
        onClip: (done, total) =>
          Deno.stderr.writeSync(new TextEncoder().encode(`\reval: ${done}/${total}`)),
      },
    );
    if (!options.clips) console.error("");
    const report = scoreClips(clips);
    console.log(options.json ? JSON.stringify(report, null, 1) : formatReport(report));
    return 0;
  } catch (error) {
    if (!(error instanceof EvalError)) throw error;
    console.error(`eval: error ${error.code}: ${error.message}`);
    return 2;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
