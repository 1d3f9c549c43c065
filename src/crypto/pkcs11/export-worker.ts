/**
 * The HSM side of a key export (C_UnwrapKey into a transient extractable object, C_GetAttributeValue
 * of its CKA_VALUE, C_DestroyObject) as ONE job on a worker thread, so the event loop never runs or
 * waits on it. pkcs11js offers no async C_GetAttributeValue / C_DestroyObject, and on the event
 * loop those two calls waited on SoftHSM2's locks while other unwraps ran on the thread pool: at 16
 * connections they took a quarter or more of the server's main thread (BENCHMARKS.md, "Server").
 *
 * How it is safe: PKCS#11 state is per process (v2.40 §5.4), so a worker thread that loads the same
 * library gets CKR_CRYPTOKI_ALREADY_INITIALIZED from C_Initialize and can use the session and
 * master key handles of the main thread; the module was initialised with CKF_OS_LOCKING_OK for
 * pkcs11js's own worker threads already. The caller holds the session exclusively (SessionPool)
 * for the whole job. The worker never calls C_Finalize or C_Login, and is terminated before the
 * provider finalises the module. The value travels back in a transferred ArrayBuffer (no copy left
 * behind in the worker; the worker's own buffer is zeroed), and errors travel as CKR codes only,
 * mapped by the same table as every other call (ckr.ts), so clients see the same KMIP errors.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

import pkcs11js from 'pkcs11js';
import type { Handle, Template } from 'pkcs11js';

import { CryptoError } from '../provider.js';
import { toCryptoError, type Pkcs11Operation } from './ckr.js';

/** The worker's code: plain JavaScript, so it runs the same under tsx, vitest and a tsc build. */
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const pkcs11js = require(workerData.pkcs11js);
const mod = new pkcs11js.PKCS11();
mod.load(workerData.library);
try {
  mod.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
} catch (e) {
  // CKR_CRYPTOKI_ALREADY_INITIALIZED is the expected answer: the main thread initialised it.
}
const ckr = (e) => (e && typeof e.code === 'number' && e.code !== 0 ? e.code : undefined);
parentPort.on('message', (job) => {
  const session = Buffer.from(job.session);
  let op = 'unwrap';
  let key;
  try {
    key = mod.C_UnwrapKey(session, { mechanism: job.mechanism }, Buffer.from(job.master), Buffer.from(job.blob), job.template);
    op = 'read-attribute';
    const attrs = mod.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_VALUE }]);
    const value = attrs[0] && attrs[0].value;
    if (!Buffer.isBuffer(value)) {
      parentPort.postMessage({ id: job.id, op, missing: true });
      return;
    }
    const out = new Uint8Array(value.length);
    out.set(value);
    value.fill(0);
    parentPort.postMessage({ id: job.id, value: out.buffer }, [out.buffer]);
  } catch (e) {
    parentPort.postMessage({ id: job.id, op, ckr: ckr(e), kind: e && e.name });
  } finally {
    if (key !== undefined) {
      try {
        mod.C_DestroyObject(session, key);
      } catch (e) {
        // A session object dies with its session at the latest (v2.40 §4.4).
      }
    }
  }
});
`;

interface Reply {
  readonly id: number;
  readonly value?: ArrayBuffer;
  readonly op?: Pkcs11Operation;
  readonly ckr?: number;
  readonly kind?: string;
  readonly missing?: boolean;
}

interface Pending {
  resolve(value: Buffer): void;
  reject(err: unknown): void;
}

/** Worker threads per provider: SoftHSM2 runs unwraps of different sessions in parallel. */
export const EXPORT_THREADS = 2;

/**
 * The export threads of one provider: each job goes to the thread with the fewest jobs waiting.
 * Threads start on first use and are restarted after a failure.
 */
export class ExportWorker {
  readonly #threads: ExportThread[];

  /** @param library path of the PKCS#11 module the provider loaded */
  constructor(library: string, threads = EXPORT_THREADS) {
    this.#threads = Array.from({ length: threads }, () => new ExportThread(library));
  }

  /** Unwraps `blob` with `master` in `session`, reads the value, destroys the object. */
  export(session: Handle, master: Handle, mechanism: number, blob: Uint8Array, template: Template): Promise<Buffer> {
    let best = this.#threads[0] as ExportThread;
    for (const t of this.#threads) if (t.load < best.load) best = t;
    return best.export(session, master, mechanism, blob, template);
  }

  /** @internal The threads, for tests. */
  get threads(): readonly ExportThread[] {
    return this.#threads;
  }

  /** Stops the threads; jobs still running are rejected (callers have drained the session pool first). */
  async close(): Promise<void> {
    await Promise.all(this.#threads.map((t) => t.close()));
  }
}

/** One worker thread doing exports. */
export class ExportThread {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #closed = false;

  constructor(private readonly library: string) {}

  /** Jobs sent and not yet answered. */
  get load(): number {
    return this.#pending.size;
  }

  /** Unwraps `blob` with `master` in `session`, reads the value, destroys the object. */
  export(session: Handle, master: Handle, mechanism: number, blob: Uint8Array, template: Template): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new CryptoError('HSM_UNAVAILABLE', 'crypto provider is closed'));
    const worker = this.#ensure();
    const id = ++this.#nextId;
    return new Promise<Buffer>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage({ id, session, master, mechanism, blob, template });
    });
  }

  /** @internal Terminates the thread as a crash would (tests); the next job starts a new one. */
  async kill(): Promise<void> {
    await this.#worker?.terminate();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const w = this.#worker;
    this.#worker = undefined;
    this.#failAll(new CryptoError('HSM_UNAVAILABLE', 'crypto provider is closed'));
    if (w !== undefined) await w.terminate();
  }

  #ensure(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { library: this.library, pkcs11js: createRequire(import.meta.url).resolve('pkcs11js') },
      // The worker needs no loader hooks (tsx, vitest): its code is plain CommonJS.
      execArgv: [],
    });
    w.unref(); // referenced only while jobs are pending, so an idle provider never holds the process
    w.on('message', (reply: Reply) => this.#settle(reply));
    const fail = (why: string): void => {
      if (this.#worker === w) this.#worker = undefined;
      this.#failAll(new CryptoError('HSM_ERROR', `PKCS#11 export worker ${why}`));
    };
    w.on('error', () => fail('failed'));
    w.on('exit', () => fail('stopped'));
    this.#worker = w;
    return w;
  }

  #settle(reply: Reply): void {
    const p = this.#pending.get(reply.id);
    if (p === undefined) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker?.unref();
    if (reply.value !== undefined) {
      p.resolve(Buffer.from(reply.value));
      return;
    }
    const op = reply.op ?? 'unwrap';
    if (reply.missing === true) {
      p.reject(new CryptoError('HSM_ERROR', 'PKCS#11 module returned no CKA_VALUE'));
      return;
    }
    // Rebuilt as the error pkcs11js would have thrown, so the one CKR table maps it.
    const cause = reply.ckr !== undefined ? new pkcs11js.Pkcs11Error(`CKR ${reply.ckr}`, reply.ckr, 'export') : new Error(reply.kind ?? 'export failed');
    p.reject(toCryptoError(cause, op));
  }

  #failAll(err: CryptoError): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of all) p.reject(err);
  }
}
