/**
 * Encrypt under concurrency, through the real parts in-process (Dispatcher, LevelDB store, SoftHSM2
 * provider):
 * - server-chosen AES-GCM IVs never repeat under one key across many concurrent Encrypts, and
 *   every ciphertext decrypts back with the IV it came with;
 * - Usage Limits stay exact when Encrypts on one limited key race: no request is served beyond
 *   the limit and no served request goes uncharged. A request that loses the race for the key's
 *   revision is refused as a whole by the store (StaleRevisionError at commit: no ciphertext, no
 *   charge) and re-run by the dispatcher on the new count; every request gets an answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPkcs11Provider, type Pkcs11CryptoProvider } from '../src/crypto/pkcs11/provider.js';
import { ensureSoftHsmToken } from '../src/crypto/pkcs11/softhsm.js';
import { Dispatcher } from '../src/dispatch/dispatcher.js';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  ObjectType,
  Operation,
  ResultReason,
  ResultStatus,
  Tag,
  UsageLimitsUnit,
} from '../src/kmip/generated/index.js';
import { openLevelDbStore } from '../src/store/leveldb/leveldb-store.js';
import { bytes, child, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';

const work = mkdtempSync(join(tmpdir(), 'kmipd-usage-iv-'));
const V21: [number, number] = [2, 1];
let store: Awaited<ReturnType<typeof openLevelDbStore>>;
let hsm: Pkcs11CryptoProvider;
let d: Dispatcher;
const peer = { principal: 'alice', connId: 'c1' };

beforeAll(async () => {
  store = await openLevelDbStore(join(work, 'db'));
  hsm = await openPkcs11Provider(await ensureSoftHsmToken(join(work, 'hsm')));
  d = testDispatcher({ store, crypto: hsm });
}, 60_000);
afterAll(async () => {
  await hsm?.close();
  await store?.close();
  rmSync(work, { recursive: true, force: true });
});

async function one(operation: number, payload: TtlvNode[]): Promise<ItemResult> {
  return parseResponse(await d.handle(request(V21, [{ operation, payload }]), peer)).items[0]!;
}

function ok(r: ItemResult): ItemResult {
  expect({ status: r.status, message: r.message }).toEqual({ status: ResultStatus.Success, message: undefined });
  return r;
}

const out = (r: ItemResult, tag: number): Buffer => {
  const n = r.payload && child(r.payload, tag);
  if (n?.type !== 'ByteString') throw new Error(`no ${tag.toString(16)} in the response`);
  return Buffer.from(n.value);
};

/** Creates and activates an AES-256 key in the HSM; `extra` attributes go with the Create. */
async function aesKey(extra: TtlvNode[] = []): Promise<string> {
  const c = ok(
    await one(Operation.Create, [
      enm(Tag.ObjectType, ObjectType.SymmetricKey),
      struct(Tag.Attributes, [
        enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
        int(Tag.CryptographicLength, 256),
        int(Tag.CryptographicUsageMask, CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt),
        ...extra,
      ]),
    ]),
  );
  const uid = payloadText(c, Tag.UniqueIdentifier)!;
  ok(await one(Operation.Activate, [text(Tag.UniqueIdentifier, uid)]));
  return uid;
}

const gcm = (): TtlvNode => struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.GCM), int(Tag.TagLength, 16)]);
const encryptReq = (uid: string, data: Buffer): TtlvNode[] => [text(Tag.UniqueIdentifier, uid), gcm(), bytes(Tag.Data, data)];

/** The key's Usage Limits Count, read back with Get Attributes. */
async function usageCount(uid: string): Promise<bigint> {
  const r = ok(await one(Operation.GetAttributes, [text(Tag.UniqueIdentifier, uid), enm(Tag.AttributeReference, Tag.UsageLimits)]));
  const attrs = child(r.payload!, Tag.Attributes);
  const limits = attrs && child(attrs, Tag.UsageLimits);
  const count = limits && child(limits, Tag.UsageLimitsCount);
  if (count?.type !== 'LongInteger') throw new Error('no Usage Limits Count');
  return count.value;
}

describe('server-chosen GCM IVs', () => {
  it('never repeat under one key across concurrent Encrypts, and each ciphertext decrypts with its IV', async () => {
    const uid = await aesKey();
    const plain = (i: number): Buffer => Buffer.from(`message ${i} `.padEnd(64, '.'));
    const results = await Promise.all(Array.from({ length: 400 }, async (_, i) => ({ i, r: ok(await one(Operation.Encrypt, encryptReq(uid, plain(i)))) })));
    const ivs = results.map(({ r }) => out(r, Tag.IVCounterNonce));
    expect(ivs.every((iv) => iv.length === 12)).toBe(true);
    expect(new Set(ivs.map((iv) => iv.toString('hex'))).size).toBe(400);
    for (const { i, r } of results.filter((_, k) => k % 40 === 0)) {
      const back = ok(
        await one(Operation.Decrypt, [
          text(Tag.UniqueIdentifier, uid),
          gcm(),
          bytes(Tag.Data, out(r, Tag.Data)),
          bytes(Tag.IVCounterNonce, out(r, Tag.IVCounterNonce)),
          bytes(Tag.AuthenticatedEncryptionTag, out(r, Tag.AuthenticatedEncryptionTag)),
        ]),
      );
      expect(out(back, Tag.Data).equals(plain(i))).toBe(true);
    }
  });
});

describe('Usage Limits under concurrency', () => {
  it('serve exactly the limit: racing Encrypts are served and charged, or refused without a charge', async () => {
    const size = 64;
    const allowed = 10;
    const uid = await aesKey([
      struct(Tag.UsageLimits, [{ tag: Tag.UsageLimitsTotal, type: 'LongInteger', value: BigInt(size * allowed) }, enm(Tag.UsageLimitsUnit, UsageLimitsUnit.Byte)]),
    ]);
    const data = Buffer.alloc(size, 0x5a);
    let served = 0;
    // Rounds of concurrent Encrypts until the key is used up; every outcome is accounted for.
    for (let round = 0; round < 40 && served < allowed; round++) {
      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => one(Operation.Encrypt, encryptReq(uid, data))));
      for (const o of outcomes) {
        if (o.status === 'rejected') {
          // Every request is answered: one that lost the race for the key's revision is re-run by
          // the dispatcher on the new count (src/dispatch/batch.ts), never thrown out.
          expect.fail(`request not answered: ${String(o.reason)}`);
        } else if (o.value.status === ResultStatus.Success) {
          served += 1;
          expect(out(o.value, Tag.Data).length).toBe(size);
        } else {
          expect(o.value.reason, o.value.message).toBe(ResultReason.PermissionDenied);
        }
      }
      expect(served).toBeLessThanOrEqual(allowed);
      expect(await usageCount(uid)).toBe(BigInt(size * (allowed - served)));
    }
    expect(served).toBe(allowed);
    expect(await usageCount(uid)).toBe(0n);
    // Used up: refused, and Decrypt is not charged.
    const refused = await one(Operation.Encrypt, encryptReq(uid, data));
    expect(refused.reason).toBe(ResultReason.PermissionDenied);
  });

  it('a key without Usage Limits is not written by Encrypt (no store write besides the audit record)', async () => {
    const uid = await aesKey();
    const before = await store.get(uid);
    for (let i = 0; i < 5; i++) ok(await one(Operation.Encrypt, encryptReq(uid, Buffer.alloc(16))));
    expect((await store.get(uid))?.revision).toBe(before?.revision);
  });
});
