/**
 * Starting one of the engine's module workers (preview_worker.ts, pack/denoise_lane_worker.ts):
 * both take an `init` message, open their sessions, answer "ready" or "init_failed", and
 * from then on answer requests.
 */
import { ModelFailedError, PackInvalidError } from "./errors.ts";

/** What every worker may answer besides its own replies. */
type StartReply = { type: "ready" } | { type: "init_failed"; message: string };

/**
 * Starts the worker at `url`, posts `init` and resolves once it is ready; its later
 * messages go to `answer`. A crash, at start or later, goes to `crashed` as a
 * ModelFailedError naming `what`; an init failure rejects with PackInvalidError and
 * ends the worker.
 */
export async function startWorker<Reply>(
  url: URL,
  init: unknown,
  what: string,
  on: { answer(reply: Reply): void; crashed(error: ModelFailedError): void },
): Promise<Worker> {
  const worker = new Worker(url, { type: "module" });
  const ready = new Promise<void>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<StartReply | Reply>) => {
      const m = event.data as StartReply;
      if (m.type === "ready") resolve();
      else if (m.type === "init_failed") reject(new PackInvalidError(m.message));
      else on.answer(event.data as Reply);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      const error = new ModelFailedError(`${what} crashed: ${event.message}`);
      reject(error);
      on.crashed(error);
    };
  });
  worker.postMessage(init);
  try {
    await ready;
  } catch (error) {
    worker.terminate();
    throw error;
  }
  return worker;
}
