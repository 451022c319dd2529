/**
 * The open WebSockets of one server, by remote address: the per-address cap is
 * checked before the upgrade (so a refused client costs one HTTP response), and
 * graceful shutdown closes every socket through the same list. A socket that
 * vanishes without a close frame still ends in `release` (Deno reports the reset
 * as close or error), so its slot never leaks.
 */

/** One tracked socket: how to close it with a reason. */
export interface OpenSocket {
  close(code: number, reason: string): void;
}

/** Counts and closes open sockets. */
export class OpenSockets {
  #byAddress = new Map<string, number>();
  #open = new Set<OpenSocket>();
  #onEmpty: (() => void)[] = [];

  constructor(readonly maxPerAddress: number) {}

  /** Sockets open now. */
  get size(): number {
    return this.#open.size;
  }

  /** Sockets open now from `address`. */
  count(address: string): number {
    return this.#byAddress.get(address) ?? 0;
  }

  /** Whether one more socket from `address` fits; reserves the slot when it does. */
  reserve(address: string): boolean {
    const n = this.count(address);
    if (n >= this.maxPerAddress) return false;
    this.#byAddress.set(address, n + 1);
    return true;
  }

  /** Gives back a slot taken by `reserve` (once per reserve); `socket` leaves the close list. */
  release(address: string, socket?: OpenSocket): void {
    if (socket) this.#open.delete(socket);
    if (this.#open.size === 0) { for (const wake of this.#onEmpty.splice(0)) wake(); }
    const n = this.count(address) - 1;
    if (n > 0) this.#byAddress.set(address, n);
    else this.#byAddress.delete(address);
  }

  /** Puts an upgraded socket on the close list. */
  add(socket: OpenSocket): void {
    this.#open.add(socket);
  }

  /** Closes every socket with `code` and `reason` (shutdown: 1001 "server shutting down"). */
  closeAll(code: number, reason: string): void {
    for (const socket of this.#open) {
      try {
        socket.close(code, reason);
      } catch {
        // Already closing: the socket's own close handler releases it.
      }
    }
  }

  /**
   * Resolves once every socket has closed, or after `ms`: the close frames must go
   * out before the listener stops, or the peer sees the listener's own close instead.
   */
  async closed(ms: number): Promise<void> {
    if (this.#open.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      this.#onEmpty.push(resolve);
    });
    clearTimeout(timer);
  }
}
