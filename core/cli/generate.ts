/**
 * `deno task generate --prompt "..." --out clip.mp4 [...]`: one clip from the command
 * line, with a progress bar on stderr. Exit codes: 0 done, 2 bad flags or request,
 * 1 any other failure. Errors print as `error[code]: sentence`.
 */
import { basename, dirname } from "node:path";
import { Engine } from "../engine.ts";
import { EngineError } from "../errors.ts";
import { parseArgs, USAGE } from "./args.ts";
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
    engine = await Engine.load(args.pack, { device: args.device });
    const request = engine.resolve(args.request);
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    Deno.addSignalListener("SIGINT", onSignal);
    const handle = engine.generate(request, {
      signal: controller.signal,
      id: basename(args.out, ".mp4"),
      outDir: dirname(args.out),
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
