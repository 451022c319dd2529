/**
 * A job store that fails (disk full, a database locked past its busy timeout),
 * in-process on the fake engine with a real socket: a write that fails is logged
 * with the job's id and the reason, the watcher still gets every event to the end,
 * the job still gives back its limit slot, and the server stays up. A final write
 * that fails is retried until it lands, so a restart does not run a finished job
 * again. A job whose first write fails is refused, and its engine run stopped.
 */
import assert from "node:assert/strict";
import type { ErrorMessage, JobEvent } from "../client/protocol.ts";
import { type JobRecord, MemoryJobStore } from "../server/jobs/store.ts";
import { DEFAULT_LIMITS } from "../server/limits/limits.ts";
import { FakeEngine } from "./_fake_engine.ts";
import { isTerminal, type TestServer, TestSocket, withServer } from "./_server.ts";

/** A store whose `save` throws "disk full" for the records `fails` picks. */
class FailingStore extends MemoryJobStore {
  constructor(readonly fails: (record: JobRecord, writes: number) => boolean) {
    super();
  }
  #writes = new Map<string, number>();

  override save(record: JobRecord): void {
    const writes = (this.#writes.get(record.id) ?? 0) + 1;
    this.#writes.set(record.id, writes);
    if (this.fails(record, writes)) throw new Error("disk full");
    super.save(record);
  }
}

/** Runs `fn` with console.error recorded (and silenced). */
async function capturingErrors(fn: (lines: string[]) => Promise<void>): Promise<void> {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  try {
    await fn(lines);
  } finally {
    console.error = original;
  }
}

const cases: [string, (record: JobRecord, writes: number) => boolean][] = [
  // Every write after the acknowledgement: the queued event's own write throws first.
  ["every write after the job starts", (_, writes) => writes > 1],
  // Only the end: the write that used to keep `done` from going out at all.
  ["the terminal write", (record) => record.state.status === "done"],
];

for (const [what, fails] of cases) {
  Deno.test(`a store that fails ${what}: the watcher gets every event, the slot comes back`, async () => {
    // One job per client: a slot not given back refuses the second generate with busy.
    const limits = { ...DEFAULT_LIMITS, maxJobsPerClient: 1 };
    const store = new FailingStore(fails);
    await capturingErrors(async (logged) => {
      await withServer({ engine: new FakeEngine(), store, limits }, async (server) => {
        const ws = await TestSocket.open(server.wsUrl);
        for (const clientId of ["first", "second"]) {
          const from = ws.received.length;
          ws.send({ type: "generate", prompt: "x", steps: 3, clientId });
          const end = await ws.next((m) => isTerminal(m) || m.type === "error", { from, ms: 5000 });
          assert.equal(end.type, "done", JSON.stringify(end));
          const job = (end as JobEvent).job;
          const events = ws.received.slice(from).flatMap((r) =>
            r.kind === "json" && "job" in r.message && r.message.job === job ? [r.message] : []
          );
          assert.deepEqual(events.map((m) => m.type), [
            "queued",
            "started",
            "step",
            "step",
            "step",
            "done",
          ]);
          assert.ok(
            logged.some((line) => line.includes(`"${job}"`) && line.includes("disk full")),
            `the failed write of "${job}" is logged: ${JSON.stringify(logged)}`,
          );
        }
        assert.equal(server.emerge.registry.unfinished, 0);
        assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
        await ws.close();
      });
    });
  });
}

Deno.test("a job whose first write fails is refused and its engine run stopped", async () => {
  const engine = new FakeEngine({ stepMs: 5 });
  const store = new FailingStore(() => true);
  await withServer({ engine, store }, async (server) => {
    const ws = await TestSocket.open(server.wsUrl);
    ws.send({ type: "generate", prompt: "x", steps: 40, clientId: "c1" });
    const error = await ws.next((m) => m.type === "error") as ErrorMessage;
    assert.equal(error.clientId, "c1");
    assert.equal(error.code, "internal");
    assert.match(error.message, /^Cannot start job "video_\w+": recording it failed: disk full$/);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(engine.calls <= 1, `the refused job's run stopped (${engine.calls} model calls)`);
    assert.equal(server.emerge.registry.unfinished, 0);
    await ws.close();
  });
});

/** A store that fails the first `times` writes of each job's terminal state. */
function failingTerminalWrites(times: number): FailingStore {
  const failed = new Map<string, number>();
  return new FailingStore((record) => {
    if (record.state.status !== "done") return false;
    const n = (failed.get(record.id) ?? 0) + 1;
    failed.set(record.id, n);
    return n <= times;
  });
}

/** Polls `read` until it returns true, for up to `ms`. */
async function eventually(read: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (read()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return read();
}

/**
 * Runs one 2-step job to its end on a server over `store` (errors captured), then
 * `check` with the server, the terminal event and the logged lines.
 */
async function afterOneJob(
  store: FailingStore,
  check: (server: TestServer, end: JobEvent, logged: string[]) => Promise<void>,
): Promise<void> {
  await capturingErrors(async (logged) => {
    await withServer({ engine: new FakeEngine(), store }, async (server) => {
      const ws = await TestSocket.open(server.wsUrl);
      ws.send({ type: "generate", prompt: "x", steps: 2, clientId: "c1" });
      const end = await ws.next((m) => isTerminal(m)) as JobEvent;
      await check(server, end, logged);
      await ws.close();
    });
  });
}

Deno.test("a final write that fails is retried until the store holds the finished job", async () => {
  const store = failingTerminalWrites(2);
  await afterOneJob(store, async (_, end, logged) => {
    assert.equal(end.type, "done");
    // The terminal write failed: the store still says running, which a restart would re-run.
    assert.equal(store.get(end.job)?.state.status, "running");
    const saved = await eventually(() => store.get(end.job)?.state.status === "done", 3000);
    assert.ok(saved, `the retry wrote the terminal state: ${JSON.stringify(logged)}`);
    assert.ok(logged.some((line) => line.includes(`Saved job "${end.job}" on a retry`)));
  });
});

Deno.test("a deleted job's failed final write is not retried back into the store", async () => {
  // Only the first write fails, so a retry after the delete would bring the row back.
  const store = failingTerminalWrites(1);
  await afterOneJob(store, async (server, end, logged) => {
    assert.ok(await server.emerge.registry.delete(end.job));
    const attempts = logged.length;
    await new Promise((r) => setTimeout(r, 500)); // retries would run at 100, 200 ms, ...
    assert.equal(store.get(end.job), undefined);
    assert.equal(logged.length, attempts, `no write after the delete: ${logged.slice(attempts)}`);
  });
});
