/**
 * Issue 7, fuzz: over 10,000 malformed inputs from a seeded PRNG (FUZZ_SEED to
 * replay) against `server/main.ts` in its own process, while a normal job runs
 * beside them. WebSocket messages: random text and bytes, non-objects, wrong
 * types, huge numbers, unicode edge cases, oversized frames, unknown job ids,
 * bad resume seqs; raw frames: truncated, unmasked, bad opcodes, invalid UTF-8;
 * REST: traversal paths, bad variants, garbage bodies. Every WS message must be
 * answered by exactly one error event, every raw frame by an error or a close, every REST
 * request by a 4xx with an error code; the server must not crash, and the normal
 * job must complete with an MP4 ffprobe reads.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { JobEvent } from "../client/protocol.ts";
import { probe } from "./_media.ts";
import { Rand } from "./_prng.ts";
import { RawSocket } from "./_raw_ws.ts";
import { isTerminal, spawnServer, TestSocket } from "./_server.ts";

const PACK = join(import.meta.dirname!, "..", "models", "default");
const missing = await Deno.stat(join(PACK, "manifest.json")).then(() => null, () => "no pack");
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20240607);
const WS_INPUTS = 8_400;
const RAW_INPUTS = 200;
const REST_INPUTS = 1_500;
const BATCH = 300;

const TYPES = ["hello", "generate", "steer", "cancel", "resume", "ping"];
const WEIRD = [
  "\u202eevil\u202c",
  "zero\u200bwidth\u200d",
  "\ufeff",
  "\u0000",
  "e\u0301",
  "\ud83d\ude00",
  "\uffff",
];
const HUGE = [1e308, -1e308, 2 ** 53, -(2 ** 53), 1.5, -1, 0, Number.MAX_SAFE_INTEGER + 2];

/** One malformed WS message: text or bytes that must draw exactly one error event. */
function wsInput(r: Rand, i: number): string | Uint8Array<ArrayBuffer> {
  const fakeId = "video_" +
    Array.from({ length: 24 }, () => r.pick([..."0123456789abcdef"])).join("");
  switch (i % 12) {
    case 0: // random bytes as a binary frame
      return r.bytes(1 + r.int(512));
    case 1: // random text, not JSON
      return "#" + r.units(1 + r.int(200));
    case 2: // JSON that is not an object
      return r.pick(["1", "[]", '"x"', "null", "true", "[{}]", "-0", "1e999"]);
    case 3: // unknown or missing type
      return JSON.stringify({ type: r.pick(["", "GENERATE", "exec", 7, null]), job: fakeId });
    case 4: // wrong field types
      return JSON.stringify({
        type: r.pick(TYPES.slice(1, 5)),
        prompt: r.pick([7, null, [], {}, true]),
        job: r.pick([1, null, {}, []]),
        lastSeq: "x",
      });
    case 5: // huge or fractional numbers
      return JSON.stringify({
        type: "generate",
        prompt: "a ball",
        [r.pick(["steps", "width", "height", "seconds", "seed"])]: r.pick(
          HUGE.filter((n) => n > 1000 || n < 0 || !Number.isInteger(n)),
        ),
      });
    case 6: // lone surrogates in a prompt (well-formed JSON, ill-formed text)
      return `{"type":"generate","prompt":"a \\ud800 b ${r.int(1e6)} \\udfff"}`;
    case 7: // 10k emojis: over the prompt limit
      return JSON.stringify({ type: "generate", prompt: "\ud83c\udf88".repeat(10_000) });
    case 8: // unicode edge cases in job ids
      return JSON.stringify({
        type: r.pick(["steer", "cancel"]),
        job: r.pick(WEIRD) + r.int(99),
        prompt: "x",
      });
    case 9: // unknown job ids, well-formed
      return JSON.stringify({
        type: r.pick(["cancel", "resume", "steer"]),
        job: fakeId,
        lastSeq: r.int(100),
        prompt: "x",
      });
    case 10: // replayed or impossible seqs
      return JSON.stringify({
        type: "resume",
        job: fakeId,
        lastSeq: r.pick([-1, 1.5, -1e308, "7", null]),
      });
    default: // oversized frame (over the 64 KiB message limit) or an extra field
      return r.int(20) === 0
        ? JSON.stringify({ type: "ping", id: "x".repeat(70_000) })
        : JSON.stringify({ type: "ping", id: "p", extra: r.pick(WEIRD) });
  }
}

/** One malformed frame at the WebSocket framing layer; the server must close the connection. */
function rawFrame(r: Rand, i: number): Uint8Array {
  const mask = r.bytes(4);
  switch (i % 4) {
    case 0: // truncated: says 200 bytes, sends 10, then the connection ends
      return Uint8Array.from([0x81, 0x80 | 126, 0, 200, ...mask, ...r.bytes(10)]);
    case 1: // unmasked client frame (RFC 6455 §5.1: must be masked)
      return Uint8Array.from([0x81, 5, ...new TextEncoder().encode("hello")]);
    case 2: // reserved opcode
      return Uint8Array.from([0x80 | (3 + r.int(5)), 0x80 | 2, ...mask, 1, 2]);
    default: { // invalid UTF-8 in a text frame
      const payload = [0xc3, 0x28, 0xff, 0xfe];
      return Uint8Array.from([
        0x81,
        0x80 | payload.length,
        ...mask,
        ...payload.map((b, k) => b ^ mask[k % 4]!),
      ]);
    }
  }
}

