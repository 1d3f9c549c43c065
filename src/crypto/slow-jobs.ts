/**
 * A bound on slow jobs in libuv's thread pool.
 *
 * Asynchronous PKCS#11 calls (pkcs11js), `crypto.pbkdf2` and every LevelDB read and write
 * (classic-level) share that pool: UV_THREADPOOL_SIZE threads, 4 unless set at launch. A job that
 * holds a thread for seconds (RSA-4096 key generation, a large PBKDF2) is harmless alone, but four
 * at once would hold every thread, and every other request, whose audit record needs a LevelDB
 * write, would wait behind them (issue "Server core": long HSM operations must not stall other
 * connections). Slow jobs therefore run through one process-wide gate that leaves two threads to
 * everything else; the rest of them wait here, in JavaScript, holding no thread.
 */

/** libuv's pool size as this process was started with it (libuv reads UV_THREADPOOL_SIZE once; 1..1024, default 4). */
export function uvThreadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env['UV_THREADPOOL_SIZE']);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 1024) : 4;
}

/** How many slow jobs may hold pool threads at once: all but two of them, at least one. */
export function slowJobSlots(poolSize = uvThreadPoolSize()): number {
  return Math.max(1, poolSize - 2);
}

/** A counting gate: at most `slots` jobs run at once; the others start in arrival order. */
export class JobGate {
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(readonly slots: number) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError('slots must be a positive integer');
  }

  /** Jobs running now, and jobs waiting for a slot. */
  get load(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length };
  }

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#running >= this.slots) await new Promise<void>((r) => this.#waiting.push(r));
    else this.#running++;
    try {
      return await job();
    } finally {
      const next = this.#waiting.shift();
      if (next !== undefined) next(); // the slot passes straight to the next job
      else this.#running--;
    }
  }
}

/** The process's gate for slow thread-pool jobs. */
export const slowJobs = new JobGate(slowJobSlots());
