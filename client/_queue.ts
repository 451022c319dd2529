/**
 * An unbounded async queue consumed once: `push` never waits, the iterator
 * resolves as items arrive, `end` finishes it (with an error to throw at the end).
 * Breaking out of the loop calls `onReturn`, so a consumer that stops early can
 * release what it held. Once the iterator is done, by reading to the end or by
 * breaking out, the queue lets go of everything it held.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #waiting: ((r: IteratorResult<T>) => void) | null = null;
  #failWaiting: ((e: unknown) => void) | null = null;
  #ended = false;
  #error: unknown = undefined;
  #state: "unread" | "reading" | "finished" = "unread";

  constructor(private readonly onReturn?: () => void) {}

  /**
   * Whether a consumer holds the iterator and has not finished with it: a producer
   * can skip what only a live reader would want.
   */
  get reading(): boolean {
    return this.#state === "reading";
  }

  /** Adds an item; ignored after `end`. */
  push(item: T): void {
    if (this.#ended) return;
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = this.#failWaiting = null;
      waiting({ value: item, done: false });
    } else this.#items.push(item);
  }

  /** No more items; a given error is thrown once the queued items are read. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    const waiting = this.#waiting;
    const fail = this.#failWaiting;
    this.#waiting = this.#failWaiting = null;
    if (waiting) this.#finish();
    if (error !== undefined) fail?.(error);
    else waiting?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#state !== "unread") {
      throw new TypeError("Cannot iterate events: they can be read only once");
    }
    this.#state = "reading";
    return {
      next: () => {
        if (this.#items.length > 0) {
          return Promise.resolve({ value: this.#items.shift()!, done: false });
        }
        if (this.#ended) {
          const error = this.#error;
          this.#finish();
          if (error !== undefined) return Promise.reject(error);
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve, reject) => {
          this.#waiting = resolve;
          this.#failWaiting = reject;
        });
      },
      return: () => {
        this.#ended = true;
        this.#finish();
        this.onReturn?.();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  /** The reader is done: nothing held is wanted any more. */
  #finish(): void {
    this.#state = "finished";
    this.#items = [];
    this.#error = undefined;
  }
}
