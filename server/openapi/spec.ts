/**
 * The OpenAPI 3.1 description of the REST API, built from the zod schemas the
 * routes validate with (`z.toJSONSchema`), so it cannot say something the server
 * does not do. OpenAPI 3.1 uses JSON Schema 2020-12, which is what zod emits.
 */
import { z } from "zod";
import {
  contentQuerySchema,
  createVideoSchema,
  errorSchema,
  listVideosQuerySchema,
  remixVideoSchema,
  tokenSchema,
  videoDeletedSchema,
  videoListSchema,
  videoObjectSchema,
} from "../openai/schemas.ts";

/** An OpenAPI document, loosely typed: it is only serialized. */
export type OpenApiDocument = Record<string, unknown>;

type Schema = z.ZodType;

const COMPONENTS: Record<string, Schema> = {
  CreateVideoRequest: createVideoSchema,
  RemixVideoRequest: remixVideoSchema,
  Video: videoObjectSchema,
  VideoList: videoListSchema,
  VideoDeleted: videoDeletedSchema,
  Token: tokenSchema,
  Error: errorSchema,
};

/** Builds the document for a server reporting `version`. */
export function openApiDocument(version: string): OpenApiDocument {
  const schemas = Object.fromEntries(
    Object.entries(COMPONENTS).map(([name, schema]) => [name, jsonSchema(schema)]),
  );
  const idParam = {
    name: "id",
    in: "path",
    required: true,
    schema: { type: "string", pattern: "^video_[0-9a-f]{24}$" },
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "Emerge",
      version,
      description: "Joint audio-video diffusion, OpenAI Videos API compatible. " +
        "The live stream (previews, steer, cancel, resume) is the WebSocket at /v1/stream; " +
        "see client/PROTOCOL.md.",
    },
    components: {
      schemas,
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
    security: [{ bearer: [] }],
    paths: {
      "/v1/videos": {
        post: op("Create a video", "createVideo", {
          body: { json: "CreateVideoRequest", form: true },
          ok: "Video",
          errors: [400, 401, 413],
        }),
        get: op("List your videos, newest first", "listVideos", {
          query: listVideosQuerySchema,
          ok: "VideoList",
          errors: [400, 401],
        }),
      },
      "/v1/videos/{id}": {
        get: op("Retrieve a video", "getVideo", {
          params: [idParam],
          ok: "Video",
          errors: [401, 404],
        }),
        delete: op("Delete a video and its files (cancels it if running)", "deleteVideo", {
          params: [idParam],
          ok: "VideoDeleted",
          errors: [401, 404],
        }),
      },
      "/v1/videos/{id}/content": {
        get: op("Download a video's MP4, thumbnail, spritesheet or WAV", "getVideoContent", {
          params: [idParam],
          query: contentQuerySchema,
          binary: true,
          errors: [400, 401, 404, 409],
        }),
      },
      "/v1/videos/{id}/remix": {
        post: op("Remix a video with a new prompt", "remixVideo", {
          params: [idParam],
          body: { json: "RemixVideoRequest" },
          ok: "Video",
          errors: [400, 401, 404],
        }),
      },
      "/v1/tokens": {
        post: op(
          "Trade an API key for a short-lived token (WebSocket, media URLs)",
          "createToken",
          {
            ok: "Token",
            errors: [401],
          },
        ),
      },
    },
  };
}

interface OpSpec {
  params?: Record<string, unknown>[];
  query?: z.ZodObject;
  body?: { json: string; form?: boolean };
  ok?: string;
  binary?: boolean;
  errors: number[];
}

function op(summary: string, operationId: string, spec: OpSpec): Record<string, unknown> {
  const parameters = [...(spec.params ?? [])];
  for (const [name, schema] of Object.entries(spec.query?.shape ?? {})) {
    const json = jsonSchema(schema as Schema);
    parameters.push({
      name,
      in: "query",
      required: false,
      schema: json,
      description: json.description,
    });
  }
  const responses: Record<string, unknown> = {};
  if (spec.ok) responses["200"] = jsonContent("OK", spec.ok);
  if (spec.binary) {
    responses["200"] = {
      description: "The file; honours Range",
      content: Object.fromEntries(
        ["video/mp4", "image/jpeg", "audio/wav"].map((
          t,
        ) => [t, { schema: { type: "string", format: "binary" } }]),
      ),
    };
  }
  for (const status of spec.errors) responses[String(status)] = jsonContent("Error", "Error");
  const out: Record<string, unknown> = { summary, operationId, parameters, responses };
  if (spec.body) {
    const ref = { $ref: `#/components/schemas/${spec.body.json}` };
    const content: Record<string, unknown> = { "application/json": { schema: ref } };
    if (spec.body.form) content["multipart/form-data"] = { schema: ref };
    out.requestBody = { required: true, content };
  }
  return out;
}

function jsonContent(description: string, name: string) {
  return {
    description,
    content: { "application/json": { schema: { $ref: `#/components/schemas/${name}` } } },
  };
}

function jsonSchema(schema: Schema): Record<string, unknown> & { description?: string } {
  const { $schema: _, id: __, ...rest } = z.toJSONSchema(schema, { io: "input" }) as Record<
    string,
    unknown
  >;
  return rest;
}
