/**
 * A FIFO async mutex: `run` executes critical sections one at a time, in call order. A failing
 * section rejects its own caller only and does not block the ones queued behind it.
 */
export class AsyncMutex {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` once every section queued before it has settled. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
