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
 * failure, and when `signal` fired meanwhile (then it throws the abort reason and
 * `path` is never created).
 */
export async function writeAtomically(
  path: string,
  write: (temp: string) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const temp = tempPathFor(path);
  try {
    signal?.throwIfAborted();
    await write(temp);
    signal?.throwIfAborted();
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/** Writes `bytes` to `path` atomically. */
export function writeFileAtomically(
  path: string,
  bytes: Uint8Array,
  signal?: AbortSignal,
): Promise<void> {
  return writeAtomically(path, (temp) => Deno.writeFile(temp, bytes), signal);
}
