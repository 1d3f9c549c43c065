/**
 * Create of a Symmetric Key whose algorithm the HSM does not implement (IDEA, CAST5, ...): the key
 * is generated in SoftHSM2 as a generic secret of the algorithm's length and stored wrapped like
 * any key; Get serves it; a cryptographic operation with it is refused. PyKMIP's own integration
 * tests create IDEA keys (test_create_getattributes_locate_destroy, test_modify_delete_attribute).
 */
import { describe, expect, it } from 'vitest';
import { BlockCipherMode, CryptographicAlgorithm, ObjectType, Operation, ResultReason, ResultStatus, Tag } from '../src/kmip/generated/index.js';
import { bytes, child, dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, payloadText } from './helpers/kmip-request.js';
import { requestAttributes, useLiveKmipd } from './helpers/live.js';

const live = useLiveKmipd('stored-only');
const one = (v: [number, number], operation: number, payload: TtlvNode[]): Promise<ItemResult> => live.one(v, operation, payload);

function create(v: [number, number], alg: number, bits: number): Promise<ItemResult> {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const attrs = requestAttributes(v, [
    enm(Tag.CryptographicAlgorithm, alg),
    int(Tag.CryptographicLength, bits),
    int(Tag.CryptographicUsageMask, 12),
    dateTime(Tag.ActivationDate, now - 60n),
  ]);
  return one(v, Operation.Create, [enm(Tag.ObjectType, ObjectType.SymmetricKey), attrs]);
}

function keyBytes(r: ItemResult): Buffer {
  const kb = child(child(r.payload!, Tag.SymmetricKey)!, Tag.KeyBlock)!;
  expect(child(kb, Tag.CryptographicAlgorithm)?.value).toBeDefined();
  return Buffer.from(child(child(kb, Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array);
}

describe.each([
  ['1.2', [1, 2] as [number, number]],
  ['2.0', [2, 0] as [number, number]],
])('stored-only symmetric algorithms at KMIP %s', (_l, v) => {
  it('IDEA-128 and CAST5-80: created in the HSM, Get returns stable bytes of the right length', async () => {
    for (const [alg, bits] of [
      [CryptographicAlgorithm.IDEA, 128],
      [CryptographicAlgorithm.CAST5, 80],
    ] as const) {
      const c = await create(v, alg, bits);
      expect(c.status, c.message).toBe(ResultStatus.Success);
      const uid = payloadText(c, Tag.UniqueIdentifier)!;
      const g1 = await one(v, Operation.Get, [text(Tag.UniqueIdentifier, uid)]);
      expect(g1.status, g1.message).toBe(ResultStatus.Success);
      const k1 = keyBytes(g1);
      expect(k1.length).toBe(bits / 8);
      const kb = child(child(g1.payload!, Tag.SymmetricKey)!, Tag.KeyBlock)!;
      expect(child(kb, Tag.CryptographicAlgorithm)!.value).toBe(alg);
      expect(child(kb, Tag.CryptographicLength)!.value).toBe(bits);
      expect(keyBytes(await one(v, Operation.Get, [text(Tag.UniqueIdentifier, uid)]))).toEqual(k1);
    }
  });

  it('two IDEA keys differ (generated, not fixed)', async () => {
    const a = payloadText(await create(v, CryptographicAlgorithm.IDEA, 128), Tag.UniqueIdentifier)!;
    const b = payloadText(await create(v, CryptographicAlgorithm.IDEA, 128), Tag.UniqueIdentifier)!;
    const ka = keyBytes(await one(v, Operation.Get, [text(Tag.UniqueIdentifier, a)]));
    const kb = keyBytes(await one(v, Operation.Get, [text(Tag.UniqueIdentifier, b)]));
    expect(ka.equals(kb)).toBe(false);
  });

  it('a length the algorithm does not define is Invalid Field; an unknown algorithm still Feature Not Supported', async () => {
    const bad = await create(v, CryptographicAlgorithm.IDEA, 256);
    expect([bad.status, bad.reason]).toEqual([ResultStatus.OperationFailed, ResultReason.InvalidField]);
    const odd = await create(v, CryptographicAlgorithm.CAST5, 84);
    expect([odd.status, odd.reason]).toEqual([ResultStatus.OperationFailed, ResultReason.InvalidField]);
    const rsa = await create(v, CryptographicAlgorithm.RSA, 2048);
    expect(rsa.status).toBe(ResultStatus.OperationFailed);
  });

  it('Encrypt with an IDEA key is refused: the HSM does not implement IDEA', async () => {
    const uid = payloadText(await create(v, CryptographicAlgorithm.IDEA, 128), Tag.UniqueIdentifier)!;
    const r = await one(v, Operation.Encrypt, [
      text(Tag.UniqueIdentifier, uid),
      struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.ECB)]),
      bytes(Tag.Data, Buffer.alloc(16, 1)),
    ]);
    expect(r.status).toBe(ResultStatus.OperationFailed);
    expect(r.message ?? '').not.toMatch(/[0-9a-f]{32}/);
  });
});
