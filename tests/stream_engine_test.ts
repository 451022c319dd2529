/**
 * Issue 5's acceptance tests: `server/main.ts` in its own process running the
 * real Engine on the default pack, watched over real sockets; the MP4 is read by
 * ffprobe and ffmpeg straight from its URL. (A client in the server's own process
 * would share its event loop with the engine and measure that, not the server.) Skipped, with the reason printed, only while the pack
 * is missing. Checks that need a trained pack (sharpening toward a clip with
 * content, the steered color) say so when the pack renders a flat clip.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { analyzeVideo, type Clip } from "../core/eval/mod.ts";
import { videoScale } from "../core/media/ffmpeg.ts";
import { EmergeClient, type FrameEvent, type StreamEvent } from "../client/mod.ts";
import type { JobEvent, ServerMessage } from "../client/protocol.ts";
import { decodeFrames, decodeImage, meanAbsDiff, probe } from "./_media.ts";
import { RawSocket } from "./_raw_ws.ts";
import { isTerminal, spawnServer, TestSocket, withServer } from "./_server.ts";
import { Engine } from "../core/engine.ts";

const PACK = join(import.meta.dirname!, "..", "models", "default");
const missing = await Deno.stat(join(PACK, "manifest.json")).then(
  () => null,
  () => "models/default/manifest.json is missing",
);
if (missing) console.log(`stream_engine_test skipped: ${missing}`);

const W = 96, H = 64, SECONDS = 2, FPS = 12;
/** In the world's words (models/WORLD.md): the scorer reads this pack's red and green here. */
const PROMPT = "a red circle moves left on a white background";
const REQUEST = { prompt: PROMPT, size: `${W}x${H}`, seconds: SECONDS, seed: 7 };
/** Below this pixel std-dev a clip is flat: an untrained pack, nothing to score. */
const CONTENT_STD = 8;

async function collect(gen: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of gen) events.push(event);
  return events;
}

function stdDev(bytes: Uint8Array): number {
  let sum = 0, sq = 0;
  for (const b of bytes) sum += b, sq += b * b;
  const mean = sum / bytes.length;
  return Math.sqrt(sq / bytes.length - mean * mean);
}

/** The clip's frames at the generated size and the color the eval scorer sees. */
async function scored(url: string): Promise<{ color: string; frames: Uint8Array }> {
  const frames = await decodeFrames(url, W, H);
  const clip: Clip = {
    frames,
    width: W,
    height: H,
    fps: FPS,
    waveform: new Float32Array(SECONDS * 16000),
    sampleRate: 16000,
    attributes: {
      shape: "circle",
      color: "red",
      size: "small",
      background: "white",
      motion: "left",
      pitch: "low",
    } as Clip["attributes"],
    heldout: false,
  };
  return { color: analyzeVideo(clip).color, frames };
}

/** Milliseconds from the first to the last step event, by the server's clock. */
function stepSpan(messages: ServerMessage[]): number {
  const ts = messages.flatMap((m) => m.type === "step" ? [m.ts] : []);
  return ts.at(-1)! - ts[0]!;
}

