/**
 * Issue "Server core": long HSM operations (RSA key generation) must not stall other connections.
 * Slow jobs (RSA-4096 Create Key Pair; PBKDF2 Derive Key at a quarter of its work bound) run at
 * once on more connections than libuv has threads, while another connection keeps creating and getting AES
 * keys (each a durable LevelDB batch and HSM calls): those must be answered while every slow job
 * is still running (src/crypto/slow-jobs.ts). Without the gate, none is answered until a slow
 * job ends and frees a thread.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CryptographicAlgorithm,
  CryptographicUsageMask,
  DerivationMethod,
  KeyFormatType,
  ObjectType,
  Operation,
  ResultStatus,
  SecretDataType,
  Tag,
} from '../src/kmip/generated/index.js';
import { MAX_PBKDF2_WORK } from '../src/operations/crypto/derive-key.js';
import { bytes, enm, int, struct, text } from '../src/ttlv/build.js';
import { parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { activatedAMinuteAgo, expectSuccess, useLiveKmipd } from './helpers/live.js';
import { KmipTestClient, loadClientCerts } from './helpers/tls-client.js';

/** More than libuv's 4 threads. */
const SLOW_JOBS = 6;
const live = useLiveKmipd('hsm-no-stall');

function rsaPair(bits: number): Buffer {
  return request([2, 0], [
    {
      operation: Operation.CreateKeyPair,
      payload: [
        struct(Tag.CommonAttributes, [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.RSA), int(Tag.CryptographicLength, bits)]),
        struct(Tag.PrivateKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Sign)]),
        struct(Tag.PublicKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Verify)]),
      ],
    },
  ]);
}

function pbkdf2(base: string): Buffer {
  return request([2, 0], [
    {
      operation: Operation.DeriveKey,
      payload: [
        enm(Tag.ObjectType, ObjectType.SymmetricKey),
        text(Tag.UniqueIdentifier, base),
        enm(Tag.DerivationMethod, DerivationMethod.PBKDF2),
        // One SHA-1 block at a quarter of the work bound: most of a second on one libuv thread.
        struct(Tag.DerivationParameters, [bytes(Tag.Salt, Buffer.from('salt')), int(Tag.IterationCount, MAX_PBKDF2_WORK / 4)]),
        struct(Tag.Attributes, [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 128)]),
      ],
    },
  ]);
}

/** Starts the slow requests, then counts Create + Get pairs answered before the first of them ends. */
async function pairsWhileSlowJobsRun(slow: () => Buffer): Promise<{ beforeFirst: number; pairs: number }> {
  const certs = loadClientCerts(join(live.dataDir, '..', 'certs'), 'alice');
  const conns = await Promise.all(Array.from({ length: SLOW_JOBS }, () => KmipTestClient.connect(live.server.port, certs)));
  let finished = 0;
  const answers = conns.map(async (c) => {
    const r = parseResponse((await c.roundTrip(slow()))!).items[0]!;
    finished++;
    return r;
  });
  // Let the slow requests reach the server first: they would take every libuv thread.
  await new Promise((r) => setTimeout(r, 100));
  let beforeFirst = 0;
  let pairs = 0;
  while (finished < SLOW_JOBS) {
    const created = expectSuccess(
      await live.one([2, 0], Operation.Create, [
        enm(Tag.ObjectType, ObjectType.SymmetricKey),
        struct(Tag.Attributes, [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 256), int(Tag.CryptographicUsageMask, CryptographicUsageMask.Encrypt)]),
      ]),
    );
    expectSuccess(await live.one([2, 0], Operation.Get, [text(Tag.UniqueIdentifier, payloadText(created, Tag.UniqueIdentifier)!)]));
    pairs++;
    if (finished === 0) beforeFirst++;
  }
  const results = await Promise.all(answers);
  for (const c of conns) c.close();
  for (const r of results) expect(r.status, r.message).toBe(ResultStatus.Success);
  return { beforeFirst, pairs };
}

describe('slow jobs do not stall other connections', () => {
  it(`${SLOW_JOBS} concurrent RSA-4096 Create Key Pair`, async () => {
    const { beforeFirst, pairs } = await pairsWhileSlowJobsRun(() => rsaPair(4096));
    expect(beforeFirst, `${pairs} Create + Get pairs in all`).toBeGreaterThanOrEqual(3);
  }, 300_000);

  it(`${SLOW_JOBS} concurrent PBKDF2 Derive Key at a quarter of the work bound`, async () => {
    const base = payloadText(
      expectSuccess(
        await live.one([2, 0], Operation.Register, [
          enm(Tag.ObjectType, ObjectType.SecretData),
          struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.DeriveKey), activatedAMinuteAgo()]),
          struct(Tag.SecretData, [
            enm(Tag.SecretDataType, SecretDataType.Password),
            struct(Tag.KeyBlock, [enm(Tag.KeyFormatType, KeyFormatType.Opaque), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, Buffer.from('password'))])]),
          ]),
        ]),
      ),
      Tag.UniqueIdentifier,
    )!;
    const { beforeFirst, pairs } = await pairsWhileSlowJobsRun(() => pbkdf2(base));
    expect(beforeFirst, `${pairs} Create + Get pairs in all`).toBeGreaterThanOrEqual(3);
  }, 300_000);
});
