/**
 * Latest-wins delivery for one socket. Lifecycle events go out at once, always.
 * Media waits while the socket's bufferedAmount is over the bound; a newer preview
 * of the same job and kind replaces a waiting one, and what it replaces is counted
 * as dropped. Per kind, since a step's frames and its sound come as separate batches
 * (in either order, core/types.ts): a step's sound must not replace its own frames,
 * nor the next step's frames that sound. Events may therefore overtake held media, which
 * is fine: media is never replayed and carries its own step.
 */
import type { JobEvent } from "../../client/protocol.ts";
import type { LoggedEvent } from "../jobs/log.ts";
import type { MediaBatch, MediaWants } from "../jobs/media.ts";
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
  /** The form the client reads media in: bundles or not, float or int16 audio. */
  wants: MediaWants;
  stats: StreamStats;
}

const TERMINAL = new Set<JobEvent["type"]>(["done", "cancelled", "failed"]);

/** Per-socket queue: events pass, media is latest-wins per job. */
export class Outbox {
  #socket: StreamSocket;
  #options: OutboxOptions;
  /** Held media by job, then kind: at most the newest batch of each. */
  #pending = new Map<string, Map<MediaBatch["kind"], Uint8Array<ArrayBuffer>[]>>();
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
    for (const held of this.#pending.get(event.job)?.values() ?? []) {
      this.#drop(event.job, held.length);
    }
    this.#pending.delete(event.job);
    this.#socket.send(JSON.stringify({ ...event, dropped: this.dropped(event.job) }));
  }

  /** Queues a preview part, replacing an unsent older one of the same job and kind. */
  media(batch: MediaBatch): void {
    if (this.#closed || !this.#options[batch.kind]) return;
    const messages = batch.messages(this.#options.wants);
    if (messages.length === 0) return;
    let held = this.#pending.get(batch.job);
    if (!held) this.#pending.set(batch.job, held = new Map());
    this.#drop(batch.job, held.get(batch.kind)?.length ?? 0);
    held.set(batch.kind, messages);
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
    for (const [job, held] of this.#pending) {
      for (const [kind, messages] of held) {
        if (this.#socket.bufferedAmount > this.#options.maxBufferedBytes) {
          // No runtime fires a "drain" event on a WebSocket, so look again soon.
          this.#retry ??= setTimeout(() => {
            this.#retry = undefined;
            this.#flush();
          }, this.#options.retryMs);
          return;
        }
        held.delete(kind);
        for (const message of messages) this.#socket.send(message);
        this.#options.stats.mediaSent += messages.length;
      }
      this.#pending.delete(job);
    }
  }

  #drop(job: string, count: number): void {
    if (count === 0) return;
    this.#dropped.set(job, this.dropped(job) + count);
    this.#options.stats.mediaDropped += count;
  }
}
