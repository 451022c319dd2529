/**
 * The client library's browser bundle, which the page imports: dist/client/
 * emerge.js, the same file `deno task build:client` writes. dist/ is not in git,
 * so the server builds it with `deno bundle` when it is missing or older than
 * any client source, and builds it once however many requests ask at a time.
 */
import { join } from "node:path";

const ROOT = join(import.meta.dirname!, "..", "..");
const CLIENT_DIR = join(ROOT, "client");

/** Builds (when stale) and returns the bundle's text. */
export class ClientBundle {
  readonly path: string;
  #building: Promise<string> | null = null;

  /** `path`: where the bundle lives (default dist/client/emerge.js). */
  constructor(path = join(ROOT, "dist", "client", "emerge.js")) {
    this.path = path;
  }

  /** The bundle's JavaScript, rebuilt first if a client source is newer. */
  text(): Promise<string> {
    this.#building ??= this.#fresh().finally(() => (this.#building = null));
    return this.#building;
  }

  async #fresh(): Promise<string> {
    const built = await Deno.stat(this.path).then((s) => s.mtime?.getTime() ?? 0, () => 0);
    if (built < await newestSource()) await this.#build();
    return await Deno.readTextFile(this.path);
  }

  async #build(): Promise<void> {
    await Deno.mkdir(join(this.path, ".."), { recursive: true });
    // Write beside and rename, so a reader never sees half a bundle.
    const temp = `${this.path}.${crypto.randomUUID()}.tmp`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--platform", "browser", "-o", temp, join(CLIENT_DIR, "mod.ts")],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) {
      await Deno.remove(temp).catch(() => {});
      throw new Error(`Cannot bundle the client: ${new TextDecoder().decode(out.stderr).trim()}`);
    }
    await Deno.rename(temp, this.path);
  }
}

/** Newest mtime of the client's sources (tests excluded). */
async function newestSource(): Promise<number> {
  let newest = 0;
  for await (const entry of Deno.readDir(CLIENT_DIR)) {
    if (!entry.name.endsWith(".ts") || entry.name.endsWith("_test.ts")) continue;
    const stat = await Deno.stat(join(CLIENT_DIR, entry.name));
    newest = Math.max(newest, stat.mtime?.getTime() ?? 0);
  }
  return newest;
}
