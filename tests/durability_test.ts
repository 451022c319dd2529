/**
 * Issue 7, durability: `server/main.ts` in its own process on the real engine and
 * default pack, killed with SIGKILL mid-run and started again on the same data
 * dir. Every job that was acknowledged (its `queued` arrived) must end done, its
 * MP4 readable by ffprobe, no temp file left, and a client resuming with its old
 * lastSeq must be told the truth. SIGTERM must drain: 503 for new requests, the
 * socket closed with 1001 and a reason, exit 0, and what did not finish in the
 * deadline runs on the next start, however often: only runs that crashed count
 * against a job's retry cap. One data dir has one server: a second is refused.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { JobEvent, ServerMessage } from "../client/protocol.ts";
import { initialState } from "../server/jobs/state.ts";
import { SCHEMA_SQL, SCHEMA_VERSION, SqliteJobStore } from "../server/store/mod.ts";
import { probe } from "./_media.ts";
import {
  isTerminal,
  serverCommand,
  type ServerProcess,
  spawnServer,
  TestSocket,
} from "./_server.ts";

const PACK = join(import.meta.dirname!, "..", "models", "default");
const missing = await Deno.stat(join(PACK, "manifest.json")).then(() => null, () => "no pack");
const REQUEST = { prompt: "a red ball bounces", size: "64x64", seconds: 2, previewEvery: 0 };

/** Every file under `dir`, relative. */
async function walk(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(prefix, entry.name);
    if (entry.isDirectory) out.push(...await walk(join(dir, entry.name), path));
    else out.push(path);
  }
  return out;
}

/** Submits `n` jobs on one socket and returns their ids once each is acknowledged. */
async function submit(ws: TestSocket, n: number, steps: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ws.send({ type: "generate", ...REQUEST, steps, seed: 100 + i, clientId: `c${i}` });
    const queued = await ws.next((m) => m.type === "queued" && m.clientId === `c${i}`, {
      ms: 60_000,
    });
    ids.push((queued as JobEvent).job);
  }
  return ids;
}

/** Resumes `id` on a fresh socket with `lastSeq` and waits for the end (or its snapshot). */
async function finish(wsUrl: string, id: string, lastSeq: number): Promise<ServerMessage[]> {
  const ws = await TestSocket.open(wsUrl);
  ws.send({ type: "resume", job: id, lastSeq });
  await ws.next(
    (m) =>
      isTerminal(m) || (m.type === "snapshot" && m.status !== "queued" && m.status !== "running"),
    { ms: 120_000 },
  );
  await ws.close();
  return ws.messages.filter((m) => "job" in m && m.job === id);
}

