/**
 * `deno task build:client`: the client as an npm package (ESM + .d.ts, compiled by
 * tsc from npm:typescript) in dist/client-npm/, and as one browser file (deno
 * bundle) in dist/client/emerge.js. The sources import each other with ".ts"
 * extensions, which `rewriteRelativeImportExtensions` turns into ".js".
 *
 *     deno task build:client && (cd dist/client-npm && npm pack)
 */
import ts from "typescript";
import { join } from "node:path";

/** Where the outputs went. */
export interface ClientBuild {
  npmDir: string;
  bundle: string;
}

const CLIENT_DIR = import.meta.dirname!;
const VERSION = "0.1.0";

/** Builds both outputs under `outRoot` (default: dist/ at the repo root). */
export async function buildClient(outRoot = join(CLIENT_DIR, "..", "dist")): Promise<ClientBuild> {
  const npmDir = join(outRoot, "client-npm");
  const bundle = join(outRoot, "client", "emerge.js");
  await Deno.remove(npmDir, { recursive: true }).catch(() => {});
  compile(npmDir);
  await Deno.writeTextFile(
    join(npmDir, "package.json"),
    JSON.stringify(packageJson(), null, 2) + "\n",
  );
  await Deno.writeTextFile(join(npmDir, "README.md"), README);
  await Deno.mkdir(join(outRoot, "client"), { recursive: true });
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "browser", "-o", bundle, join(CLIENT_DIR, "mod.ts")],
  }).output();
  if (!out.success) {
    throw new Error(`Cannot bundle the client: ${new TextDecoder().decode(out.stderr)}`);
  }
  return { npmDir, bundle };
}

/** The client's sources: everything but tests and this script. */
function sources(): string[] {
  return [...Deno.readDirSync(CLIENT_DIR)]
    .map((e) => e.name)
    .filter((n) => n.endsWith(".ts") && !n.endsWith("_test.ts") && n !== "build.ts")
    .map((n) => join(CLIENT_DIR, n));
}

function compile(outDir: string): void {
  const program = ts.createProgram(sources(), {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    declaration: true,
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noImplicitOverride: true,
    rewriteRelativeImportExtensions: true,
    rootDir: CLIENT_DIR,
    outDir,
    noEmitOnError: true,
    types: [],
  });
  // tsc rewrites ".ts" to ".js" in the JavaScript but leaves declaration files as
  // written; the package ships no .ts, so the .d.ts must point at .js too.
  const emitted = program.emit(undefined, (file, text) => {
    const out = file.endsWith(".d.ts")
      ? text.replace(/(from\s+["']\.{1,2}\/[^"']+)\.ts(["'])/g, "$1.js$2")
      : text;
    ts.sys.writeFile(file, out);
  });
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
  if (diagnostics.length > 0) {
    const text = ts.formatDiagnostics(diagnostics, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => CLIENT_DIR,
      getNewLine: () => "\n",
    });
    throw new Error(`Cannot compile the client:\n${text}`);
  }
}

function packageJson() {
  return {
    name: "@emerge/client",
    version: VERSION,
    description:
      "Client for Emerge: stream joint audio-video diffusion previews, steer, cancel, resume",
    type: "module",
    main: "./mod.js",
    types: "./mod.d.ts",
    exports: { ".": { types: "./mod.d.ts", import: "./mod.js" } },
    files: ["*.js", "*.d.ts", "README.md"],
    sideEffects: false,
    engines: { node: ">=22" },
    license: "MIT",
  };
}

const README = `# @emerge/client

\`\`\`js
import { EmergeClient } from "@emerge/client";
const client = new EmergeClient("http://127.0.0.1:8080"); // Node < 22: { WebSocket } from "ws"
const gen = client.generate({ prompt: "a red ball bounces across a blue room" });
for await (const event of gen) if (event.type === "step") console.log(event.i, "/", event.n);
console.log((await gen.result).outputs.video);
client.close();
\`\`\`
`;

if (import.meta.main) {
  const { npmDir, bundle } = await buildClient();
  console.log(`client built: ${npmDir} and ${bundle}`);
}