Deno.test({
  name: "real engine: stream, sharpen, cancel, steer, resume and a slow reader",
  ignore: missing !== null,
  async fn(t) {
    const server = await spawnServer({ EMERGE_PACK: PACK });
    const client = new EmergeClient(server.url, { reconnect: { initialMs: 20, maxAttempts: 5 } });
    try {
      assert.match(server.ready, /^emerge serving http:\/\/127\.0\.0\.1:\d+/m);
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
      let unsteered: { color: string; frames: Uint8Array } = {
        color: "",
        frames: new Uint8Array(),
      };

      await t.step("previews sharpen toward the final clip; the MP4 is H.264 + AAC", async () => {
        const gen = client.generate({ ...REQUEST, previewEvery: 1 });
        const events = await collect(gen);
        const { outputs } = await gen.result;
        const steps = events.flatMap((e) => e.type === "step" ? [e] : []);
        const n = steps.length;
        assert.ok(n > 1 && steps.every((s, k) => s.i === k + 1 && s.n === n));
        const frames = events.filter((e): e is FrameEvent => e.type === "frame");
        const byStep = Map.groupBy(frames, (f) => f.header.step);
        // The preview worker keeps one render in flight and the newest x0 per job
        // (latest-wins), and the last step is the full decode: most steps, not all.
        console.log(`  previews at steps ${[...byStep.keys()].join(",")} of ${n}`);
        assert.ok(byStep.size >= 1, "previews arrive");
        assert.ok(events.some((e) => e.type === "audio"), "audio chunks arrive");

        const info = await probe(outputs.video);
        const scale = videoScale(W, H);
        assert.equal(info.video.codec, "h264");
        assert.equal(info.audio.codec, "aac");
        assert.deepEqual([info.video.width, info.video.height], [W * scale, H * scale]);
        assert.equal(info.video.fps, FPS);
        assert.ok(Math.abs(info.duration - SECONDS) < 0.15, `duration ${info.duration}`);

        unsteered = await scored(outputs.video);
        const distances: number[] = [];
        for (const group of byStep.values()) {
          const decoded = await Promise.all(
            group.sort((a, b) => a.header.index - b.header.index).map((f) => decodeImage(f.bytes)),
          );
          const { width, height } = decoded[0]!;
          const final = await decodeFrames(outputs.video, width, height);
          const preview = new Uint8Array(decoded.reduce((s, d) => s + d.data.length, 0));
          decoded.reduce((off, d) => (preview.set(d.data, off), off + d.data.length), 0);
          distances.push(meanAbsDiff(preview, final.subarray(0, preview.length)));
        }
        const spread = stdDev(unsteered.frames);
        console.log(
          `  preview distance to final: ${distances.map((d) => d.toFixed(2)).join(" ")}` +
            ` (final clip std ${spread.toFixed(1)})`,
        );
        if (spread < CONTENT_STD || distances.length < 3) {
          // A flat clip (placeholder pack) has nothing to sharpen toward: the preview
          // decoder's and the final decoder's flat greys differ by a few levels either way.
          console.log("  strict sharpening check skipped: flat clip or fewer than 3 previews");
        } else {
          assert.ok(distances.at(-1)! < distances[0]! - 1, "the last preview is clearly closer");
          const falls = distances.slice(1).filter((d, k) => d <= distances[k]! + 0.5).length;
          assert.ok(falls >= (distances.length - 1) * 0.7, "the distance falls step by step");
        }
      });

      await t.step(
        "cancel mid-run: cancelled within one model call + 50 ms of the send, no outputs",
        async () => {
          const ws = await TestSocket.open(server.wsUrl);
          ws.send({ type: "generate", ...REQUEST, steps: 60, previewEvery: 1 });
          const step = await ws.next((m) => m.type === "step" && m.i === 6) as JobEvent;
          const sentAt = Date.now();
          ws.send({ type: "cancel", job: step.job });
          const end = await ws.next(isTerminal);
          assert.equal(end.type, "cancelled");
          // Same machine, same clock. One model call is bounded by the longest gap
          // between step events before the cancel (a step is one call plus its
          // bookkeeping); the server reads the cancel at the loop's next yield.
          const ts = ws.messages.flatMap((m) => m.type === "step" && m.ts <= sentAt ? [m.ts] : []);
          const oneCall = Math.max(...ts.slice(1).map((t, k) => t - ts[k]!));
          const latency = end.ts - sentAt;
          const after = ws.messages.filter((m) => m.type === "step" && m.ts > sentAt).length;
          console.log(
            `  send -> cancelled ${latency} ms, ${after} step(s) after; one call <= ${oneCall} ms`,
          );
          assert.ok(after <= 1, `${after} steps ended after the cancel was sent`);
          assert.ok(latency <= oneCall + 50, `cancelled ${latency} ms after the send`);
          await new Promise((r) => setTimeout(r, 200));
          // The server may create the job's folder lazily or remove it: absent or empty.
          const dir = join(server.dataDir, "videos", step.job);
          const files = existsSync(dir) ? [...Deno.readDirSync(dir)].map((f) => f.name) : [];
          assert.deepEqual(files, [], "nothing was written");
          await ws.close();
        },
      );

      await t.step("steer mid-run: the final clip follows the new prompt", async () => {
        const gen = client.generate({ ...REQUEST, steps: 40 });
        let steered = false;
        for await (const e of gen) {
          if (e.type === "step" && e.i === 2) gen.steer({ prompt: PROMPT.replace("red", "green") });
          if (e.type === "steered") steered = true;
        }
        assert.ok(steered, "the engine confirmed the steer");
        const { color, frames } = await scored((await gen.result).outputs.video);
        console.log(`  scorer color: unsteered "${unsteered.color}", steered to green "${color}"`);
        assert.notDeepEqual(frames, unsteered.frames, "same seed, new prompt, another clip");
        // The same seed unsteered is red; steered at step 2, 3 or 4 it came out green.
        assert.equal(unsteered.color, "red", "unsteered, the clip follows the first prompt");
        assert.equal(color, "green", "steered, it follows the new one");
      });

      await t.step("drop the socket mid-run and resume: no lifecycle event missed", async () => {
        const gen = client.generate({ ...REQUEST, steps: 40 });
        const seen: string[] = [];
        for await (const e of gen) {
          if (e.type === "step" && e.i === 3) client.dropConnection();
          if (e.type !== "frame" && e.type !== "audio") {
            seen.push(e.type === "step" ? `step${e.i}` : e.type);
          }
        }
        // Frames that arrive before the close completes still count, so "resumed"
        // may come a few steps after the drop: what matters is no hole, no repeat.
        assert.equal(seen.filter((s) => s === "resumed").length, 1);
        assert.deepEqual(seen.filter((s) => s !== "resumed"), [
          "queued",
          "started",
          ...Array.from({ length: 40 }, (_, k) => `step${k + 1}`),
          "done",
        ]);
        assert.ok((await gen.result).outputs.video);
      });

      await t.step(
        "a stalled reader: every lifecycle event and the result; the engine never waits for it",
        async () => {
          const request = { type: "generate", ...REQUEST, seconds: 4, steps: 40, previewEvery: 1 };
          const alone = await TestSocket.open(server.wsUrl);
          alone.send(request);
          await alone.next(isTerminal, { ms: 60_000 });
          await alone.close();

          const fast = await TestSocket.open(server.wsUrl);
          fast.send(request);
          const job = (await fast.next((m) => m.type === "queued") as JobEvent).job;
          const slow = await RawSocket.open(server.wsUrl);
          await slow.send({ type: "hello", protocol: 1 });
          await slow.send({ type: "resume", job, lastSeq: 0 });
          const done = await fast.next(isTerminal, { ms: 60_000 });
          assert.ok(done.type === "done" && done.dropped === 0, "the fast watcher lost nothing");
          const withSlow = stepSpan(fast.messages), baseline = stepSpan(alone.messages);
          console.log(
            `  40 steps took ${withSlow} ms with a stalled watcher, ${baseline} ms alone`,
          );
          // The job is done while the stalled watcher has read nothing: the engine never
          // waited for it. The bound below only catches pathological cost (work repeated for
          // a socket that does not drain); how much watchers cost is `deno task bench`'s to
          // measure. At 1.5x this flaked: isolated runs read 1.0-1.1x, one full suite 1.9x.
          assert.ok(withSlow < baseline * 3, "a stalled watcher costs the engine next to nothing");

          const got = await slow.readUntil(isTerminal);
          slow.close();
          const lifecycle = got.flatMap((r) =>
            r.kind === "json" && "seq" in r.message ? [r.message] : []
          );
          assert.deepEqual(
            lifecycle.map((m) => m.type),
            fast.messages.filter((m) => "seq" in m).map((m) => m.type),
            "the stalled watcher got every lifecycle event",
          );
          const end = lifecycle.at(-1)!;
          const dropped = end.type === "done" ? end.dropped ?? 0 : -1;
          const media = got.filter((r) => r.kind === "media").length;
          // Drops need more preview bytes than loopback's ~4 MiB of socket buffers
          // hold; the fake-engine test forces them, here they are only accounted.
          console.log(`  stalled watcher: ${media} media messages received, ${dropped} dropped`);
          assert.equal(media + dropped, fast.media.length, "each was sent or counted as dropped");
          await fast.close();
        },
      );
    } finally {
      client.close();
      await server.stop();
    }
  },
});

Deno.test({
  name: "real engine in-process: a cancel ends the job within one model call of being read",
  ignore: missing !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const engine = await Engine.load(PACK);
    try {
      await withServer({ engine }, async (server) => {
        const ws = await TestSocket.open(server.wsUrl);
        ws.send({ type: "generate", ...REQUEST, steps: 60 });
        const step = await ws.next((m) => m.type === "step" && m.i === 3) as JobEvent;
        const live = server.emerge.registry.get(step.job)!;
        let stepAtCancel = -1;
        const cancel = live.cancel.bind(live);
        live.cancel = () => {
          stepAtCancel = live.state.step;
          cancel();
        };
        ws.send({ type: "cancel", job: step.job });
        assert.equal((await ws.next(isTerminal)).type, "cancelled");
        const after = live.state.step - stepAtCancel;
        assert.ok(stepAtCancel >= 3 && after <= 1, `${after} model calls ended after the cancel`);
        await ws.close();
      });
    } finally {
      await engine.close();
    }
  },
});
