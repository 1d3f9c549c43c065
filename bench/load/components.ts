/**
 * What one Get costs below the network, component by component, with the same SoftHSM2 token
 * and LevelDB store kmipd uses (in this process, no TLS):
 * - HSM export: `exportKeyMaterial` of a wrapped AES-256 key (C_UnwrapKey into a session object,
 *   C_GetAttributeValue, C_DestroyObject), which every Get of a symmetric key does without the key
 *   export cache: as one job on the export worker thread (the default) and, for comparison, with
 *   the read and destroy synchronous on the event loop (`exportInWorker: false`);
 * - HSM export through the key export cache (1 s TTL), as repeated Gets of one key see it;
 * - store get: reading the object;
 * - audit commit: the one-record, fsync'd, group-committed write every request (Get included) makes.
 *
 *   tsx bench/load/components.ts [seconds per case, default 3]
 *
 * Each case runs closed loop at concurrency 1 and 16 for a fixed time; it reports ops/s, CPU
 * microseconds per op for this process (all threads), event-loop (main thread) busy microseconds
 * per op, and p50/p99 latency.
 */
import { join } from 'node:path';
import { openPkcs11Provider } from '../../src/crypto/pkcs11/provider.js';
import { ensureSoftHsmToken } from '../../src/crypto/pkcs11/softhsm.js';
import { openLevelDbStore } from '../../src/store/leveldb/leveldb-store.js';
import { closedLoop, closedLoopRow, runMain, withWorkDir } from './closed-loop.js';

const SECONDS = Number(process.argv[2] ?? 3);

async function measure(name: string, concurrency: number, op: () => Promise<unknown>): Promise<void> {
  console.log(closedLoopRow(name, concurrency, await closedLoop(op, { concurrency, seconds: SECONDS, warmup: 50, mainThread: 'elu' })));
}

async function main(): Promise<void> {
  await withWorkDir('kmipd-components-', async (work) => {
    const token = await ensureSoftHsmToken(join(work, 'data'));
    const crypto = await openPkcs11Provider(token);
    const onLoop = await openPkcs11Provider(token, { exportInWorker: false });
    const cached = await openPkcs11Provider(token, { exportCache: { ttlMs: 1_000, maxEntries: 1_024 } });
    const store = await openLevelDbStore(join(work, 'data', 'store'));
    try {
      const ref = await crypto.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true });
      const uid = 'bench-object';
      await store.commit({
        put: [{ uid, owner: 'alice', revision: 1, body: new Uint8Array(400), index: [] }],
        delete: [],
        audit: [{ time: new Date().toISOString(), principal: 'alice', operation: 'Create', uids: [uid], result: 'Success' }],
      });
      console.log('| component | concurrency | ops/s | CPU µs/op | event loop µs/op | p50 ms | p99 ms |\n|---|--:|--:|--:|--:|--:|--:|');
      for (const n of [1, 16]) await measure('HSM export, worker thread (unwrap + read + destroy)', n, () => crypto.exportKeyMaterial(ref, 'AES'));
      for (const n of [1, 16]) await measure('HSM export, read + destroy on the event loop', n, () => onLoop.exportKeyMaterial(ref, 'AES'));
      for (const n of [1, 16]) await measure('HSM export via key export cache (1 s)', n, () => cached.exportKeyMaterial(ref, 'AES', { cacheAs: 'bench' }));
      for (const n of [1, 16]) await measure('store get', n, () => store.get(uid));
      for (const n of [1, 16]) {
        await measure('audit commit (1 record, fsync, group commit)', n, () =>
          store.commit({ put: [], delete: [], audit: [{ time: new Date().toISOString(), principal: 'alice', operation: 'Get', uids: [uid], result: 'Success' }] }),
        );
      }
    } finally {
      await store.close();
      await cached.close();
      await onLoop.close();
      await crypto.close();
    }
  });
}

runMain(main);
