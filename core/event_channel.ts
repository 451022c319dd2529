/**
 * A single-consumer async queue: the step loop pushes without ever waiting, the
 * consumer's `for await` resolves as soon as an event arrives (no polling). Events are
 * buffered until read, so a slow consumer never slows the loop; dropping stale
 * previews is the server's choice, per socket.
 */

/** Push side for the engine, async-iterable side for exactly one consumer. */
export class EventChannel<T> implements AsyncIterable<T> {
  #buffer: T[] = [];
  #wake: (() => void) | null = null;
  #closed = false;
  #taken = false;
  #abandoned = false;

  /** Appends an event; ignored after `close()` or once the consumer stopped early. */
  push(event: T): void {
    if (this.#closed || this.#abandoned) return;
    this.#buffer.push(event);
    this.#wake?.();
  }

  /** Ends the stream after the buffered events. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  /** Events buffered and not yet read. */
  get pending(): number {
    return this.#buffer.length;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#taken) throw new TypeError("Cannot iterate events: they were already consumed");
    this.#taken = true;
    try {
      while (true) {
        const next = this.#buffer.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (this.#closed) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = null;
      }
    } finally {
      // A consumer that breaks early wants no more: stop buffering for it.
      this.#abandoned = true;
      this.#buffer.length = 0;
    }
  }
}
