/**
 * Latest-wins delivery for one socket. Lifecycle events go out at once, always.
 * Media waits while the socket's bufferedAmount is over the bound; a newer preview
 * of the same job replaces a waiting one, and what it replaces is counted as
 * dropped. Events may therefore overtake held media, which is fine: media is
 * never replayed and carries its own step.
 */
import type { JobEvent } from "../../client/protocol.ts";
import type { LoggedEvent } from "../jobs/log.ts";
import type { MediaBatch } from "../jobs/media.ts";
import type { StreamSocket } from "./socket.ts";
import type { StreamStats } from "./stats.ts";

/** Flow-control settings of one socket. */
export interface OutboxOptions {
  /** Hold media while more than this many bytes wait in the socket. */
  maxBufferedBytes: number;
  /** How soon to look again at a socket that was over the bound. */
  retryMs: number;
  /** Which media this client wants. */
  video: boolean;
  audio: boolean;
  stats: StreamStats;
}

const TERMINAL = new Set<JobEvent["type"]>(["done", "cancelled", "failed"]);

/** Per-socket queue: events pass, media is latest-wins per job. */
export class Outbox {
  #socket: StreamSocket;
  #options: OutboxOptions;
  #pending = new Map<string, Uint8Array<ArrayBuffer>[]>();
  #dropped = new Map<string, number>();
  #retry: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(socket: StreamSocket, options: OutboxOptions) {
    this.#socket = socket;
    this.#options = options;
  }

  /** Media messages of `job` this socket dropped so far. */
  dropped(job: string): number {
    return this.#dropped.get(job) ?? 0;
  }

  /** Sends a lifecycle event now; a terminal one carries this socket's drop count. */
  event(entry: LoggedEvent): void {
    if (this.#closed) return;
    const { event } = entry;
    if (!TERMINAL.has(event.type)) return this.#socket.send(entry.text);
    // Previews still held are older than the end; they would only mislead.
    this.#drop(event.job, this.#pending.get(event.job)?.length ?? 0);
    this.#pending.delete(event.job);
    this.#socket.send(JSON.stringify({ ...event, dropped: this.dropped(event.job) }));
  }

  /** Queues a preview, replacing an unsent older one of the same job. */
  media(batch: MediaBatch): void {
    if (this.#closed) return;
    const messages = [
      ...(this.#options.video ? batch.video : []),
      ...(this.#options.audio ? batch.audio : []),
    ];
    if (messages.length === 0) return;
    this.#drop(batch.job, this.#pending.get(batch.job)?.length ?? 0);
    this.#pending.set(batch.job, messages);
    this.#flush();
  }

  /** Sends a JSON message that belongs to no job's stream (hello, errors, pong). */
  direct(text: string): void {
    if (!this.#closed) this.#socket.send(text);
  }

  /** Stops sending and forgets held media. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#pending.clear();
  }

  #flush(): void {
    for (const [job, messages] of this.#pending) {
      if (this.#socket.bufferedAmount > this.#options.maxBufferedBytes) {
        // No runtime fires a "drain" event on a WebSocket, so look again soon.
        this.#retry ??= setTimeout(() => {
          this.#retry = undefined;
          this.#flush();
        }, this.#options.retryMs);
        return;
      }
      this.#pending.delete(job);
      for (const message of messages) this.#socket.send(message);
      this.#options.stats.mediaSent += messages.length;
    }
  }

  #drop(job: string, count: number): void {
    if (count === 0) return;
    this.#dropped.set(job, this.dropped(job) + count);
    this.#options.stats.mediaDropped += count;
  }
}
