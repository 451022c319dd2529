/**
 * The soak: `minutes` of mixed load against `server/main.ts` in its own process
 * on the real engine: generate to the end, cancel mid-run, steer mid-run, drop
 * the socket and resume, and readers that stop reading for a while. It prints
 * jobs done, refused (busy), lost (must be 0), p50/p99 time to first preview and
 * the server's RSS drift from after warm-up to the end.
 *
 *     deno run -A tests/bench/soak.ts --minutes 1
 */
import { join } from "node:path";
import type { JobEvent, ServerMessage } from "../../client/protocol.ts";
import { RawSocket } from "../_raw_ws.ts";
import { isTerminal, spawnServer, TestSocket } from "../_server.ts";
import { Rand } from "../_prng.ts";

/** What a soak measured. */
export interface SoakResult {
  done: number;
  cancelled: number;
  refused: number;
  lost: number;
  firstPreviewP50Ms: number;
  firstPreviewP99Ms: number;
  rssStartMb: number;
  rssEndMb: number;
}

const PACK = join(import.meta.dirname!, "..", "..", "models", "default");
const REQUEST = { size: "64x64", seconds: 2, steps: 8, previewEvery: 2 };
const WORKERS = 6;

async function rssMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1]) / 1024;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

type Outcome = "done" | "cancelled" | "refused" | "lost";

/** One scenario on a fresh socket; `firstPreview` gets ms to the first media frame. */
async function scenario(wsUrl: string, r: Rand, firstPreview: number[]): Promise<Outcome> {
  const kind = r.pick(["generate", "generate", "cancel", "steer", "resume", "slow"] as const);
  const seed = r.int(1e6);
  if (kind === "slow") {
    const raw = await RawSocket.open(wsUrl);
    await raw.send({ type: "hello", protocol: 1 });
    await raw.send({ type: "generate", prompt: "a slow reader's ball", ...REQUEST, seed });
    await new Promise((res) => setTimeout(res, 1500)); // reads nothing meanwhile
    const got = await raw.readUntil((m) => isTerminal(m) || m.type === "error");
    raw.close();
    const end = got.at(-1);
    return end?.kind === "json" ? outcome(end.message) : "lost";
  }
  const ws = await TestSocket.open(wsUrl);
  const start = performance.now();
  ws.send({ type: "generate", prompt: "a ball bounces in a room", ...REQUEST, seed });
  const first = await ws.next((m) => m.type === "queued" || m.type === "error", { ms: 60_000 });
  if (first.type === "error") return await closed(ws, outcome(first));
  const job = (first as JobEvent).job;
  if (kind === "cancel" || kind === "steer") {
    await ws.next((m) => m.type === "step", { ms: 60_000 });
    ws.send(
      kind === "cancel" ? { type: "cancel", job } : { type: "steer", job, prompt: "a blue ball" },
    );
  }
  if (kind === "resume") {
    const step = await ws.next((m) => m.type === "step" || isTerminal(m), {
      ms: 60_000,
    }) as JobEvent;
    await ws.close();
    const again = await TestSocket.open(wsUrl);
    again.send({ type: "resume", job, lastSeq: step.seq });
    return await closed(again, outcome(await again.next(isTerminal, { ms: 60_000 })));
  }
  const end = await ws.next(isTerminal, { ms: 60_000 });
  const media = ws.media[0];
  if (media) firstPreview.push(media.at - start);
  return await closed(ws, outcome(end));
}

async function closed(ws: TestSocket, result: Outcome): Promise<Outcome> {
  await ws.close();
  return result;
}

function outcome(m: ServerMessage): Outcome {
  if (m.type === "done") return "done";
  if (m.type === "cancelled") return "cancelled";
  if (m.type === "error" && m.code === "busy") return "refused";
  return "lost";
}

/** Runs the soak and prints its table; resolves with the numbers. */
export async function soakBench(
  { minutes = 1, seed = 7 }: { minutes?: number; seed?: number } = {},
): Promise<SoakResult> {
  const server = await spawnServer({ EMERGE_PACK: PACK, EMERGE_MAX_JOBS_PER_CLIENT: "4" });
  const r = new Rand(seed);
  const firstPreview: number[] = [];
  const counts: Record<Outcome, number> = { done: 0, cancelled: 0, refused: 0, lost: 0 };
  try {
    // Warm-up job so the start RSS includes the loaded sessions and ffmpeg path.
    await scenario(server.wsUrl, new Rand(1), []);
    const rssStartMb = await rssMb(server.pid);
    const until = Date.now() + minutes * 60_000;
    await Promise.all(Array.from({ length: WORKERS }, async () => {
      while (Date.now() < until) {
        try {
          counts[await scenario(server.wsUrl, r, firstPreview)]++;
        } catch {
          counts.lost++;
        }
      }
    }));
    const rssEndMb = await rssMb(server.pid);
    const result: SoakResult = {
      ...counts,
      firstPreviewP50Ms: percentile(firstPreview, 50),
      firstPreviewP99Ms: percentile(firstPreview, 99),
      rssStartMb,
      rssEndMb,
    };
    console.log(`\nsoak (${minutes} min, ${WORKERS} clients, real engine)`);
    console.log(
      "| done | cancelled | refused | lost | first preview p50 | p99 | RSS start | RSS end | drift |",
    );
    console.log("|---|---|---|---|---|---|---|---|---|");
    console.log(
      `| ${result.done} | ${result.cancelled} | ${result.refused} | ${result.lost} | ` +
        `${result.firstPreviewP50Ms.toFixed(0)} ms | ${result.firstPreviewP99Ms.toFixed(0)} ms | ` +
        `${rssStartMb.toFixed(0)} MiB | ${rssEndMb.toFixed(0)} MiB | ${
          (rssEndMb - rssStartMb).toFixed(0)
        } MiB |`,
    );
    return result;
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--minutes");
  const minutes = i >= 0 ? Number(Deno.args[i + 1]) : 1;
  const result = await soakBench({ minutes });
  if (result.lost > 0) Deno.exit(1);
}
