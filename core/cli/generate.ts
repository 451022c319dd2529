/**
 * `deno task generate --prompt "..." --out clip.mp4 [...]`: one clip from the command
 * line, with a progress bar on stderr. Exit codes: 0 done, 2 bad flags or request,
 * 1 any other failure. Errors print as `error[code]: sentence`.
 */
import { basename, dirname, resolve } from "node:path";
import { DEFAULT_PACK_DIR, Engine } from "../engine.ts";
import { EngineError } from "../errors.ts";
import { DEFAULT_PACK, parseArgs, USAGE } from "./args.ts";
import { ProgressBar } from "./progress.ts";

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let engine: Engine | null = null;
  try {
    const args = parseArgs(argv);
    if (args.help) {
      console.log(USAGE);
      return 0;
    }
    // `deno task` runs in the repository root; paths on the command line are meant
    // from where the user typed it (npm and deno set INIT_CWD to that).
    const here = Deno.env.get("INIT_CWD") ?? Deno.cwd();
    const out = resolve(here, args.out);
    const pack = args.pack === DEFAULT_PACK ? DEFAULT_PACK_DIR : resolve(here, args.pack);
    engine = await Engine.load(pack, {
      device: args.device,
    });
    const request = engine.resolve(args.request);
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    Deno.addSignalListener("SIGINT", onSignal);
    const handle = engine.generate(request, {
      signal: controller.signal,
      id: basename(out, ".mp4"),
      outDir: dirname(out),
    });
    const bar = new ProgressBar();
    for await (const event of handle.events) {
      if (event.type === "started") bar.start();
      if (event.type === "step") bar.update(event.i, event.n);
      if (event.type === "cancelled") bar.finish("cancelled");
    }
    Deno.removeSignalListener("SIGINT", onSignal);
    const outputs = await handle.result;
    bar.finish(
      `seed ${request.seed}: ${outputs.video} ${outputs.audio} ${outputs.thumbnail} ${outputs.spritesheet}`,
    );
    return 0;
  } catch (error) {
    if (error instanceof EngineError) {
      console.error(`error[${error.code}]: ${error.message}`);
      return error.code === "invalid_request" ? 2 : 1;
    }
    if (error instanceof DOMException && error.name === "AbortError") return 130;
    console.error(`error[internal]: ${(error as Error).message ?? error}`);
    return 1;
  } finally {
    await engine?.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
