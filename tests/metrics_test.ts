/**
 * `/metrics`, `/healthz` and `/readyz` on a real server: after a streamed job the
 * Prometheus text counts it by outcome, its steps in the latency and batch
 * histograms, the preview messages sent and the open socket; a server that says
 * it is not ready answers 503, as does the listener main.ts runs while the pack loads.
 */
import assert from "node:assert/strict";
import { serveLoading } from "../server/health/loading_server.ts";
import { FakeEngine } from "./_fake_engine.ts";
import { isTerminal, TestSocket, withServer } from "./_server.ts";

/** `name{labels} value` lines as a map; throws on a line that is not the text format. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.trim().split("\n")) {
    if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const match = line.match(/^([a-z_:][a-z0-9_:]*(?:\{[^}]*\})?) (\S+)$/);
    assert.ok(match, `not exposition format: "${line}"`);
    samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

Deno.test("/metrics counts jobs, steps, batches, previews and sockets", async () => {
  await withServer({ engine: new FakeEngine({ stepMs: 5 }) }, async ({ url, wsUrl }) => {
    const socket = await TestSocket.open(wsUrl);
    socket.send({ type: "generate", prompt: "a ball", steps: 6 });
    await socket.next(isTerminal);
    const cancelled = await TestSocket.open(wsUrl);
    cancelled.send({ type: "generate", prompt: "stop me", steps: 150 });
    const queued = await cancelled.next((m) => m.type === "queued");
    await cancelled.next((m) => m.type === "step");
    cancelled.send({ type: "cancel", job: "job" in queued ? queued.job : "" });
    await cancelled.next(isTerminal);
    await cancelled.close();

    const res = await fetch(`${url}/metrics`);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const m = parse(await res.text());
    assert.equal(m.get('emerge_jobs_finished_total{outcome="done"}'), 1);
    assert.equal(m.get('emerge_jobs_finished_total{outcome="cancelled"}'), 1);
    assert.equal(m.get("emerge_jobs_running"), 0);
    assert.equal(m.get("emerge_jobs_queued"), 0);
    const steps = m.get("emerge_step_seconds_count")!;
    assert.ok(steps >= 6, `step latencies observed: ${steps}`);
    assert.equal(m.get('emerge_step_seconds_bucket{le="+Inf"}'), steps);
    assert.ok(m.get("emerge_step_seconds_sum")! > 0);
    assert.ok(m.get("emerge_denoise_batch_jobs_count")! > 0);
    assert.ok(m.get("emerge_preview_media_sent_total")! > 0);
    assert.equal(m.get("emerge_open_sockets"), 1, "the first socket is still open");
    assert.equal(m.get("emerge_jobs_in_memory"), 2, "both jobs, finished, are kept for resume");
    assert.ok(m.get("process_resident_memory_bytes")! > m.get("emerge_js_heap_used_bytes")!);
    assert.ok(m.get("emerge_js_heap_used_bytes")! > 1e6);
    await socket.close();
    await new Promise((r) => setTimeout(r, 50));
    const after = parse(await (await fetch(`${url}/metrics`)).text());
    assert.equal(after.get("emerge_open_sockets"), 0);
  });
});

Deno.test("/healthz and /readyz, and the listener that answers while the pack loads", async () => {
  let reason: string | null = "The model pack is loading";
  await withServer({ engine: new FakeEngine(), notReady: () => reason }, async ({ url }) => {
    assert.equal(await (await fetch(`${url}/healthz`)).text(), "ok");
    const waiting = await fetch(`${url}/readyz`);
    assert.equal(waiting.status, 503);
    assert.equal((await waiting.json()).error.code, "not_ready");
    reason = null;
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200);
    await ready.body?.cancel();
  });
  const loading = await serveLoading(0, "127.0.0.1");
  try {
    const base = `http://127.0.0.1:${loading.port}`;
    assert.equal(await (await fetch(`${base}/healthz`)).text(), "ok");
    const readyz = await fetch(`${base}/readyz`);
    assert.equal(readyz.status, 503);
    await readyz.body?.cancel();
    const create = await fetch(`${base}/v1/videos`, { method: "POST" });
    assert.equal(create.status, 503);
    await create.body?.cancel();
  } finally {
    await loading.stop();
  }
});
