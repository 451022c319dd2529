/** Where a job's files are served; the videos routes answer exactly these paths. */
import type { OutputUrls } from "../../client/protocol.ts";

/** One variant of a video's content, relative to the server's origin. */
export function contentUrl(id: string, variant: keyof OutputUrls): string {
  return `/v1/videos/${id}/content?variant=${variant}`;
}

/** All output URLs of job `id`. */
export function outputUrls(id: string): OutputUrls {
  return {
    video: contentUrl(id, "video"),
    audio: contentUrl(id, "audio"),
    thumbnail: contentUrl(id, "thumbnail"),
    spritesheet: contentUrl(id, "spritesheet"),
  };
}
