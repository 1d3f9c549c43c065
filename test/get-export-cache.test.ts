/**
 * The key export cache with the real parts behind it: the dispatcher, the operations, SoftHSM2
 * (src/crypto/pkcs11) and the object store. Repeated Gets of one key are served from the cache;
 * every write of the object (Activate, Revoke, Re-key's link, Destroy, attribute changes)
 * invalidates it, so a Get after the write sees the write; export errors are the same KMIP
 * errors with the cache as without it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CryptoError, type KeyRef } from '../src/crypto/provider.js';
import { openPkcs11Provider, type Pkcs11CryptoProvider } from '../src/crypto/pkcs11/provider.js';
import { Dispatcher } from '../src/dispatch/dispatcher.js';
import {
  CryptographicAlgorithm,
  CryptographicUsageMask,
  ObjectType,
  Operation,
  ResultReason,
  ResultStatus,
  RevocationReasonCode,
  Tag,
} from '../src/kmip/generated/index.js';
import { enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';
import { useSoftHsmProvider } from './helpers/softhsm.js';

const V: [number, number] = [2, 1];
const peer = { principal: 'alice', connId: 'c1' };
const fixture = useSoftHsmProvider('kmipd-export-cache-', (cfg) => openPkcs11Provider(cfg, { exportCache: { ttlMs: 60_000, maxEntries: 16 } }));
let hsm: Pkcs11CryptoProvider;
let d: Dispatcher;

beforeAll(() => {
  hsm = fixture.hsm;
  d = testDispatcher({ crypto: hsm });
});

async function one(operation: number, payload: TtlvNode[]): Promise<ItemResult> {
  return parseResponse(await d.handle(request(V, [{ operation, payload }]), peer)).items[0]!;
}

async function createKey(): Promise<string> {
  const r = await one(Operation.Create, [
    enm(Tag.ObjectType, ObjectType.SymmetricKey),
    struct(Tag.Attributes, [
      enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
      int(Tag.CryptographicLength, 256),
      int(Tag.CryptographicUsageMask, CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt),
    ]),
  ]);
  expect(r.status).toBe(ResultStatus.Success);
  const uid = payloadText(r, Tag.UniqueIdentifier)!;
  // The first Get serves the key and so clears Fresh (a write, which invalidates): the counts
  // below start from a key that has been served once.
  expect((await one(Operation.Get, [text(Tag.UniqueIdentifier, uid)])).status).toBe(ResultStatus.Success);
  return uid;
}

function keyMaterial(node: TtlvNode | undefined): Uint8Array | undefined {
  if (node === undefined) return undefined;
  if (node.tag === Tag.KeyMaterial && node.type === 'ByteString') return node.value;
  if (node.type !== 'Structure') return undefined;
  for (const c of node.value) {
    const found = keyMaterial(c);
    if (found) return found;
  }
  return undefined;
}

async function get(uid: string): Promise<ItemResult> {
  return one(Operation.Get, [text(Tag.UniqueIdentifier, uid)]);
}

const uidOnly = (uid: string) => [text(Tag.UniqueIdentifier, uid)];
const stats = () => hsm.exportCacheStats;

describe('key export cache behind Get', () => {
  it('serves a repeated Get from the cache with the same bytes', async () => {
    const uid = await createKey();
    const before = stats();
    const a = await get(uid);
    const b = await get(uid);
    expect(a.status).toBe(ResultStatus.Success);
    expect(b.status).toBe(ResultStatus.Success);
    expect(Buffer.from(keyMaterial(b.payload)!)).toEqual(Buffer.from(keyMaterial(a.payload)!));
    expect(keyMaterial(a.payload)).toHaveLength(32);
    expect(stats().misses - before.misses).toBe(1);
    expect(stats().hits - before.hits).toBe(1);
  });

  it('every write of the object invalidates it: Activate, Add Attribute, Revoke, Destroy', async () => {
    const uid = await createKey();
    const value = Buffer.from(keyMaterial((await get(uid)).payload)!);
    let inv = stats().invalidations;

    expect((await one(Operation.Activate, uidOnly(uid))).status).toBe(ResultStatus.Success);
    expect(stats().invalidations).toBe(++inv);
    let misses = stats().misses;
    expect(Buffer.from(keyMaterial((await get(uid)).payload)!)).toEqual(value);
    expect(stats().misses).toBe(misses + 1);

    const addName = await one(Operation.AddAttribute, [
      text(Tag.UniqueIdentifier, uid),
      struct(Tag.NewAttribute, [struct(Tag.Name, [text(Tag.NameValue, 'cached-key'), enm(Tag.NameType, 1)])]),
    ]);
    expect(addName.status).toBe(ResultStatus.Success);
    expect(stats().invalidations).toBe(++inv);
    await get(uid);

    const revoke = await one(Operation.Revoke, [
      text(Tag.UniqueIdentifier, uid),
      struct(Tag.RevocationReason, [enm(Tag.RevocationReasonCode, RevocationReasonCode.KeyCompromise)]),
    ]);
    expect(revoke.status).toBe(ResultStatus.Success);
    expect(stats().invalidations).toBe(++inv);
    // The Get after Revoke loads the new state; whatever it answers, it is not a cache hit.
    misses = stats().misses;
    const hits = stats().hits;
    const afterRevoke = await get(uid);
    if (afterRevoke.status === ResultStatus.Success) expect(stats().misses).toBe(misses + 1);
    expect(stats().hits).toBe(hits);

    const destroyed = await one(Operation.Destroy, uidOnly(uid));
    expect(destroyed.status).toBe(ResultStatus.Success);
    expect(stats().invalidations).toBeGreaterThanOrEqual(inv + (afterRevoke.status === ResultStatus.Success ? 1 : 0));
    const afterDestroy = await get(uid);
    expect(afterDestroy.status).toBe(ResultStatus.OperationFailed);
    expect(stats().hits).toBe(hits);
  });

  it('Destroy of a cached key drops it: the Get after it fails and the value is gone', async () => {
    const uid = await createKey();
    await get(uid);
    await get(uid); // cached now
    const inv = stats().invalidations;
    expect((await one(Operation.Destroy, uidOnly(uid))).status).toBe(ResultStatus.Success);
    expect(stats().invalidations).toBe(inv + 1);
    const r = await get(uid);
    expect(r.status).toBe(ResultStatus.OperationFailed);
    expect(r.reason).toBe(ResultReason.ObjectDestroyed);
  });

  it('Re-key writes the old key (link, state) and so invalidates it', async () => {
    const uid = await createKey();
    expect((await one(Operation.Activate, uidOnly(uid))).status).toBe(ResultStatus.Success);
    await get(uid);
    const inv = stats().invalidations;
    const rekey = await one(Operation.ReKey, uidOnly(uid));
    expect(rekey.status).toBe(ResultStatus.Success);
    const fresh = payloadText(rekey, Tag.UniqueIdentifier)!;
    expect(fresh).not.toBe(uid);
    expect(stats().invalidations).toBe(inv + 1);
    const [oldKey, newKey] = [await get(uid), await get(fresh)];
    expect(newKey.status).toBe(ResultStatus.Success);
    if (oldKey.status === ResultStatus.Success) {
      expect(Buffer.from(keyMaterial(newKey.payload)!)).not.toEqual(Buffer.from(keyMaterial(oldKey.payload)!));
    }
  });
});

describe('export errors with the cache on', () => {
  async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
    try {
      await p;
      return undefined;
    } catch (e) {
      expect(e).toBeInstanceOf(CryptoError);
      return (e as CryptoError).code;
    }
  }

  it('are the same CryptoError codes as without it, and leave nothing cached', async () => {
    const ref = (await hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true })) as KeyRef & { kind: 'wrapped' };
    const blob = Uint8Array.from(ref.blob);
    blob[9] = (blob[9] as number) ^ 0x01;
    const bad = { ...ref, blob };
    for (const [r, alg] of [
      [bad, 'AES'],
      [{ ...ref, masterKeyLabel: 'no-such-master' }, 'AES'],
      [ref, 'TDES'],
    ] as const) {
      const plain = await codeOf(hsm.exportKeyMaterial(r, alg));
      expect(plain).toBeDefined();
      expect(await codeOf(hsm.exportKeyMaterial(r, alg, { cacheAs: 'err-key' }))).toBe(plain);
      expect(await codeOf(hsm.exportKeyMaterial(r, alg, { cacheAs: 'err-key' }))).toBe(plain);
    }
    // The good blob under the same uid is exported afresh, not confused with the failures.
    const misses = stats().misses;
    expect(await hsm.exportKeyMaterial(ref, 'AES', { cacheAs: 'err-key' })).toHaveLength(32);
    expect(stats().misses).toBe(misses + 1);
    const resident = await hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 128, extractable: false });
    expect(await codeOf(hsm.exportKeyMaterial(resident, 'AES', { cacheAs: 'resident' }))).toBe('NOT_EXTRACTABLE');
  });
});
