/**
 * Zod schemas of the OpenAI-compatible REST API. The same objects validate
 * requests in the routes and generate /openapi.json, so the description cannot
 * drift from what the server accepts. Numbers may arrive as strings: the official
 * client sends `create` as a multipart form, where every field is text, and
 * OpenAI's own `seconds` is a string ("4").
 */
import { z } from "zod";

/** A number, or its decimal text as a form field carries it. */
const numeric = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/, "must be a number")]);

/** The prompt, as bounded as the WebSocket's. */
const prompt = z.string().min(1).max(2000);

/** `POST /v1/videos`: OpenAI's fields plus Emerge's sampler knobs. */
export const createVideoSchema = z.object({
  prompt: prompt.describe("What the clip shows and sounds like"),
  model: z.string().max(200).optional().describe(
    "Accepted for compatibility; the server runs one pack and reports its name",
  ),
  seconds: numeric.optional().describe('Clip length in seconds, e.g. "4"'),
  size: z.string().regex(/^\d{1,5}x\d{1,5}$/, 'must look like "WxH"').optional()
    .describe('"WxH", one of the pack\'s aspect buckets, e.g. "64x64"'),
  seed: numeric.optional().describe("Noise seed (Emerge extension)"),
  steps: numeric.optional().describe("Sampler steps (Emerge extension)"),
  negative_prompt: z.string().max(2000).optional().describe("Emerge extension"),
  guidance_video: numeric.optional().describe("Video CFG scale (Emerge extension)"),
  guidance_audio: numeric.optional().describe("Audio CFG scale (Emerge extension)"),
});

/** The parsed create body. */
export type CreateVideoBody = z.infer<typeof createVideoSchema>;

/** `POST /v1/videos/{id}/remix`. */
export const remixVideoSchema = z.object({
  prompt: prompt.describe("The new prompt; size, seconds, seed and steps are kept"),
});

/** `GET /v1/videos` query. */
export const listVideosQuerySchema = z.object({
  limit: z.string().regex(/^\d+$/, "must be a whole number").optional()
    .describe("Page size, 1 to 100 (default 20)"),
  after: z.string().max(64).optional().describe("The last id of the previous page"),
  order: z.enum(["asc", "desc"]).optional().describe("By creation time (default desc)"),
});

/** `GET /v1/videos/{id}/content` query. */
export const contentQuerySchema = z.object({
  variant: z.enum(["video", "thumbnail", "spritesheet", "audio"]).optional()
    .describe('"audio" (WAV) is an Emerge extension; default "video"'),
});

/** OpenAI's video object. */
export const videoObjectSchema = z.object({
  id: z.string(),
  object: z.literal("video"),
  status: z.enum(["queued", "in_progress", "completed", "failed"]),
  progress: z.number().describe("Percent, 0 to 100"),
  size: z.string(),
  seconds: z.string(),
  model: z.string(),
  prompt: z.string(),
  created_at: z.number().describe("Unix seconds"),
  completed_at: z.number().nullable(),
  expires_at: z.number().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  remixed_from_video_id: z.string().nullable(),
});

/** `GET /v1/videos` answer. */
export const videoListSchema = z.object({
  object: z.literal("list"),
  data: z.array(videoObjectSchema),
  first_id: z.string().nullable(),
  last_id: z.string().nullable(),
  has_more: z.boolean(),
});

/** `DELETE /v1/videos/{id}` answer. */
export const videoDeletedSchema = z.object({
  id: z.string(),
  object: z.literal("video.deleted"),
  deleted: z.boolean(),
});

/** Every error answer. */
export const errorSchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.string(),
  }),
});

/** `POST /v1/tokens` answer. */
export const tokenSchema = z.object({
  token: z.string().describe("Pass as ?token= on /v1/stream and content URLs"),
  expires_at: z.number().describe("Unix seconds"),
});
