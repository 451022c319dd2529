/**
 * `deno task eval --clips DIR [--json]`: scores every clip folder in DIR and prints
 * the eval table (or the report as JSON). Bad input exits 2 with
 * `eval: error <code>: <sentence>` on stderr.
 */
import { EvalError } from "./errors.ts";
import { readClips } from "./read.ts";
import { formatReport } from "./report.ts";
import { scoreClips } from "./score.ts";

const USAGE = "usage: deno task eval --clips DIR [--json]";

/** Parsed command line. */
export interface EvalArgs {
  clips: string;
  json: boolean;
}

/** Parses the flags; throws an EvalError `usage` on anything it does not know. */
export function parseArgs(args: readonly string[]): EvalArgs {
  let clips: string | undefined;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--json") json = true;
    else if (arg.startsWith("--clips=")) clips = arg.slice("--clips=".length);
    else if (arg === "--clips") clips = args[++i];
    else throw new EvalError("usage", `Cannot run eval: unknown argument "${arg}" (${USAGE})`);
  }
  if (!clips) throw new EvalError("usage", `Cannot run eval: --clips DIR is missing (${USAGE})`);
  return { clips, json };
}

/** Runs the CLI and returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  try {
    const options = parseArgs(args);
    const report = scoreClips(await readClips(options.clips));
    console.log(options.json ? JSON.stringify(report, null, 1) : formatReport(report));
    return 0;
  } catch (error) {
    if (!(error instanceof EvalError)) throw error;
    console.error(`eval: error ${error.code}: ${error.message}`);
    return 2;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