/** Runs `fn` with a fresh data dir for a server and its restart; removes the dir after. */
async function withDataDir(prefix: string, fn: (dataDir: string) => Promise<void>) {
  const dataDir = await Deno.makeTempDir({ prefix });
  try {
    await fn(dataDir);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** Starts the server again on `dataDir` (the restart), runs `fn` against it, stops it. */
async function restart(
  env: Record<string, string>,
  dataDir: string,
  fn: (server: ServerProcess) => Promise<void>,
) {
  const server = await spawnServer(env, { dataDir });
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

/**
 * Starts the server on `dataDir`, lets job `id` (or a new long one) take a step,
 * then stops the server with `signal`. Returns the job's id.
 */
async function runAndStop(
  env: Record<string, string>,
  dataDir: string,
  signal: "SIGTERM" | "SIGKILL",
  id?: string,
): Promise<string> {
  const server = await spawnServer(env, { dataDir });
  const ws = await TestSocket.open(server.wsUrl);
  if (id === undefined) [id] = await submit(ws, 1, 150);
  else ws.send({ type: "resume", job: id, lastSeq: 0 });
  await ws.next((m) => m.type === "step" && m.job === id, { ms: 120_000 });
  const status = await server.kill(signal);
  assert.ok(signal === "SIGKILL" ? status.signal === "SIGKILL" : status.code === 0);
  await ws.close();
  return id!;
}

async function checkOutputs(url: string, dataDir: string, id: string): Promise<void> {
  const video = await (await fetch(`${url}/v1/videos/${id}`)).json();
  assert.equal(video.status, "completed", `${id}: ${JSON.stringify(video)}`);
  const info = await probe(`${url}/v1/videos/${id}/content?variant=video`);
  assert.equal(info.video.codec, "h264");
  assert.ok(info.video.width >= 64, `${id} is ${info.video.width} px wide`);
  assert.ok(info.duration > 1.5, `${id} lasts ${info.duration} s`);
  const files = await walk(join(dataDir, "videos", id));
  assert.deepEqual(files.filter((f) => f.endsWith(".tmp")), [], `${id} left temp files`);
}

Deno.test({
  name: "kill -9 mid-run: every acknowledged job completes after restart, resume tells the truth",
  ignore: missing !== null,
  sanitizeResources: false,
  async fn() {
    const env = { EMERGE_PACK: PACK, EMERGE_MAX_JOBS_PER_CLIENT: "16" };
    await withDataDir("emerge_durable_", async (dataDir) => {
      const first = await spawnServer(env, { dataDir });
      const ws = await TestSocket.open(first.wsUrl);
      const ids = await submit(ws, 6, 30);
      // Kill once the first job is well into its steps, so some are mid-run and some queued.
      const step = await ws.next((m) => m.type === "step" && m.i >= 3, { ms: 120_000 });
      const lastSeq = (step as JobEvent).seq;
      const status = await first.kill("SIGKILL");
      assert.equal(status.signal, "SIGKILL");
      const doneBefore = ws.messages.filter((m) => m.type === "done").map((m) =>
        (m as JobEvent).job
      );

      await restart(env, dataDir, async (second) => {
        assert.match(second.ready, /emerge serving/);
        // The job the client was watching: resumed with its old lastSeq, the new run's
        // events still arrive (seq rises across runs) and end in done.
        const watched = (step as JobEvent).job;
        const events = await finish(second.wsUrl, watched, lastSeq);
        const resumed = events.find((m) => m.type === "resumed");
        assert.ok(resumed, "resume is answered");
        assert.ok(events.some((m) => m.type === "done"), JSON.stringify(events.map((m) => m.type)));
        const seqs = events.flatMap((m) => "seq" in m ? [m.seq] : []);
        assert.ok(seqs.every((s) => s > lastSeq), "every new event is past the old lastSeq");
        for (const id of ids) {
          if (id !== watched) await finish(second.wsUrl, id, 0);
          await checkOutputs(second.url, dataDir, id);
        }
        assert.ok(ids.length - doneBefore.length >= 1, "the kill interrupted at least one job");
      });
    });
  },
});

Deno.test({
  name: "a generate retried with its clientId after kill -9 and restart replays the same job",
  ignore: missing !== null,
  sanitizeResources: false,
  async fn() {
    const env = { EMERGE_PACK: PACK };
    await withDataDir("emerge_idempotent_", async (dataDir) => {
      const first = await spawnServer(env, { dataDir });
      const ws = await TestSocket.open(first.wsUrl);
      const [id] = await submit(ws, 1, 30);
      await ws.next((m) => m.type === "step", { ms: 120_000 });
      const status = await first.kill("SIGKILL");
      assert.equal(status.signal, "SIGKILL");

      await restart(env, dataDir, async (second) => {
        assert.match(second.ready, /recovered 1 unfinished/);
        // The client never saw its job id (say), so it retries with the same clientId.
        const retry = await TestSocket.open(second.wsUrl);
        retry.send({ type: "generate", ...REQUEST, steps: 30, seed: 100, clientId: "c0" });
        const reply = await retry.next((m) => "job" in m || m.type === "error", { ms: 60_000 });
        assert.ok(
          reply.type === "queued" && reply.job === id && reply.clientId === "c0",
          `the retry replays job "${id}" from its start: ${JSON.stringify(reply)}`,
        );
        const end = await retry.next(isTerminal, { ms: 120_000 });
        assert.ok(end.type === "done" && end.job === id, JSON.stringify(end));
        await retry.close();
        const list = await (await fetch(`${second.url}/v1/videos`)).json();
        assert.deepEqual(list.data.map((v: { id: string }) => v.id), [id], "no second job");
      });
    });
  },
});

Deno.test("a job database from before clientId was kept opens, gains the column, keeps its rows", () => {
  const dir = Deno.makeTempDirSync({ prefix: "emerge_schema_v1_" });
  const path = join(dir, "emerge.db");
  try {
    // Version 1's table: today's without the client_id line.
    const v1 = SCHEMA_SQL.replace(/^\s*client_id\s.*\n/m, "");
    assert.notEqual(v1, SCHEMA_SQL);
    const old = new DatabaseSync(path);
    old.exec(`${v1} PRAGMA user_version = 1;`);
    old.prepare(
      `INSERT INTO jobs (id, model, request, status, state, created_at, updated_at)
       VALUES ('video_old', 'emerge', '{"prompt":"x","steps":2}', 'queued', ?, 1, 1)`,
    ).run(JSON.stringify(initialState(2)));
    old.close();

    const store = new SqliteJobStore(path);
    try {
      const [record] = store.unfinished();
      assert.equal(record?.id, "video_old");
      assert.equal(record.clientId, undefined);
      store.save({ ...record, id: "video_new", clientId: "c1", owner: "o" });
      assert.equal(store.get("video_new")?.clientId, "c1");
    } finally {
      store.close();
    }
    const reopened = new DatabaseSync(path);
    const { user_version } = reopened.prepare("PRAGMA user_version").get() as {
      user_version: number;
    };
    reopened.close();
    assert.equal(user_version, SCHEMA_VERSION);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test({
  name: "a done job whose MP4 was cut short is run again at start; finished jobs stay served",
  ignore: missing !== null,
  sanitizeResources: false,
  async fn() {
    const env = { EMERGE_PACK: PACK };
    await withDataDir("emerge_repair_", async (dataDir) => {
      const first = await spawnServer(env, { dataDir });
      const ws = await TestSocket.open(first.wsUrl);
      const [a, b] = await submit(ws, 2, 2);
      for (const id of [a!, b!]) await finish(first.wsUrl, id, 0);
      await ws.close();
      await first.stop();
      const mp4 = join(dataDir, "videos", a!, `${a}.mp4`);
      const whole = (await Deno.stat(mp4)).size;
      await Deno.truncate(mp4, Math.floor(whole / 2));

      await restart(env, dataDir, async (second) => {
        assert.match(second.ready, /recovered 0 unfinished and 1 damaged jobs/);
        await finish(second.wsUrl, a!, 0);
        await checkOutputs(second.url, dataDir, a!);
        await checkOutputs(second.url, dataDir, b!);
      });
    });
  },
});

Deno.test({
  name:
    "SIGTERM drains: 503 for new work, sockets closed with 1001, exit 0, the rest runs next start",
  ignore: missing !== null,
  sanitizeResources: false,
  async fn() {
    // A 1 s deadline with a 150-step job: it cannot finish, so it must be checkpointed.
    const env = { EMERGE_PACK: PACK, EMERGE_SHUTDOWN_SECONDS: "1" };
    await withDataDir("emerge_term_", async (dataDir) => {
      const first = await spawnServer(env, { dataDir });
      const ws = await TestSocket.open(first.wsUrl);
      const [id] = await submit(ws, 1, 150);
      await ws.next((m) => m.type === "step", { ms: 60_000 });
      const exited = first.kill("SIGTERM");
      // While draining (the 1 s deadline), new HTTP requests are refused with 503.
      let answer = 200;
      for (let i = 0; i < 40 && answer === 200; i++) {
        answer = await fetch(`${first.url}/healthz`).then(async (r) => {
          await r.body?.cancel();
          return r.status;
        }, () => 0);
        if (answer === 200) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(answer, 503, "healthz during drain");
      const closed = await ws.closed;
      assert.equal(closed.code, 1001);
      assert.equal(
        closed.reason,
        "server shutting down",
        `closed ${closed.code} "${closed.reason}"`,
      );
      const status = await exited;
      assert.equal(status.code, 0);

      await restart(env, dataDir, async (second) => {
        assert.match(second.ready, /recovered 1 unfinished/);
        const events = await finish(second.wsUrl, id!, 0);
        assert.ok(events.some((m) => m.type === "done"));
        await checkOutputs(second.url, dataDir, id!);
      });
    });
  },
});

Deno.test({
  name: "a job stopped by three graceful restarts (SIGTERM) is not failed: the fourth runs it",
  ignore: missing !== null,
  sanitizeResources: false,
  async fn() {
    // No drain deadline: every SIGTERM requeues the 150-step job mid-run.
    const env = { EMERGE_PACK: PACK, EMERGE_SHUTDOWN_SECONDS: "0" };
    await withDataDir("emerge_deploys_", async (dataDir) => {
      let id = await runAndStop(env, dataDir, "SIGTERM");
      for (let i = 0; i < 2; i++) id = await runAndStop(env, dataDir, "SIGTERM", id);
      await restart(env, dataDir, async (fourth) => {
        assert.match(fourth.ready, /recovered 1 unfinished/);
        assert.doesNotMatch(fourth.ready, /gave up/);
        const video = await (await fetch(`${fourth.url}/v1/videos/${id}`)).json();
        assert.notEqual(video.status, "failed", JSON.stringify(video));
      });
    });
  },
});

Deno.test({
  name: "a job the server crashed during on each of 3 runs is failed and named in the start log",
  ignore: missing !== null,
  sanitizeResources: false,
  async fn() {
    const env = { EMERGE_PACK: PACK };
    await withDataDir("emerge_poison_", async (dataDir) => {
      let id = await runAndStop(env, dataDir, "SIGKILL");
      for (let i = 0; i < 2; i++) id = await runAndStop(env, dataDir, "SIGKILL", id);
      await restart(env, dataDir, async (fourth) => {
        assert.match(fourth.ready, new RegExp(`gave up on 1 job that crashed .*${id}`));
        const video = await (await fetch(`${fourth.url}/v1/videos/${id}`)).json();
        assert.equal(video.status, "failed", JSON.stringify(video));
      });
    });
  },
});

Deno.test({
  name: "a second server on the same data dir refuses to start and leaves the first's jobs alone",
  ignore: missing !== null,
  sanitizeResources: false,
  async fn() {
    const env = { EMERGE_PACK: PACK };
    await withDataDir("emerge_shared_", async (dataDir) => {
      const first = await spawnServer(env, { dataDir });
      try {
        const ws = await TestSocket.open(first.wsUrl);
        const [id] = await submit(ws, 1, 30);
        await ws.next((m) => m.type === "step", { ms: 120_000 });
        // Without a lock the second would serve (and re-run the first's job): stop it then.
        const second = serverCommand(env, dataDir, "piped").spawn();
        const timer = setTimeout(() => second.kill("SIGKILL"), 30_000);
        const out = await second.output();
        clearTimeout(timer);
        const said = new TextDecoder().decode(out.stderr);
        assert.equal(out.code, 2, `the second server exited with ${out.code}: ${said}`);
        assert.ok(
          said.includes(
            `Cannot start: another Emerge server uses the data folder "${dataDir}" (pid ${first.pid})`,
          ),
          said,
        );
        // The first's job runs on undisturbed: one run, its files whole.
        const events = await finish(first.wsUrl, id!, 0);
        assert.ok(events.some((m) => m.type === "done"), JSON.stringify(events.map((m) => m.type)));
        await checkOutputs(first.url, dataDir, id!);
        await ws.close();
      } finally {
        await first.stop();
      }
    });
  },
});
