/**
 * A macrotask yield for the step loop. onnxruntime-node's `session.run` returns a
 * promise but keeps the JS thread busy while it runs (measured: a 1 ms setInterval
 * did not tick during a 70 ms run), and the loop chained steps through microtasks
 * only, so the server read a WebSocket `cancel` 100-450 ms (12-13 steps) late.
 * Awaiting this before every model call lets pending I/O callbacks run first.
 *
 * Socket data is only seen when Deno's runtime polls its I/O reactor, and it polls
 * only when it has nothing ready to run. A posted message or `setImmediate` is always
 * ready, so the runtime never polls (a cancel over a real socket was read 215 ms, 20
 * steps, late); a 0 ms timer makes it poll, but Deno rounds timers up to whole
 * milliseconds and the yield cost 2.2 ms, ~20 ms of a ~220 ms job. So the yield rings a
 * bell instead: it writes one byte into a loopback socket pair of its own and waits for
 * the other end to read it. That read can only complete after a poll of the reactor,
 * the same poll that picks up every other socket's data; then a `setImmediate` lets
 * the callbacks of that data run before the loop goes on. It costs ~0.02 ms.
 *
 * The bell is open only while someone holds it (`holdYieldBell`; the step loop does
 * while it has work), so an idle engine keeps no socket (its outstanding read would
 * keep the process alive, and tests would leak it). Each close leaves one loopback
 * socket in TIME_WAIT for a minute: one per busy period, a few a second at most, far
 * below the ~28k ephemeral ports. Without a hold, or where the process may not open a
 * loopback socket, the yield is the timer.
 */

/** One end writes, the other reads: each ring is one reactor poll. */
class Bell {
  #writer: Deno.Conn;
  #reader: Deno.Conn;
  #buffer = new Uint8Array(16);
  /** A read always outstanding, so the next byte is only seen through the reactor. */
  #pending: Promise<number | null>;
  /** Rings one after another: two reads at once on one socket are not allowed. */
  #queue: Promise<void> = Promise.resolve();
  #byte = Uint8Array.of(1);

  private constructor(writer: Deno.Conn, reader: Deno.Conn) {
    this.#writer = writer;
    this.#reader = reader;
    this.#pending = this.#read();
  }

  /** A connected loopback pair, or null where the process may not open one. */
  static async open(): Promise<Bell | null> {
    const asked = { name: "net", host: "127.0.0.1" } as const;
    // Never prompt: a CLI run without --allow-net keeps the timer.
    if (Deno.permissions.querySync(asked).state !== "granted") return null;
    try {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      try {
        const writer = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
        writer.setNoDelay(true);
        return new Bell(writer, await listener.accept());
      } finally {
        listener.close();
      }
    } catch {
      return null;
    }
  }

  #read(): Promise<number | null> {
    const read = this.#reader.read(this.#buffer);
    read.catch(() => {}); // rejected when the bell closes with a read outstanding
    return read;
  }

  ring(): Promise<void> {
    const rung = this.#queue.then(async () => {
      await this.#writer.write(this.#byte);
      await this.#pending;
      this.#pending = this.#read();
    });
    this.#queue = rung.catch(() => {});
    return rung;
  }

  close(): void {
    this.#writer.close();
    this.#reader.close();
  }
}

let bell: Promise<Bell | null> | null = null;
let holders = 0;

/**
 * Keeps the bell open until the returned release is called (once per hold); the first
 * hold opens it, the last release closes it.
 */
export function holdYieldBell(): () => void {
  holders++;
  bell ??= Bell.open();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders > 0) return;
    const closing = bell;
    bell = null;
    closing?.then((b) => b?.close());
  };
}

function timerYield(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Resolves after the event loop has polled I/O and run the callbacks already due. */
export async function yieldToEventLoop(): Promise<void> {
  const open = await bell;
  if (!open) return timerYield();
  try {
    await open.ring();
  } catch {
    return timerYield(); // closed under us by the last release
  }
  await new Promise((resolve) => setImmediate(resolve));
}
