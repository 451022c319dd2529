/**
 * The OpenAI Videos API's write and list side: `POST /v1/videos`,
 * `GET /v1/videos`, `DELETE /v1/videos/{id}` and `POST /v1/videos/{id}/remix`
 * (reads of one video and its content are routes/videos.ts). Every job is scoped
 * to its owner; another owner's id answers 404 like an unknown one.
 */
import type { Context, Hono } from "hono";
import { ownerOf } from "../auth/owner.ts";
import { apiError } from "../http/api_error.ts";
import { toVideoObject } from "../http/video_object.ts";
import { isJobId } from "../jobs/ids.ts";
import type { JobRegistry } from "../jobs/registry.ts";
import { readBody } from "./body.ts";
import { type PackOffer, startRemix, startVideo } from "./create.ts";
import { ApiFailure, invalidField } from "./failure.ts";
import { createVideoSchema, listVideosQuerySchema, remixVideoSchema } from "./schemas.ts";

/** Mounts the routes on `app`. */
export function openaiRoutes(app: Hono, registry: JobRegistry, offer: PackOffer): void {
  app.post("/v1/videos", (c) =>
    answer(c, async () => {
      const raw = await readBody(c, "Cannot create video");
      if ("input_reference" in raw) {
        throw new ApiFailure(
          400,
          "unsupported_parameter",
          'Cannot create video: field "input_reference" is not supported',
          "input_reference",
        );
      }
      const body = createVideoSchema.safeParse(raw);
      if (!body.success) invalidField("Cannot create video", body.error.issues);
      const record = startVideo(registry, body.data, offer, { owner: ownerOf(c) });
      return c.json(toVideoObject(record));
    }));

  app.get("/v1/videos", (c) =>
    answer(c, () => {
      const query = listVideosQuerySchema.safeParse(c.req.query());
      if (!query.success) invalidField("Cannot list videos", query.error.issues);
      const limit = Number(query.data.limit ?? 20);
      if (limit < 1 || limit > 100) {
        throw new ApiFailure(
          400,
          "invalid_request",
          `Cannot list videos: limit "${limit}" is not from 1 to 100`,
          "limit",
        );
      }
      const page = registry.list({
        owner: ownerOf(c),
        limit,
        order: query.data.order ?? "desc",
        ...(query.data.after !== undefined ? { after: query.data.after } : {}),
      });
      const data = page.data.map(toVideoObject);
      return c.json({
        object: "list",
        data,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
        has_more: page.hasMore,
      });
    }));

  app.delete("/v1/videos/:id", (c) =>
    answer(c, async () => {
      const id = visible(c, registry).id;
      await registry.delete(id);
      return c.json({ id, object: "video.deleted", deleted: true });
    }));

  app.post("/v1/videos/:id/remix", (c) =>
    answer(c, async () => {
      const source = visible(c, registry);
      const body = remixVideoSchema.safeParse(await readBody(c, "Cannot remix video"));
      if (!body.success) invalidField("Cannot remix video", body.error.issues);
      return c.json(toVideoObject(startRemix(registry, source, body.data.prompt, ownerOf(c))));
    }));
}

/** The record of the `:id` in `c` if the caller may see it; else a 404 failure. */
function visible(c: Context, registry: JobRegistry) {
  const id = c.req.param("id") ?? "";
  const record = isJobId(id) ? registry.recordFor(id, ownerOf(c)) : undefined;
  if (!record) throw new ApiFailure(404, "video_not_found", `Cannot find video "${id}"`, "id");
  return record;
}

/** Runs `handler`, answering an ApiFailure as OpenAI's error shape. */
async function answer(c: Context, handler: () => Response | Promise<Response>): Promise<Response> {
  try {
    return await handler();
  } catch (error) {
    if (!(error instanceof ApiFailure)) throw error;
    return apiError(c, error.status, error.code, error.message, error.param);
  }
}