/** One bad REST request. */
function restInput(r: Rand, base: string): [string, RequestInit] {
  const junk = encodeURIComponent(r.units(1 + r.int(20)).toWellFormed());
  switch (r.int(5)) {
    case 0:
      return [
        `${base}/v1/videos/${
          r.pick(["..%2F..%2Fetc%2Fpasswd", "%2e%2e", junk, "video_" + "0".repeat(24)])
        }`,
        {},
      ];
    case 1:
      return [
        `${base}/v1/videos/video_${"a".repeat(24)}/content?variant=${
          r.pick(["../../x", junk, "video"])
        }`,
        {},
      ];
    case 2:
      return [`${base}/v1/videos/${junk}/content?variant=video`, {}];
    case 3:
      return [`${base}/v1/videos`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: r.pick([
          r.units(50),
          "[]",
          "null",
          JSON.stringify({ prompt: r.pick([1, null, [], {}]) }),
        ]),
      }];
    default:
      return [`${base}/v1/videos`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "ok", seconds: r.pick(["-1", "1e999", "abc"]), size: junk }),
      }];
  }
}

Deno.test({
  name: `fuzz: ${
    WS_INPUTS + RAW_INPUTS + REST_INPUTS
  } malformed inputs, all answered, no crash, a normal job unaffected (seed ${SEED})`,
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const r = new Rand(SEED);
    const server = await spawnServer({ EMERGE_PACK: PACK });
    try {
      const normal = await TestSocket.open(server.wsUrl);
      normal.send({
        type: "generate",
        prompt: "a red ball bounces",
        size: "64x64",
        seconds: 2,
        steps: 12,
        seed: 3,
      });

      // WebSocket messages, in batches closed by a ping: errors since the batch must equal its size.
      const ws = await TestSocket.open(server.wsUrl);
      const raw = new WebSocket(server.wsUrl);
      await new Promise((resolve) => raw.addEventListener("open", resolve, { once: true }));
      let errors = 0, pongs = 0;
      const codes = new Map<string, number>();
      raw.addEventListener("message", (e) => {
        const m = JSON.parse(e.data as string);
        if (m.type === "error") {
          errors++;
          codes.set(m.code, (codes.get(m.code) ?? 0) + 1);
        } else if (m.type === "pong") pongs++;
      });
      raw.send(JSON.stringify({ type: "hello", protocol: 1 }));
      await ws.close();
      for (let start = 0; start < WS_INPUTS; start += BATCH) {
        const before = errors;
        const n = Math.min(BATCH, WS_INPUTS - start);
        for (let i = start; i < start + n; i++) raw.send(wsInput(r, i));
        const want = pongs + 1;
        raw.send(JSON.stringify({ type: "ping", id: `b${start}` }));
        const deadline = Date.now() + 20_000;
        while (pongs < want && Date.now() < deadline) {
          await new Promise((res) => setTimeout(res, 5));
        }
        assert.equal(
          errors - before,
          n,
          `batch at ${start}: ${errors - before} errors for ${n} inputs`,
        );
      }
      raw.close();
      for (const code of codes.keys()) {
        assert.ok(
          ["bad_message", "invalid_request", "unknown_job", "too_large", "busy"].includes(code),
          code,
        );
      }

      // Raw frames: each on a fresh connection, each must be closed by the server.
      for (let i = 0; i < RAW_INPUTS; i++) {
        const sock = await RawSocket.open(server.wsUrl);
        await sock.writeRaw(rawFrame(r, i));
        if (i % 4 === 0) sock.close(); // truncated: the client vanishes mid-frame
        else {assert.ok(
            await sock.answered(5000),
            `raw frame ${i} was not answered`,
          );}
        sock.close();
      }

      // REST: every answer a 4xx with a stable code, never a 5xx.
      for (let i = 0; i < REST_INPUTS; i++) {
        const [url, init] = restInput(r, server.url);
        const res = await fetch(url, init);
        const text = await res.text();
        assert.ok(
          res.status >= 400 && res.status < 500,
          `${init.method ?? "GET"} ${url}: ${res.status} ${text.slice(0, 200)}`,
        );
        if (res.status !== 404 || text.startsWith("{")) {
          assert.equal(typeof JSON.parse(text).error.code, "string", text);
        }
      }

      // The normal job was unaffected: every step, then done, and a real MP4.
      const done = await normal.next(isTerminal, { ms: 60_000 }) as JobEvent;
      assert.equal(done.type, "done", JSON.stringify(done));
      const steps = normal.messages.filter((m) => m.type === "step").map((m) =>
        (m as JobEvent & { i: number }).i
      );
      assert.deepEqual(steps, Array.from({ length: 12 }, (_, i) => i + 1));
      const info = await probe(`${server.url}/v1/videos/${done.job}/content?variant=video`);
      assert.equal(info.video.codec, "h264");
      assert.equal(info.audio.codec, "aac");
      await normal.close();
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200, "server still up");
      console.log(
        `fuzz seed ${SEED}: ${WS_INPUTS + RAW_INPUTS + REST_INPUTS} inputs, WS error codes ${
          JSON.stringify(Object.fromEntries(codes))
        }`,
      );
    } finally {
      const status = await server.kill("SIGTERM");
      assert.equal(status.code, 0, "the server exits cleanly after the fuzz");
      await Deno.remove(server.dataDir, { recursive: true });
    }
  },
});
