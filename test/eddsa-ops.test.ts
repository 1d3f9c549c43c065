/**
 * Ed25519 / Ed448 in process (dispatcher, memory store, the node:crypto fake provider): the same
 * contract as the SoftHSM2 path (test/eddsa-live.test.ts), so handler logic is checked without an
 * HSM. RFC 8032 §7.1 TEST 3 (two-byte message) must come out byte for byte.
 */
import { createPrivateKey, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CryptographicAlgorithm as A, CryptographicUsageMask, KeyFormatType as K, ObjectType, Operation, ResultReason, ResultStatus, Tag, ValidityIndicator } from '../src/kmip/generated/index.js';
import { bool, bytes, child, dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';

const d = testDispatcher();
const send = async (operation: number, payload: TtlvNode[]): Promise<ItemResult> =>
  parseResponse(await d.handle(request([2, 1], [{ operation, payload }]), { principal: 'alice', connId: 'c1' })).items[0]!;
const ok = (r: ItemResult): ItemResult => {
  expect(r.status, r.message).toBe(ResultStatus.Success);
  return r;
};
const active = () => dateTime(Tag.ActivationDate, BigInt(Math.floor(Date.now() / 1000) - 60));
const material = (r: ItemResult, tag: number): Buffer =>
  Buffer.from(child(child(child(child(r.payload!, tag)!, Tag.KeyBlock)!, Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array);

describe('EdDSA through the dispatcher (fake provider)', () => {
  it.each([
    ['Ed25519', A.Ed25519],
    ['Ed448', A.Ed448],
  ] as const)('%s: Create Key Pair, Get, Sign, Signature Verify; non-extractable keys stay put', async (_n, alg) => {
    for (const extractable of [true, false]) {
      const r = ok(
        await send(Operation.CreateKeyPair, [
          struct(Tag.CommonAttributes, [enm(Tag.CryptographicAlgorithm, alg), active()]),
          struct(Tag.PrivateKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Sign), ...(extractable ? [] : [bool(Tag.Extractable, false)])]),
          struct(Tag.PublicKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Verify)]),
        ]),
      );
      const priv = payloadText(r, Tag.PrivateKeyUniqueIdentifier)!;
      const pub = payloadText(r, Tag.PublicKeyUniqueIdentifier)!;
      const spki = material(ok(await send(Operation.Get, [text(Tag.UniqueIdentifier, pub)])), Tag.PublicKey);
      const g = await send(Operation.Get, [text(Tag.UniqueIdentifier, priv)]);
      if (extractable) {
        const p8 = material(ok(g), Tag.PrivateKey);
        expect(createPublicKey(createPrivateKey({ key: p8, format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' }).equals(spki)).toBe(true);
      } else {
        expect(g.reason).toBe(ResultReason.NotExtractable);
      }
      const data = Buffer.from('message');
      const sig = Buffer.from(child(ok(await send(Operation.Sign, [text(Tag.UniqueIdentifier, priv), bytes(Tag.Data, data)])).payload!, Tag.SignatureData)!.value as Uint8Array);
      expect(nodeVerify(null, data, createPublicKey({ key: spki, format: 'der', type: 'spki' }), sig)).toBe(true);
      const v = ok(await send(Operation.SignatureVerify, [text(Tag.UniqueIdentifier, pub), bytes(Tag.Data, data), bytes(Tag.SignatureData, sig)]));
      expect(child(v.payload!, Tag.ValidityIndicator)!.value).toBe(ValidityIndicator.Valid);
    }
  });

  it('RFC 8032 TEST 3 through Register + Sign', async () => {
    const secret = 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7';
    const r = ok(
      await send(Operation.Register, [
        enm(Tag.ObjectType, ObjectType.PrivateKey),
        struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Sign), active()]),
        struct(Tag.PrivateKey, [
          struct(Tag.KeyBlock, [
            enm(Tag.KeyFormatType, K.PKCS_8),
            struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, Buffer.from(`302e020100300506032b657004220420${secret}`, 'hex'))]),
            enm(Tag.CryptographicAlgorithm, A.Ed25519),
          ]),
        ]),
      ]),
    );
    const s = ok(await send(Operation.Sign, [text(Tag.UniqueIdentifier, payloadText(r, Tag.UniqueIdentifier)!), bytes(Tag.Data, Buffer.from('af82', 'hex'))]));
    expect(Buffer.from(child(s.payload!, Tag.SignatureData)!.value as Uint8Array).toString('hex')).toBe(
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
    );
  });
});
