/**
 * The Encrypt request path below TLS, beside Get on the same key (issue #5), in this process: the same composition as kmipd (SoftHSM2
 * token, LevelDB store, key export cache at its default, dispatcher with every operation) driven
 * with pre-encoded KMIP 1.4 Get and Encrypt (AES-256-GCM, 64 B, server-chosen IV) requests through `Dispatcher.handle`, closed loop at each
 * concurrency. Reports ops/s, CPU µs/op (all threads: LevelDB and HSM threads included) and the
 * main thread's CPU µs/op (the cost that bounds a single-event-loop server; from Linux schedstat,
 * so time spent waiting for a CPU is not counted), which vary much less with other load on the
 * machine than the end-to-end figures of `npm run bench`.
 *
 *   tsx bench/load/dispatch-crypto.ts [seconds per case, default 3] [rounds, default 1] [concurrency list, default 1,16]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { openPkcs11Provider } from '../../src/crypto/pkcs11/provider.js';
import { ensureSoftHsmToken } from '../../src/crypto/pkcs11/softhsm.js';
import { Dispatcher } from '../../src/dispatch/dispatcher.js';
import { BlockCipherMode, CryptographicAlgorithm, Operation, ResultStatus, Tag } from '../../src/kmip/generated/index.js';
import { operations } from '../../src/operations/index.js';
import { openLevelDbStore } from '../../src/store/leveldb/leveldb-store.js';
import { bytes, enm, int, struct, text } from '../../src/ttlv/build.js';
import { parseResponse, payloadText, request } from '../../test/helpers/kmip-request.js';
import { closedLoop, closedLoopRow, createAes256Request } from './closed-loop.js';

const SECONDS = Number(process.argv[2] ?? 3);
const ROUNDS = Number(process.argv[3] ?? 1);
const CONCURRENCY = (process.argv[4] ?? '1,16').split(',').map(Number);
const peer = { principal: 'alice', connId: 'c1' };

async function measure(name: string, concurrency: number, op: () => Promise<unknown>): Promise<void> {
  console.log(closedLoopRow(name, concurrency, await closedLoop(op, { concurrency, seconds: SECONDS })));
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'kmipd-dispatch-crypto-'));
  try {
    const token = await ensureSoftHsmToken(join(work, 'data'));
    const crypto = await openPkcs11Provider(token, { exportCache: { ttlMs: 1_000, maxEntries: 1_024 }, cipherInWorker: process.env['CIPHER_IN_WORKER'] === '1' });
    const store = await openLevelDbStore(join(work, 'data', 'store'));
    const log = pino({ level: 'warn' });
    const dispatcher = new Dispatcher({ store, crypto, log, operations, server: { vendorIdentification: 'kmipd', serverInformation: 'kmipd bench' } });
    try {
      const created = parseResponse(await dispatcher.handle(createAes256Request([1, 4]), peer));
      const uid = payloadText(created.items[0]!, Tag.UniqueIdentifier)!;
      const activated = parseResponse(await dispatcher.handle(request([1, 4], [{ operation: Operation.Activate, payload: [text(Tag.UniqueIdentifier, uid)] }]), peer));
      if (activated.items[0]?.status !== ResultStatus.Success) throw new Error(`Activate failed (reason ${activated.items[0]?.reason})`);
      const get = request([1, 4], [{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }]);
      const gcm = struct(Tag.CryptographicParameters, [
        enm(Tag.BlockCipherMode, BlockCipherMode.GCM),
        enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
        int(Tag.TagLength, 16),
      ]);
      const encrypt = request([1, 4], [{ operation: Operation.Encrypt, payload: [text(Tag.UniqueIdentifier, uid), gcm, bytes(Tag.Data, Buffer.alloc(64, 7))] }]);
      for (const [name, req] of [['Get', get], ['Encrypt', encrypt]] as const) {
        const check = parseResponse(await dispatcher.handle(req, peer));
        if (check.items[0]?.status !== ResultStatus.Success) throw new Error(`${name} failed (reason ${check.items[0]?.reason})`);
      }
      const only = process.env['CASES'] ?? 'Get,Encrypt';
      console.log('| case | concurrency | ops/s | CPU µs/op | main thread CPU µs/op | p50 ms | p99 ms |\n|---|--:|--:|--:|--:|--:|--:|');
      for (let r = 0; r < ROUNDS; r++) {
        for (const n of CONCURRENCY) {
          for (const [name, req] of [['Get', get], ['Encrypt AES-256-GCM 64 B', encrypt]] as const) {
            if (!only.split(',').some((c) => name.startsWith(c))) continue;
            const m0 = store.metrics;
            await measure(`${name} via Dispatcher.handle`, n, () => dispatcher.handle(req, peer));
            const m = store.metrics;
            console.log(`  (${m.commits - m0.commits} commits in ${m.batches - m0.batches} fsync'd batches)`);
          }
        }
      }
    } finally {
      await store.close();
      await crypto.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
