/**
 * Small single-part encryptions (C_EncryptInit + C_Encrypt) run in batches on a worker thread,
 * so that the event loop only queues them (issue #5). Opt-in (`cipherInWorker`): measured in
 * process (bench/load/cipher-batch-worker.ts), a batch per event-loop turn costs the main thread
 * ~6 µs per AES-GCM 64 B encryption against ~25 µs for the synchronous calls, at ~10 µs more CPU
 * on the other thread.
 *
 * The worker loads pkcs11js itself; in the same process the library is already initialised
 * (C_Initialize answers CKR_CRYPTOKI_ALREADY_INITIALIZED) and session and object handles are the
 * process's own (as for export-worker.ts). It works in one dedicated session the provider opens
 * for it (SessionPool.openDedicated), so it never shares a session with the event loop; the key
 * object handles come from the provider's handle cache, whose reference the caller holds until
 * the batch is answered (so an evicted or destroyed key's object outlives the job).
 *
 * Every job of a batch is answered on its own: the output, or the CKR code, mapped by ckr.ts as
 * a synchronous call's would be. A worker that fails or exits fails its pending jobs with
 * HSM_ERROR; the next job starts a new one. After a CKR saying the session is gone, the provider
 * replaces the dedicated session.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

import pkcs11js from 'pkcs11js';
import type { Handle, Mechanism } from 'pkcs11js';

import { CryptoError } from '../provider.js';
import { toCryptoError } from './ckr.js';

/** The worker's code: plain CommonJS, so it runs the same under tsx, vitest and a tsc build. */
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
// Structured cloning turns Buffers into Uint8Arrays; pkcs11js takes Buffers only.
const buf = (u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
function mechanismOf(m) {
  const p = m.parameter;
  if (p === undefined || p === null) return { mechanism: m.mechanism };
  if (p instanceof Uint8Array) return { mechanism: m.mechanism, parameter: buf(p) };
  const q = Object.assign({}, p);
  if (q.iv instanceof Uint8Array) q.iv = buf(q.iv);
  if (q.aad instanceof Uint8Array) q.aad = buf(q.aad);
  return { mechanism: m.mechanism, parameter: q };
}
parentPort.on('message', (batch) => {
  const session = buf(batch.session);
  const out = [];
  for (const job of batch.jobs) {
    try {
      mod.C_EncryptInit(session, mechanismOf(job.mechanism), buf(job.handle));
      const r = mod.C_Encrypt(session, buf(job.input), Buffer.alloc(job.outLength));
      // Its own ArrayBuffer, moved (not copied) back to the main thread.
      const copy = new Uint8Array(r.length);
      copy.set(r);
      out.push({ data: copy });
    } catch (e) {
      out.push({ ckr: e && typeof e.code === 'number' && e.code !== 0 ? e.code : undefined, kind: e && e.name });
    }
  }
  parentPort.postMessage({ id: batch.id, out }, out.filter((o) => o.data).map((o) => o.data.buffer));
});
`;

interface JobReply {
  readonly data?: Uint8Array;
  readonly ckr?: number;
  readonly kind?: string;
}

interface Job {
  readonly handle: Handle;
  readonly mechanism: Mechanism;
  readonly input: Uint8Array;
  readonly outLength: number;
  resolve(out: Buffer): void;
  reject(err: unknown): void;
}

/** The encryption worker of one provider. */
export class CipherWorker {
  #worker: Worker | undefined;
  #queue: Job[] = [];
  #scheduled = false;
  readonly #inFlight = new Map<number, Job[]>();
  #nextId = 0;
  #closed = false;
  #idle: (() => void) | undefined;
  /** Batches sent so far (tests, benchmarks). */
  batches = 0;

  /**
   * @param library path of the PKCS#11 module the provider loaded
   * @param session the dedicated session the worker works in, asked for when a batch is sent
   *   (the provider replaces it after a CKR saying it is gone)
   * @param sessionLost called when the thread stops with jobs out: it may have stopped between
   *   C_EncryptInit and C_Encrypt, leaving the session's operation active (CKR_OPERATION_ACTIVE
   *   for whoever uses it next), so the provider closes that session and the next batch gets a new one
   */
  constructor(
    private readonly library: string,
    private readonly session: () => Handle,
    private readonly sessionLost: () => void = () => {},
  ) {}

  /** Jobs queued or sent and not yet answered. */
  get pending(): number {
    let n = this.#queue.length;
    for (const jobs of this.#inFlight.values()) n += jobs.length;
    return n;
  }

  /**
   * C_EncryptInit(mechanism, handle) + C_Encrypt(input) on the worker; resolves to the output.
   * The caller keeps `handle` alive (holds its cache reference) until this settles.
   */
  encrypt(handle: Handle, mechanism: Mechanism, input: Uint8Array, outLength: number): Promise<Buffer> {
    if (this.#closed) return Promise.reject(new CryptoError('HSM_UNAVAILABLE', 'crypto provider is closed'));
    return new Promise<Buffer>((resolve, reject) => {
      this.#queue.push({ handle, mechanism, input, outLength, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // Everything queued during this turn of the event loop goes in one message.
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Waits for every job sent or queued, then stops the thread (the provider closes the session after). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.pending > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    const w = this.#worker;
    this.#worker = undefined;
    if (w !== undefined) await w.terminate();
  }

  /** @internal Terminates the thread as a crash would (tests); the next job starts a new one. */
  async kill(): Promise<void> {
    await this.#worker?.terminate();
  }

  #flush(): void {
    this.#scheduled = false;
    const jobs = this.#queue;
    this.#queue = [];
    if (jobs.length === 0) return;
    let worker: Worker;
    let session: Handle;
    try {
      worker = this.#ensure();
      session = this.session();
    } catch (err) {
      for (const j of jobs) j.reject(err);
      this.#checkIdle();
      return;
    }
    const id = ++this.#nextId;
    this.batches++;
    this.#inFlight.set(id, jobs);
    if (this.#inFlight.size === 1) worker.ref();
    worker.postMessage({
      id,
      session,
      jobs: jobs.map((j) => ({ handle: j.handle, mechanism: j.mechanism, input: j.input, outLength: j.outLength })),
    });
  }

  #ensure(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { library: this.library, pkcs11js: createRequire(import.meta.url).resolve('pkcs11js') },
      execArgv: [],
    });
    w.unref(); // referenced only while batches are out, so an idle provider never holds the process
    w.on('message', (reply: { id: number; out: JobReply[] }) => this.#settle(reply.id, reply.out));
    const fail = (why: string): void => {
      if (this.#worker === w) this.#worker = undefined;
      const all = [...this.#inFlight.values()].flat();
      this.#inFlight.clear();
      if (all.length > 0) this.sessionLost();
      const err = new CryptoError('HSM_ERROR', `PKCS#11 cipher worker ${why}`);
      for (const j of all) j.reject(err);
      this.#checkIdle();
    };
    w.on('error', () => fail('failed'));
    w.on('exit', () => fail('stopped'));
    this.#worker = w;
    return w;
  }

  #settle(id: number, out: readonly JobReply[]): void {
    const jobs = this.#inFlight.get(id);
    if (jobs === undefined) return;
    this.#inFlight.delete(id);
    if (this.#inFlight.size === 0) this.#worker?.unref();
    jobs.forEach((job, i) => {
      const r = out[i];
      if (r?.data !== undefined) {
        job.resolve(Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength));
        return;
      }
      // Rebuilt as the error pkcs11js would have thrown, so the one CKR table maps it.
      const cause = r?.ckr !== undefined ? new pkcs11js.Pkcs11Error(`CKR ${r.ckr}`, r.ckr, 'encrypt') : new Error(r?.kind ?? 'encrypt failed');
      job.reject(toCryptoError(cause, 'crypto'));
    });
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.#idle !== undefined && this.pending === 0) {
      const done = this.#idle;
      this.#idle = undefined;
      done();
    }
  }
}
