/** Byte buffers laid end to end, for the files this folder assembles (JPEG, MP4). */

/** The parts one after the other, in one new buffer. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
