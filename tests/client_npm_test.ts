/**
 * The built client, used as its users will: the npm package packed with
 * `npm pack`, installed into a plain Node project and run there against a live
 * server; and the browser bundle imported as one file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildClient } from "../client/build.ts";
import { FakeEngine } from "./_fake_engine.ts";
import { withServer } from "./_server.ts";

const SCRIPT = `
import { EmergeClient } from "@emerge/client";
// Node 20 has WebSocket only behind a flag; passing it shows the option works.
const client = new EmergeClient(process.argv[2], { WebSocket: globalThis.WebSocket });
const gen = client.generate({ prompt: "a red ball", steps: 3 });
const types = [];
for await (const event of gen) types.push(event.type);
const result = await gen.result;
client.close();
console.log(JSON.stringify({ types, video: result.outputs.video }));
`;

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

Deno.test("the npm package installs into a plain Node project and streams a generation", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "emerge_npm_" });
  try {
    const { npmDir, bundle } = await buildClient(join(tmp, "dist"));
    const tgz = (await run("npm", ["pack", "--silent", "--pack-destination", tmp], npmDir)).trim();
    const project = join(tmp, "app");
    await Deno.mkdir(project);
    await Deno.writeTextFile(
      join(project, "package.json"),
      '{ "name": "app", "private": true, "type": "module" }',
    );
    await Deno.writeTextFile(join(project, "main.mjs"), SCRIPT);
    await run("npm", ["install", "--offline", "--no-audit", "--no-fund", join(tmp, tgz)], project);

    await withServer({ engine: new FakeEngine({ frames: 2 }) }, async (server) => {
      const major = Number(
        Deno.version.v8 &&
          (await run("node", ["-p", "process.versions.node.split('.')[0]"], project)),
      );
      const flags = major < 22 ? ["--experimental-websocket", "--no-warnings"] : [];
      const out = JSON.parse(await run("node", [...flags, "main.mjs", server.url], project));
      assert.equal(out.types.at(-1), "done");
      assert.equal(out.types.filter((t: string) => t === "step").length, 3);
      assert.ok(out.types.includes("frame") && out.types.includes("audio"));
      assert.match(
        out.video,
        /^http:\/\/127\.0\.0\.1:\d+\/v1\/videos\/video_[0-9a-f]{24}\/content\?variant=video$/,
      );

      // The browser bundle is one self-contained ES module with the same API.
      const mod = await import(`file://${bundle}`);
      const client = new mod.EmergeClient(server.url);
      const gen = client.generate({ prompt: "x", steps: 2 });
      assert.ok((await gen.result).outputs.audio.endsWith("variant=audio"));
      client.close();
    });
    const types = await Deno.readTextFile(join(npmDir, "mod.d.ts"));
    assert.match(types, /export \* from "\.\/client\.js"/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
