/**
 * Job ids double as REST resource ids and as folder names under the data dir, so
 * they are generated here and checked by one strict pattern before any lookup:
 * nothing a client sends can name a path.
 */

const ID_PATTERN = /^video_[0-9a-f]{24}$/;

/** A new random id, shaped like OpenAI's `video_...` ids. */
export function newJobId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return "video_" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether `id` could have come from {@linkcode newJobId}. */
export function isJobId(id: string): boolean {
  return ID_PATTERN.test(id);
}
