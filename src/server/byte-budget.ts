/**
 * A listener-wide bound on the bytes of large requests held in memory.
 *
 * Each connection bounds itself (one message being received, at most a few queued, none over
 * `maxMessageBytes`), but a thousand connections each sending 16 MiB messages would still hold
 * gigabytes. So a message larger than RESERVE_ABOVE must reserve its declared length here once
 * its header has arrived, and its connection stops reading until it has; the reservation is
 * returned when the message has been handled (or the connection closes). A connection holding a
 * reservation can always finish its message, so reservations cannot deadlock; one that waits
 * holds at most the chunk it was reading. When nothing is reserved, any message may proceed, so
 * a budget smaller than one message still lets messages through one at a time.
 *
 * Small messages (nearly every KMIP request) do not take part: their total is already bounded by
 * connections x queue depth x RESERVE_ABOVE.
 */

/** Messages up to this size are not counted. */
export const RESERVE_ABOVE = 64 * 1024;

export class ByteBudget {
  #used = 0;
  /** Connections waiting for room, in arrival order; each retries when bytes are returned. */
  readonly #waiting = new Set<() => void>();

  constructor(readonly limit: number) {}

  /** Bytes reserved now. */
  get used(): number {
    return this.#used;
  }

  /** Reserves `n` bytes if they fit, or if nothing is reserved at all. */
  tryTake(n: number): boolean {
    if (this.#used > 0 && this.#used + n > this.limit) return false;
    this.#used += n;
    return true;
  }

  /** Counts bytes that are already in memory (a large message that arrived whole), fit or not. */
  force(n: number): void {
    this.#used += n;
  }

  /** Returns a reservation; waiting connections retry, oldest first. */
  give(n: number): void {
    if (n <= 0) return;
    this.#used -= n;
    for (const retry of [...this.#waiting]) retry();
  }

  /** `retry` is called each time bytes are returned, until {@link unwait}. */
  wait(retry: () => void): void {
    this.#waiting.add(retry);
  }

  unwait(retry: () => void): void {
    this.#waiting.delete(retry);
  }
}
