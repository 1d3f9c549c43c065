/**
 * The Get request path below TLS, in this process: the same composition as kmipd (SoftHSM2
 * token, LevelDB store, key export cache at its default, dispatcher with every operation) driven
 * with pre-encoded KMIP 1.2 Get requests through `Dispatcher.handle`, closed loop at each
 * concurrency. Reports ops/s, CPU µs/op (all threads: LevelDB and HSM threads included) and the
 * main thread's CPU µs/op (the cost that bounds a single-event-loop server; from Linux schedstat,
 * so time spent waiting for a CPU is not counted), which vary much less with other load on the
 * machine than the end-to-end figures of `npm run bench`.
 *
 *   tsx bench/load/dispatch-get.ts [seconds per case, default 3] [rounds, default 1] [concurrency list, default 1,16]
 *
 * With BENCH_SERVER_ROOT set, the server parts are the compiled ones (`dist/`) of that checkout,
 * as `npm start` runs them, for an A/B of two versions; otherwise this checkout's sources (tsx).
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import type { Dispatcher as DispatcherClass } from '../../src/dispatch/dispatcher.js';
import { ResultStatus, Tag } from '../../src/kmip/generated/index.js';
import { parseResponse, payloadText } from '../../test/helpers/kmip-request.js';
import { closedLoop, closedLoopRow, runMain, withWorkDir, createAes256Request, getRequest } from './closed-loop.js';

/** A server module: this checkout's source, or the compiled one of BENCH_SERVER_ROOT. */
async function serverModule<T>(path: string): Promise<T> {
  const root = process.env['BENCH_SERVER_ROOT'];
  const file = root === undefined ? resolve(import.meta.dirname, '../../src', `${path}.ts`) : resolve(root, 'dist', `${path}.js`);
  return (await import(pathToFileURL(file).href)) as T;
}

const { openPkcs11Provider } = await serverModule<typeof import('../../src/crypto/pkcs11/provider.js')>('crypto/pkcs11/provider');
const { ensureSoftHsmToken } = await serverModule<typeof import('../../src/crypto/pkcs11/softhsm.js')>('crypto/pkcs11/softhsm');
const { Dispatcher } = await serverModule<{ Dispatcher: typeof DispatcherClass }>('dispatch/dispatcher');
const { operations } = await serverModule<typeof import('../../src/operations/index.js')>('operations/index');
const { openLevelDbStore } = await serverModule<typeof import('../../src/store/leveldb/leveldb-store.js')>('store/leveldb/leveldb-store');

const SECONDS = Number(process.argv[2] ?? 3);
const ROUNDS = Number(process.argv[3] ?? 1);
const CONCURRENCY = (process.argv[4] ?? '1,16').split(',').map(Number);
const peer = { principal: 'alice', connId: 'c1' };

async function measure(name: string, concurrency: number, op: () => Promise<unknown>): Promise<void> {
  console.log(closedLoopRow(name, concurrency, await closedLoop(op, { concurrency, seconds: SECONDS })));
}

async function main(): Promise<void> {
  await withWorkDir('kmipd-dispatch-get-', async (work) => {
    const token = await ensureSoftHsmToken(join(work, 'data'));
    const crypto = await openPkcs11Provider(token, { exportCache: { ttlMs: 1_000, maxEntries: 1_024 } });
    const store = await openLevelDbStore(join(work, 'data', 'store'));
    const log = pino({ level: 'warn' });
    const dispatcher = new Dispatcher({ store, crypto, log, operations, server: { vendorIdentification: 'kmipd', serverInformation: 'kmipd bench' } });
    try {
      const created = parseResponse(await dispatcher.handle(createAes256Request([1, 2]), peer));
      const uid = payloadText(created.items[0]!, Tag.UniqueIdentifier)!;
      const get = getRequest(uid, [1, 2]);
      const check = parseResponse(await dispatcher.handle(get, peer));
      if (check.items[0]?.status !== ResultStatus.Success) throw new Error(`Get failed (reason ${check.items[0]?.reason})`);
      console.log('| case | concurrency | ops/s | CPU µs/op | main thread CPU µs/op | p50 ms | p99 ms |\n|---|--:|--:|--:|--:|--:|--:|');
      for (let r = 0; r < ROUNDS; r++) {
        for (const n of CONCURRENCY) {
          const m0 = store.metrics;
          await measure('Get via Dispatcher.handle', n, () => dispatcher.handle(get, peer));
          const m = store.metrics;
          console.log(`  (${m.commits - m0.commits} audit commits in ${m.batches - m0.batches} fsync'd batches)`);
        }
      }
    } finally {
      await store.close();
      await crypto.close();
    }
  });
}

runMain(main);
