/** Reading clip folders (models/WORLD.md, "Clip folders") into in-memory clips. */
import { basename, join } from "node:path";
import type { Clip } from "./clip.ts";
import { EvalError } from "./errors.ts";
import { decodeWav } from "./wav.ts";
import { ATTRIBUTE_NAMES, type Attributes } from "./world.ts";

/**
 * Reads every sub-folder of `dir` as a clip, sorted by name.
 * Throws an EvalError: `clips_not_found` when `dir` is not a folder, `no_clips` when
 * it has no sub-folder, `clip_invalid` when one breaks the format.
 */
export async function readClips(dir: string): Promise<Clip[]> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    throw new EvalError("clips_not_found", `Cannot read clips: folder "${dir}" was not found`, {
      cause: error,
    });
  }
  const names = entries.filter((e) => e.isDirectory).map((e) => e.name).sort();
  if (names.length === 0) {
    throw new EvalError("no_clips", `Cannot score clips: folder "${dir}" has no clip folders`);
  }
  const clips: Clip[] = [];
  // One at a time: a folder of hundreds of clips should not hold every file open at once.
  for (const name of names) clips.push(await readClip(join(dir, name)));
  return clips;
}

/** Reads one clip folder: meta.json, frames.rgb.gz and audio.wav. */
export async function readClip(dir: string): Promise<Clip> {
  const fail = (detail: string, cause?: unknown): never => {
    throw new EvalError("clip_invalid", `Cannot read clip "${dir}": ${detail}`, { cause });
  };
  const read = (file: string) =>
    Deno.readFile(join(dir, file)).catch((e) => fail(`${file} is missing or unreadable`, e));

  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(new TextDecoder().decode(await read("meta.json")));
  } catch (error) {
    if (error instanceof EvalError) throw error;
    return fail("meta.json is not valid JSON", error);
  }
  if (typeof meta !== "object" || meta === null) return fail("meta.json is not an object");
  const int = (key: string): number => {
    const value = meta[key];
    return Number.isInteger(value) && (value as number) > 0
      ? value as number
      : fail(`meta.json has no positive integer "${key}"`);
  };
  const width = int("width"), height = int("height"), fps = int("fps"), frames = int("frames");
  const sampleRate = int("sample_rate");
  const attributes = readAttributes(meta["attributes"]) ?? fail(
    `meta.json "attributes" must name ${ATTRIBUTE_NAMES.join(", ")} as strings`,
  );
  const hits = meta["hits"];
  if (hits !== undefined && !(Array.isArray(hits) && hits.every(Number.isInteger))) {
    fail(`meta.json "hits" must be a list of frame indices`);
  }

  const pixels = await gunzip(await read("frames.rgb.gz")).catch((e) =>
    fail("frames.rgb.gz is not gzip", e)
  );
  const expected = frames * height * width * 3;
  if (pixels.length !== expected) {
    fail(`frames.rgb.gz holds ${pixels.length} bytes, not ${frames}x${height}x${width}x3`);
  }
  let wave;
  try {
    wave = decodeWav(await read("audio.wav"));
  } catch (error) {
    if (error instanceof EvalError) throw error;
    return fail(`audio.wav cannot be decoded (${(error as Error).message})`, error);
  }
  if (wave.sampleRate !== sampleRate) {
    fail(`audio.wav is at ${wave.sampleRate} Hz but meta.json says ${sampleRate}`);
  }
  const clip: Clip = {
    id: basename(dir),
    frames: pixels,
    width,
    height,
    fps,
    waveform: wave.samples,
    sampleRate: wave.sampleRate,
    attributes,
    heldout: meta["heldout"] === true,
  };
  if (Array.isArray(hits)) clip.hits = hits as number[];
  return clip;
}

function readAttributes(value: unknown): Attributes | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  for (const name of ATTRIBUTE_NAMES) if (typeof record[name] !== "string") return undefined;
  return record as unknown as Attributes;
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
