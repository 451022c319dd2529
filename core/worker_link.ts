/**
 * The engine's side of one of its module workers (preview_worker.ts,
 * pack/denoise_lane_worker.ts). Both take an `init` message, open their sessions and
 * answer "ready" or "init_failed"; from then on they answer calls by id. The link keeps
 * each call's waiter until its answer settles it, and fails every waiter at once when
 * the worker crashes or is closed.
 */
import { ModelFailedError, PackInvalidError } from "./errors.ts";

/** What every worker may answer besides its own replies. */
type StartReply = { type: "ready" } | { type: "init_failed"; message: string };

/** A started worker and the calls waiting on its answers. */
export class WorkerLink<Reply extends { id: number }, Waiter extends { reject(e: Error): void }> {
  #worker: Worker;
  #next = 1;
  #waiting = new Map<number, Waiter>();
  #dead: Error | null = null;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  /**
   * Starts the worker at `url`, posts `init` and, once it is ready, resolves with the
   * client `make` builds on the link; the worker's later replies go to `answer` with that
   * client. A crash, at start or later, fails every waiting call with a ModelFailedError
   * naming `what`; an init failure rejects with PackInvalidError and ends the worker.
   */
  static async start<
    Reply extends { id: number },
    Waiter extends { reject(e: Error): void },
    Client,
  >(
    url: URL,
    init: unknown,
    what: string,
    make: (link: WorkerLink<Reply, Waiter>) => Client,
    answer: (client: Client, reply: Reply) => void,
  ): Promise<Client> {
    const worker = new Worker(url, { type: "module" });
    const link = new WorkerLink<Reply, Waiter>(worker);
    let client: Client | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<StartReply | Reply>) => {
        const m = event.data as StartReply;
        if (m.type === "ready") resolve();
        else if (m.type === "init_failed") reject(new PackInvalidError(m.message));
        // Replies only answer calls, made once the client exists.
        else answer(client!, event.data as Reply);
      };
      worker.onerror = (event) => {
        event.preventDefault();
        const error = new ModelFailedError(`${what} crashed: ${event.message}`);
        reject(error);
        link.#fail(error);
      };
    });
    worker.postMessage(init);
    try {
      await ready;
    } catch (error) {
      worker.terminate();
      throw error;
    }
    return (client = make(link));
  }

  /** Why calls can no longer be made (crashed or closed); null while the worker runs. */
  get dead(): Error | null {
    return this.#dead;
  }

  /** Posts the message made for a fresh call id, and keeps `waiter` until it is settled. */
  call(waiter: Waiter, message: (id: number) => unknown, transfer: Transferable[] = []): void {
    const id = this.#next++;
    this.#waiting.set(id, waiter);
    this.#worker.postMessage(message(id), transfer);
  }

  /** The waiter of call `id`, kept (a call may answer in parts). */
  waiter(id: number): Waiter | undefined {
    return this.#waiting.get(id);
  }

  /** The waiter of call `id`, no longer kept: its final answer came. */
  settle(id: number): Waiter | undefined {
    const waiter = this.#waiting.get(id);
    this.#waiting.delete(id);
    return waiter;
  }

  /** Fails every waiting call with `error` and ends the worker. */
  close(error: Error): Promise<void> {
    this.#fail(error);
    this.#worker.terminate();
    return Promise.resolve();
  }

  #fail(error: Error): void {
    this.#dead = error;
    for (const waiter of this.#waiting.values()) waiter.reject(error);
    this.#waiting.clear();
  }
}
