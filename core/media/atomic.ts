/**
 * Atomic file writes: write beside the target, then rename. A reader (the server
 * streaming a finished clip, a crash during encode) sees either no file or a whole one,
 * never a truncated MP4.
 */
import { basename, dirname, join } from "node:path";

/** A hidden temporary path in the same folder as `path`, so rename stays atomic. */
export function tempPathFor(path: string): string {
  const tag = crypto.randomUUID().slice(0, 8);
  return join(dirname(path), `.${basename(path)}.${tag}.tmp`);
}

/**
 * Lets `write` fill a temporary file, then renames it to `path`; removes the temp on
 * failure.
 */
export async function writeAtomically(
  path: string,
  write: (temp: string) => Promise<void>,
): Promise<void> {
  const temp = tempPathFor(path);
  try {
    await write(temp);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/** Writes `bytes` to `path` atomically. */
export function writeFileAtomically(path: string, bytes: Uint8Array): Promise<void> {
  return writeAtomically(path, (temp) => Deno.writeFile(temp, bytes));
}
