/**
 * HTTP Range (RFC 9110 §14) for one byte range, which is what video elements and
 * download managers send. Multiple ranges are answered with the whole file, as
 * the RFC allows.
 */

/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a Range header against a file of `size` bytes: null means "send the
 * whole file", "unsatisfiable" means 416.
 *
 * @example
 * ```ts
 * parseRange("bytes=0-99", 1000); // { start: 0, end: 99 }
 * parseRange("bytes=-100", 1000); // { start: 900, end: 999 }
 * ```
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | null | "unsatisfiable" {
  const match = header?.trim().match(/^bytes=(\d*)-(\d*)$/);
  if (!match) return null;
  const [, from, to] = match;
  if (from === "" && to === "") return null;
  if (from === "") {
    const suffix = Number(to);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return { start, end };
}
