/**
 * An unbounded async queue consumed once: `push` never waits, the iterator
 * resolves as items arrive, `end` finishes it (with an error to throw at the end).
 * Breaking out of the loop calls `onReturn`, so a consumer that stops early can
 * release what it held.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #waiting: ((r: IteratorResult<T>) => void) | null = null;
  #failWaiting: ((e: unknown) => void) | null = null;
  #ended = false;
  #error: unknown = undefined;
  #iterated = false;

  constructor(private readonly onReturn?: () => void) {}

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
    if (error !== undefined) fail?.(error);
    else waiting?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#iterated) throw new TypeError("Cannot iterate events: they can be read only once");
    this.#iterated = true;
    return {
      next: () => {
        if (this.#items.length > 0) {
          return Promise.resolve({ value: this.#items.shift()!, done: false });
        }
        if (this.#ended) {
          if (this.#error !== undefined) return Promise.reject(this.#error);
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve, reject) => {
          this.#waiting = resolve;
          this.#failWaiting = reject;
        });
      },
      return: () => {
        this.#items = [];
        this.#ended = true;
        this.onReturn?.();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
