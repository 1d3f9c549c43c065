/**
 * Experiment for issue #5 (not used by kmipd): what running SoftHSM2's AES-GCM calls on a worker
 * thread in batches would save the event loop. It compares, at 16 concurrent callers in this
 * process:
 * - `provider.encrypt`: the immediate path kmipd uses, C_EncryptInit + C_Encrypt synchronously on
 *   the main thread;
 * - a batched worker: the jobs queued during one event-loop turn are sent in one `postMessage`
 *   to a worker with its own pkcs11js on the same process-wide SoftHSM2 state. The worker runs
 *   them in one session lent by the pool, with the provider's cached key handle, and answers the
 *   batch with one message.
 * It reports main-thread CPU µs/op (schedstat) and all-thread CPU µs/op. The worker here has no
 * error handling, session replacement or shutdown protocol; it measures cost, nothing more.
 *
 *   tsx bench/load/cipher-batch-worker.ts [rounds, default 2]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { gcmIvs } from '../../src/crypto/gcm-iv.js';
import { openPkcs11Provider } from '../../src/crypto/pkcs11/provider.js';
import { ensureSoftHsmToken } from '../../src/crypto/pkcs11/softhsm.js';

const ROUNDS = Number(process.argv[2] ?? 2);
const CONCURRENCY = 16;

function mainThreadCpuUs(): number {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
}

const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const pkcs11js = require(workerData.pkcs11js);
const mod = new pkcs11js.PKCS11();
mod.load(workerData.library);
try { mod.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK }); } catch { /* already initialised by the main thread */ }
const session = Buffer.from(workerData.session);
const handle = Buffer.from(workerData.handle);
const NO_AAD = Buffer.alloc(0);
parentPort.on('message', (jobs) => {
  const out = [];
  for (const j of jobs) {
    const iv = Buffer.from(j.iv.buffer, j.iv.byteOffset, j.iv.length);
    const parameter = { type: pkcs11js.CK_PARAMS_AES_GCM_v240, iv, ivBits: 96, aad: NO_AAD, tagBits: 128 };
    mod.C_EncryptInit(session, { mechanism: pkcs11js.CKM_AES_GCM, parameter }, handle);
    out.push(mod.C_Encrypt(session, Buffer.from(j.data.buffer, j.data.byteOffset, j.data.length), Buffer.alloc(j.data.length + 32)));
  }
  parentPort.postMessage(out);
});`;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'kmipd-cipher-batch-'));
  const cfg = await ensureSoftHsmToken(join(work, 'data'));
  const hsm = await openPkcs11Provider({ ...cfg, sessionPoolSize: 16 });
  try {
    const ref = await hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true });
    const data = Buffer.alloc(64, 7);
    // Lend one pool session and the key's cached handle to the worker for the whole run.
    let lent: { session: Buffer; handle: Buffer } | undefined;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const held = hsm.withUnwrappedKey(ref, 'AES', async ({ session, handle }) => {
      lent = { session, handle };
      await gate;
    });
    while (lent === undefined) await new Promise((r) => setTimeout(r, 5));
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { pkcs11js: createRequire(import.meta.url).resolve('pkcs11js'), library: cfg.module, session: lent.session, handle: lent.handle },
    });
    let queue: { iv: Buffer; data: Buffer; done: (b: Uint8Array) => void }[] = [];
    const inFlight: ((out: Uint8Array[]) => void)[] = [];
    worker.on('message', (out: Uint8Array[]) => inFlight.shift()?.(out));
    let scheduled = false;
    let batches = 0;
    const flush = (): void => {
      scheduled = false;
      const jobs = queue;
      queue = [];
      batches++;
      inFlight.push((out) => out.forEach((b, i) => jobs[i]!.done(b)));
      worker.postMessage(jobs.map((j) => ({ iv: j.iv, data: j.data })));
    };
    const viaWorker = (d: Buffer): Promise<Uint8Array> =>
      new Promise((done) => {
        queue.push({ iv: gcmIvs.next(), data: d, done });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });

    const run = async (name: string, op: () => Promise<unknown>): Promise<void> => {
      for (let i = 0; i < 300; i++) await op();
      let n = 0;
      const end = performance.now() + 2000;
      const m0 = mainThreadCpuUs();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (performance.now() < end) {
            await op();
            n++;
          }
        }),
      );
      const c = process.cpuUsage(c0);
      const secs = (performance.now() - t0) / 1000;
      console.log(
        `| ${name} | ${Math.round(n / secs).toLocaleString('en-US')} | ${((mainThreadCpuUs() - m0) / n).toFixed(1)} | ${((c.user + c.system) / n).toFixed(1)} |`,
      );
    };
    console.log('| AES-256-GCM 64 B encrypt, 16 concurrent | ops/s | main thread CPU µs/op | all threads CPU µs/op |\n|---|--:|--:|--:|');
    for (let r = 0; r < ROUNDS; r++) {
      await run('immediate path on the main thread (provider.encrypt)', () => hsm.encrypt(ref, 'AES', { mode: 'GCM' }, data));
      batches = 0;
      await run('batched on a worker thread', () => viaWorker(data));
      console.log(`  (${batches} batches)`);
    }
    release();
    await held;
    await worker.terminate();
  } finally {
    await hsm.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
