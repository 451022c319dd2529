/**
 * `/openapi.json` is built from the zod schemas the routes validate with, and
 * `/docs` renders it with nothing fetched from elsewhere (it works offline).
 */
import assert from "node:assert/strict";
import { createVideoSchema } from "../server/openai/schemas.ts";
import { FakeEngine } from "./_fake_engine.ts";
import { withServer } from "./_server.ts";

Deno.test("/openapi.json describes every route from the request schemas; /docs is self-contained", async () => {
  await withServer({ engine: new FakeEngine() }, async ({ url }) => {
    const doc = await (await fetch(`${url}/openapi.json`)).json();
    assert.equal(doc.openapi, "3.1.0");
    assert.deepEqual(Object.keys(doc.paths).sort(), [
      "/v1/tokens",
      "/v1/videos",
      "/v1/videos/{id}",
      "/v1/videos/{id}/content",
      "/v1/videos/{id}/remix",
    ]);
    const create = doc.components.schemas.CreateVideoRequest;
    assert.deepEqual(Object.keys(create.properties), Object.keys(createVideoSchema.shape));
    assert.deepEqual(create.required, ["prompt"]);
    assert.equal(create.properties.prompt.maxLength, 2000);
    const ops = Object.values(doc.paths).flatMap((p) => Object.values(p as object));
    for (const op of ops) assert.ok(op.responses, `${op.operationId} lists its answers`);

    const html = await (await fetch(`${url}/docs`)).text();
    for (const path of Object.keys(doc.paths)) assert.ok(html.includes(path), path);
    assert.ok(html.includes("CreateVideoRequest"));
    assert.doesNotMatch(html, /<(script|link)\b/i, "no scripts or stylesheets to fetch");
    assert.doesNotMatch(html, /(src|href)="https?:/i, "no external URLs");
  });
});
