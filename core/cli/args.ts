/**
 * The flags of `deno task generate`, parsed by hand so every bad flag gets its own
 * sentence (`Cannot parse flags: --steps "ten" is not a whole number`) and the stable
 * code `invalid_request`. Range checks are left to the engine's request check, which
 * gives the same messages as the server.
 */
import { basename } from "node:path";
import { InvalidRequestError } from "../errors.ts";
import { SAFE_ID } from "../request.ts";
import type { GenerationRequest, SchedulerKind } from "../types.ts";

/** What the command line asks for. */
export interface CliArgs {
  request: Partial<GenerationRequest> & { prompt: string };
  out: string;
  pack: string;
  device: "cpu" | "cuda";
  help: boolean;
}

/** The usage text printed by `--help`. */
export const USAGE = `Usage: deno task generate --prompt "..." [options]

  --prompt TEXT       what to generate (required)
  --out FILE.mp4      output video; .wav, .jpg and .sprite.jpg go beside it (default clip.mp4)
  --negative TEXT     negative prompt (default empty)
  --seed N            0..4294967295 (default random)
  --steps N           sampler steps (default from the pack)
  --size WxH          e.g. 64x64, 96x64 (default the pack's first size)
  --seconds S         clip length (default the pack's first duration)
  --guidance G[,A]    CFG scale for video, and audio if given (default from the pack)
  --scheduler NAME    euler | dpmpp2m (default from the pack)
  --pack DIR          model pack folder (default models/default)
  --device NAME       cpu | cuda (default cpu)
`;

const FLAGS = new Set([
  "prompt",
  "out",
  "negative",
  "seed",
  "steps",
  "size",
  "seconds",
  "guidance",
  "scheduler",
  "pack",
  "device",
  "help",
]); // deno-fmt-ignore

/** `--pack`'s default, as the usage shows it: the pack beside the code. */
export const DEFAULT_PACK = "models/default";

function fail(why: string): never {
  throw new InvalidRequestError(`Cannot parse flags: ${why}`);
}

function wholeNumber(flag: string, text: string): number {
  if (!/^\d+$/.test(text)) fail(`--${flag} "${text}" is not a whole number`);
  return Number(text);
}

/** Decimal only: Number() would also take "0x10", "0b1" and " 2 ". */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function number(flag: string, text: string): number {
  if (!DECIMAL.test(text)) fail(`--${flag} "${text}" is not a number`);
  return Number(text);
}

/**
 * `G` or `VIDEO,AUDIO` as CFG scales (one number serves both); null for anything
 * else. Range checks are left to the caller. Shared by `generate` and `eval`.
 */
export function parseGuidance(text: string): { video: number; audio: number } | null {
  const parts = text.split(",");
  if (parts.length > 2 || !parts.every((p) => DECIMAL.test(p))) return null;
  const [video, audio = video] = parts.map(Number) as [number, number?];
  return { video, audio };
}

/** Parses `argv`; throws InvalidRequestError naming the first bad flag. */
export function parseArgs(argv: string[]): CliArgs {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) fail(`"${arg}" is not a flag (flags start with --)`);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (!FLAGS.has(name)) fail(`--${name} is not a known flag (see --help)`);
    if (values.has(name)) fail(`--${name} is given twice`);
    if (name === "help") {
      values.set(name, "");
      continue;
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || (eq === -1 && value.startsWith("--"))) {
      fail(`--${name} needs a value`);
    }
    values.set(name, value);
  }
  const help = values.has("help");
  const prompt = values.get("prompt");
  if (prompt === undefined && !help) fail(`--prompt is required`);

  const request: CliArgs["request"] = { prompt: prompt ?? "", previewEvery: 0 };
  const get = (name: string) => values.get(name);
  if (get("negative") !== undefined) request.negativePrompt = get("negative")!;
  if (get("seed") !== undefined) request.seed = wholeNumber("seed", get("seed")!);
  if (get("steps") !== undefined) request.steps = wholeNumber("steps", get("steps")!);
  if (get("seconds") !== undefined) request.seconds = number("seconds", get("seconds")!);
  const size = get("size");
  if (size !== undefined) {
    const match = /^(\d+)x(\d+)$/.exec(size);
    if (!match) fail(`--size "${size}" is not WIDTHxHEIGHT, e.g. 96x64`);
    request.width = Number(match[1]);
    request.height = Number(match[2]);
  }
  const guidance = get("guidance");
  if (guidance !== undefined) {
    request.guidance = parseGuidance(guidance) ??
      fail(`--guidance "${guidance}" is not G or VIDEO,AUDIO`);
  }
  const scheduler = get("scheduler");
  if (scheduler !== undefined) {
    if (scheduler !== "euler" && scheduler !== "dpmpp2m") {
      fail(`--scheduler "${scheduler}" is not one of euler, dpmpp2m`);
    }
    request.scheduler = scheduler as SchedulerKind;
  }
  const out = get("out") ?? "clip.mp4";
  if (!out.endsWith(".mp4") || out.endsWith("/.mp4") || out === ".mp4") {
    fail(`--out "${out}" is not a .mp4 file name`);
  }
  if (!SAFE_ID.test(basename(out, ".mp4"))) {
    fail(`--out "${out}": the file name may only hold letters, digits, ".", "_" and "-"`);
  }
  const device = get("device") ?? "cpu";
  if (device !== "cpu" && device !== "cuda") fail(`--device "${device}" is not one of cpu, cuda`);
  return { request, out, pack: get("pack") ?? DEFAULT_PACK, device, help };
}
