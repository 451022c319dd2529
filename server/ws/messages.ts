/**
 * Zod schemas for what clients send, mirroring the plain types in
 * client/protocol.ts (the client stays dependency-free, so the schemas live here).
 * Bounds here are about message shape; the engine's `resolve` checks what the pack
 * supports (sizes, durations).
 */
import { z } from "zod";
import type { ClientMessage } from "../../client/protocol.ts";

const jobId = z.string().min(1).max(64);
const guidance = z.object({
  video: z.number().min(0).max(50),
  audio: z.number().min(0).max(50),
}).partial().strict();
const prompt = z.string().max(2000);

/** `generate`: every field but the prompt is optional; the pack fills defaults. */
export const generateSchema = z.object({
  type: z.literal("generate"),
  clientId: z.string().min(1).max(128).optional(),
  prompt: prompt.min(1),
  negativePrompt: prompt.optional(),
  size: z.string().regex(/^\d{1,5}x\d{1,5}$/, 'must look like "WxH"').optional(),
  width: z.number().int().positive().max(8192).optional(),
  height: z.number().int().positive().max(8192).optional(),
  seconds: z.number().positive().max(600).optional(),
  steps: z.number().int().min(1).max(1000).optional(),
  guidance: guidance.optional(),
  seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  scheduler: z.enum(["euler", "dpmpp2m"]).optional(),
  previewEvery: z.number().int().min(0).max(1000).optional(),
}).strict();

/** Every message a client may send, keyed by `type`. */
export const clientMessageSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("hello"),
    protocol: z.number().int(),
    client: z.string().max(200).optional(),
    capabilities: z.object({
      previewFormats: z.array(z.enum(["jpeg", "webp"])).optional(),
      audio: z.boolean().optional(),
      resume: z.boolean().optional(),
      frameBundles: z.boolean().optional(),
      // Strings, not an enum: a newer client may list formats this server does not know.
      audioFormats: z.array(z.string().max(32)).max(16).optional(),
    }).optional(),
  }),
  generateSchema,
  z.object({
    type: z.literal("steer"),
    job: jobId,
    prompt: prompt.min(1).optional(),
    negativePrompt: prompt.optional(),
    guidance: guidance.optional(),
  }).strict(),
  z.object({ type: z.literal("cancel"), job: jobId }).strict(),
  z.object({
    type: z.literal("resume"),
    job: jobId,
    lastSeq: z.number().int().min(0),
  }).strict(),
  z.object({ type: z.literal("ping"), id: z.string().max(128).optional() }).strict(),
]);

/** The message types a client may send, read off the schema. */
const MESSAGE_TYPES: readonly string[] = clientMessageSchema.options.map((o) => o.shape.type.value);

/** Which job or generate an error answers, so the client can route it to its caller. */
export interface ErrorRef {
  job?: string;
  clientId?: string;
}

/** A parse result: the message, or the sentence for an `invalid_request` error. */
export type ParseResult =
  | { ok: true; message: ClientMessage }
  | { ok: false; code: "bad_message" | "invalid_request"; message: string; ref?: ErrorRef };

/** Parses one text frame; never throws. */
export function parseClientMessage(text: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, code: "bad_message", message: "Cannot read message: it is not JSON" };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, code: "bad_message", message: "Cannot read message: it is not an object" };
  }
  const parsed = clientMessageSchema.safeParse(raw);
  if (parsed.success) return { ok: true, message: parsed.data as ClientMessage };
  return {
    ok: false,
    code: "invalid_request",
    message: sentence(raw, parsed.error.issues[0]),
    ref: refOf(raw),
  };
}

/** The first problem of a message, named the way its sender wrote it. */
function sentence(raw: object, issue: z.core.$ZodIssue | undefined): string {
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== "string" || !MESSAGE_TYPES.includes(type)) {
    const known = MESSAGE_TYPES.map((t) => `"${t}"`).join(", ");
    return `Cannot read message: its "type" ${
      type === undefined ? "is missing" : `${JSON.stringify(type)} is unknown`
    } (one of ${known})`;
  }
  if (issue?.code === "unrecognized_keys") {
    const keys = issue.keys.map((k) => `"${k}"`).join(", ");
    return `Cannot accept "${type}" message: it has unknown ${
      issue.keys.length > 1 ? "fields" : "field"
    } ${keys}`;
  }
  const path = issue?.path.join(".") || "type";
  return `Cannot accept "${type}" message: field "${path}" ${
    issue?.message.toLowerCase() ?? "is invalid"
  }`;
}

/**
 * The `job` and `clientId` of a message, those that are strings. A refused steer
 * names its job, so the client hands the error to that generation instead of
 * dropping it as no one's.
 */
export function refOf(message: object): ErrorRef {
  const { job, clientId } = message as { job?: unknown; clientId?: unknown };
  return {
    ...(typeof job === "string" ? { job } : {}),
    ...(typeof clientId === "string" ? { clientId } : {}),
  };
}
