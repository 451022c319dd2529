/**
 * The official `openai` npm client against a real Emerge server on a free port:
 * every call of its videos API (create as a multipart form, retrieve, list with
 * cursors, download, remix, delete) and its typed errors for our answers. A
 * scripted engine keeps it fast; what is tested is the HTTP surface.
 */
import assert from "node:assert/strict";
import OpenAI, { BadRequestError, NotFoundError } from "openai";
import { videoListSchema, videoObjectSchema } from "../server/openai/schemas.ts";
import { FakeEngine } from "./_fake_engine.ts";
import { withServer } from "./_server.ts";

const SERVER = { sizes: ["64x64", "96x64"], durations: [2, 4], model: "emerge-test" };

function sdk(url: string): OpenAI {
  return new OpenAI({ apiKey: "unused", baseURL: `${url}/v1`, maxRetries: 0 });
}

type Video = Awaited<ReturnType<OpenAI["videos"]["retrieve"]>>;

async function poll(client: OpenAI, id: string): Promise<Video> {
  for (let i = 0; i < 200; i++) {
    const video = await client.videos.retrieve(id);
    if (video.status === "completed" || video.status === "failed") return video;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`Video "${id}" did not finish`);
}

Deno.test("openai SDK: create, poll, download, list, remix, delete", async () => {
  await withServer({ engine: new FakeEngine({ stepMs: 2 }), ...SERVER }, async ({ url }) => {
    const client = sdk(url);
    // The SDK types seconds and size as Sora's values; Emerge's pack has its own.
    const created = await client.videos.create({
      prompt: "a red ball bounces",
      model: "sora-2",
      seconds: "2" as "4",
      size: "64x64" as "720x1280",
    });
    videoObjectSchema.parse(created);
    assert.match(created.id, /^video_[0-9a-f]{24}$/);
    assert.ok(["queued", "in_progress"].includes(created.status));
    assert.equal(created.size, "64x64");
    assert.equal(created.seconds, "2");
    assert.equal(created.model, "emerge-test");

    const done = await poll(client, created.id);
    assert.equal(done.status, "completed");
    assert.equal(done.progress, 100);
    assert.ok(done.completed_at! >= done.created_at);
    assert.equal(done.error, null);

    for (const variant of ["video", "thumbnail", "spritesheet"] as const) {
      const res = await client.videos.downloadContent(created.id, { variant });
      const bytes = new Uint8Array(await res.arrayBuffer());
      assert.equal(bytes.length, 1000, `${variant} has the engine's bytes`);
    }
    const wav = await fetch(`${url}/v1/videos/${created.id}/content?variant=audio`);
    assert.equal(wav.headers.get("content-type"), "audio/wav");
    await wav.body?.cancel();

    const remix = await client.videos.remix(created.id, { prompt: "a blue ball bounces" });
    assert.equal(remix.remixed_from_video_id, created.id);
    assert.equal(remix.prompt, "a blue ball bounces");
    assert.equal(remix.size, "64x64");
    assert.equal((await poll(client, remix.id)).status, "completed");

    // JSON create (as curl users send it) with Emerge's extensions.
    const res = await fetch(`${url}/v1/videos`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "a third", size: "96x64", seconds: 4, steps: 3, seed: 5 }),
    });
    const third = videoObjectSchema.parse(await res.json());
    assert.equal(third.size, "96x64");
    assert.equal(third.seconds, "4");
    await poll(client, third.id);

    // One per page: the SDK follows last_id/has_more through all three, newest first.
    const ids: string[] = [];
    for await (const video of client.videos.list({ limit: 1 })) ids.push(video.id);
    assert.deepEqual(ids, [third.id, remix.id, created.id]);
    const asc = await (await fetch(`${url}/v1/videos?order=asc&limit=2`)).json();
    videoListSchema.parse(asc);
    assert.deepEqual(asc.data.map((v: Video) => v.id), [created.id, remix.id]);
    assert.equal(asc.first_id, created.id);
    assert.equal(asc.last_id, remix.id);
    assert.equal(asc.has_more, true);

    const deleted = await client.videos.delete(remix.id);
    assert.deepEqual(deleted, { id: remix.id, object: "video.deleted", deleted: true });
    await assert.rejects(client.videos.retrieve(remix.id), NotFoundError);
    const after = await (await fetch(`${url}/v1/videos?order=asc`)).json();
    assert.deepEqual(after.data.map((v: Video) => v.id), [created.id, third.id]);
  });
});

Deno.test("openai SDK: bad sizes, bad fields and unknown ids raise its typed errors", async () => {
  await withServer({ engine: new FakeEngine(), ...SERVER }, async ({ url }) => {
    const client = sdk(url);
    const badSize = await client.videos.create({ prompt: "x", size: "70x70" as "720x1280" })
      .catch((e) => e);
    assert.ok(badSize instanceof BadRequestError, String(badSize));
    assert.equal(badSize.status, 400);
    assert.equal(badSize.code, "invalid_size");
    assert.equal(badSize.param, "size");
    assert.match(badSize.message, /size "70x70" is not one of "64x64", "96x64"/);

    const badSeconds = await client.videos.create({ prompt: "x", seconds: "12" }).catch((e) => e);
    assert.ok(badSeconds instanceof BadRequestError);
    assert.equal(badSeconds.param, "seconds");

    const badSeed = await client.videos.create({ prompt: "x", seed: "soon" } as never)
      .catch((e) => e);
    assert.ok(badSeed instanceof BadRequestError);
    assert.equal(badSeed.param, "seed");

    // Fields are named as the REST body names them.
    const badGuidance = await client.videos.create({ prompt: "x", guidance_video: -5 } as never)
      .catch((e) => e);
    assert.ok(badGuidance instanceof BadRequestError);
    assert.equal(badGuidance.param, "guidance_video");
    assert.match(badGuidance.message, /field "guidance_video"/);

    const missing = "video_000000000000000000000000";
    for (
      const call of [
        () => client.videos.retrieve(missing),
        () => client.videos.delete(missing),
        () => client.videos.remix(missing, { prompt: "y" }),
        () => client.videos.downloadContent(missing),
        () => client.videos.retrieve("../../etc/passwd"),
      ]
    ) {
      const error = await call().catch((e) => e);
      assert.ok(error instanceof NotFoundError, String(error));
      assert.equal(error.type, "invalid_request_error");
    }

    const raw = await fetch(`${url}/v1/videos`, { method: "POST", body: "{not json" });
    assert.equal(raw.status, 400);
    assert.equal((await raw.json()).error.code, "invalid_json");
    const limit = await fetch(`${url}/v1/videos?limit=500`);
    assert.equal(limit.status, 400);
    assert.equal((await limit.json()).error.param, "limit");
  });
});
