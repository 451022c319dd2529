/**
 * `GET /v1/videos/:id` and `GET /v1/videos/:id/content?variant=...` (and HEAD of
 * both): a job's state and files, visible only to the job's owner. Ids are checked
 * against the one id pattern before any lookup, and files are served only from the
 * paths the engine reported, so no request can name a path.
 */
import type { Hono } from "hono";
import type { GenerationOutputs } from "../../core/types.ts";
import { ownerOf } from "../auth/owner.ts";
import { apiError } from "../http/api_error.ts";
import { fileResponse } from "../http/file.ts";
import { toVideoObject } from "../http/video_object.ts";
import { isJobId } from "../jobs/ids.ts";
import type { JobRegistry } from "../jobs/registry.ts";

const CONTENT_TYPES: Record<keyof GenerationOutputs, string> = {
  video: "video/mp4",
  audio: "audio/wav",
  thumbnail: "image/jpeg",
  spritesheet: "image/jpeg",
};

/** Mounts the video resource routes on `app`. */
export function videosRoute(app: Hono, registry: JobRegistry): void {
  app.get("/v1/videos/:id", (c) => {
    const id = c.req.param("id");
    const record = isJobId(id) ? registry.recordFor(id, ownerOf(c)) : undefined;
    if (!record) return apiError(c, 404, "video_not_found", `Cannot find video "${id}"`);
    return c.json(toVideoObject(record));
  });

  app.get("/v1/videos/:id/content", async (c) => {
    const id = c.req.param("id");
    const variant = c.req.query("variant") ?? "video";
    const record = isJobId(id) ? registry.recordFor(id, ownerOf(c)) : undefined;
    if (!record) return apiError(c, 404, "video_not_found", `Cannot find video "${id}"`);
    if (!Object.hasOwn(CONTENT_TYPES, variant)) {
      return apiError(c, 400, "invalid_variant", `Cannot serve variant "${variant}"`);
    }
    const key = variant as keyof GenerationOutputs;
    if (!record.files) {
      return apiError(c, 409, "video_not_ready", `Cannot serve video "${id}": it has no outputs`);
    }
    try {
      return await fileResponse(
        record.files[key],
        CONTENT_TYPES[key],
        c.req.header("range"),
        c.req.method,
      );
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      return apiError(c, 404, "content_not_found", `Cannot find ${variant} of video "${id}"`);
    }
  });
}
