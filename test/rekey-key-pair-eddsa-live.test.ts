/**
 * Re-key Key Pair of Ed25519 / Ed448 pairs against a live kmipd (mutual TLS, SoftHSM2 2.6 with
 * PKCS#11 v3.0 EdDSA, LevelDB). KMIP 2.1 §6.1.46 / 1.4 §4.5: a new pair of the same algorithm,
 * generated in the HSM as Create Key Pair makes it (resident when not extractable, else kept
 * wrapped), linked to each other and to the pair it replaces, Names moved; the new private key
 * signs and the new public key (a fresh RFC 8410 key) verifies, checked with Node's crypto too.
 */
import { createHash, createPrivateKey, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CryptographicAlgorithm as A,
  CryptographicUsageMask,
  KeyFormatType as K,
  LinkType,
  NameType,
  Operation,
  ResultReason,
  Tag,
  ValidityIndicator,
} from '../src/kmip/generated/index.js';
import { bool, bytes, child, children, dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, payloadText } from './helpers/kmip-request.js';
import { expectFailure, expectSuccess, useLiveKmipd } from './helpers/live.js';

type V = [number, number];
const V21: V = [2, 1];
const live = useLiveKmipd('rekey-eddsa');
const send = (op: number, payload: TtlvNode[], v: V = V21) => live.one(v, op, payload);
const uidOf = (uid: string) => text(Tag.UniqueIdentifier, uid);
const name = (s: string) => struct(Tag.Name, [text(Tag.NameValue, s), enm(Tag.NameType, NameType.UninterpretedTextString)]);

const OID = { Ed25519: '2b6570', Ed448: '2b6571' } as const;
let seq = 0;

async function createPair(alg: number, privExtra: TtlvNode[] = []): Promise<{ priv: string; pub: string; name: string }> {
  const n = `ed-rekey-${++seq}`;
  const r = expectSuccess(
    await send(Operation.CreateKeyPair, [
      struct(Tag.CommonAttributes, [enm(Tag.CryptographicAlgorithm, alg), dateTime(Tag.ActivationDate, BigInt(Math.floor(Date.now() / 1000) - 60))]),
      struct(Tag.PrivateKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Sign), name(n), ...privExtra]),
      struct(Tag.PublicKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Verify)]),
    ]),
  );
  return { priv: payloadText(r, Tag.PrivateKeyUniqueIdentifier)!, pub: payloadText(r, Tag.PublicKeyUniqueIdentifier)!, name: n };
}

function keyBytes(r: ItemResult): Buffer {
  const obj = child(r.payload!, Tag.PrivateKey) ?? child(r.payload!, Tag.PublicKey);
  return Buffer.from(child(child(child(obj!, Tag.KeyBlock)!, Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array);
}

/** The 2.1 attributes of an object: one Attributes structure. */
async function attributes(uid: string): Promise<TtlvNode> {
  return child(expectSuccess(await send(Operation.GetAttributes, [uidOf(uid)])).payload!, Tag.Attributes)!;
}

function links(attrs: TtlvNode): [number, string][] {
  return children(attrs, Tag.Link).map((l) => [child(l, Tag.LinkType)!.value as number, child(l, Tag.LinkedObjectIdentifier)!.value as string]);
}

const names = (attrs: TtlvNode) => children(attrs, Tag.Name).map((n) => child(n, Tag.NameValue)!.value);
const digestValue = (attrs: TtlvNode) => Buffer.from(child(child(attrs, Tag.Digest)!, Tag.DigestValue)!.value as Uint8Array).toString('hex');

async function rekey(priv: string, v: V = V21): Promise<{ priv: string; pub: string }> {
  const r = expectSuccess(await send(Operation.ReKeyKeyPair, [text(Tag.PrivateKeyUniqueIdentifier, priv)], v));
  return { priv: payloadText(r, Tag.PrivateKeyUniqueIdentifier)!, pub: payloadText(r, Tag.PublicKeyUniqueIdentifier)! };
}

async function sign(priv: string, data: Buffer): Promise<Buffer> {
  const r = expectSuccess(await send(Operation.Sign, [uidOf(priv), bytes(Tag.Data, data)]));
  return Buffer.from(child(r.payload!, Tag.SignatureData)!.value as Uint8Array);
}

async function verify(pub: string, data: Buffer, sig: Buffer): Promise<number> {
  const r = expectSuccess(await send(Operation.SignatureVerify, [uidOf(pub), bytes(Tag.Data, data), bytes(Tag.SignatureData, sig)]));
  return child(r.payload!, Tag.ValidityIndicator)!.value as number;
}

describe('Re-key Key Pair of EdDSA pairs (live)', () => {
  for (const [curve, alg, sigBytes] of [
    ['Ed25519', A.Ed25519, 64],
    ['Ed448', A.Ed448, 114],
  ] as const) {
    it(`${curve}: a new HSM pair of the same curve, linked both ways, names moved; it signs and verifies`, async () => {
      const old = await createPair(alg);
      const oldSpki = keyBytes(expectSuccess(await send(Operation.Get, [uidOf(old.pub)])));
      const fresh = await rekey(old.priv);
      expect([fresh.priv, fresh.pub]).not.toContain(old.priv);

      // The new public key: X.509 SPKI of the same curve, not the old key.
      const spki = keyBytes(expectSuccess(await send(Operation.Get, [uidOf(fresh.pub), enm(Tag.KeyFormatType, K.X_509)])));
      expect(spki.toString('hex')).toContain(`06032b65${OID[curve].slice(4)}`);
      expect(spki.equals(oldSpki)).toBe(false);
      const pubKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
      expect(pubKey.asymmetricKeyType).toBe(curve.toLowerCase());

      // The new private key (extractable, as the old one): its PKCS#8 derives that public key.
      const pkcs8 = keyBytes(expectSuccess(await send(Operation.Get, [uidOf(fresh.priv), enm(Tag.KeyFormatType, K.PKCS_8)])));
      const derived = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' });
      expect(Buffer.from(derived).equals(spki)).toBe(true);

      // Attributes: same algorithm, links both ways, names moved, Digests of the new values.
      const pa = await attributes(fresh.priv);
      const ua = await attributes(fresh.pub);
      expect(child(pa, Tag.CryptographicAlgorithm)!.value).toBe(alg);
      expect(child(ua, Tag.CryptographicAlgorithm)!.value).toBe(alg);
      expect(links(pa)).toEqual(expect.arrayContaining([[LinkType.PublicKeyLink, fresh.pub], [LinkType.ReplacedObjectLink, old.priv]]));
      expect(links(ua)).toEqual(expect.arrayContaining([[LinkType.PrivateKeyLink, fresh.priv], [LinkType.ReplacedObjectLink, old.pub]]));
      expect(links(pa).filter(([t]) => t === LinkType.PublicKeyLink)).toHaveLength(1);
      expect(names(pa)).toEqual([old.name]);
      expect(digestValue(ua)).toBe(createHash('sha256').update(spki).digest('hex'));
      expect(digestValue(pa)).toBe(createHash('sha256').update(pkcs8).digest('hex'));
      const oa = await attributes(old.priv);
      expect(links(oa)).toEqual(expect.arrayContaining([[LinkType.ReplacementObjectLink, fresh.priv]]));
      expect(names(oa)).toEqual([]);

      // Active (the Activation Date is copied): the new key signs; the new public key verifies
      // it, the old one does not; Node agrees.
      const data = Buffer.from(`re-keyed ${curve}`);
      const sig = await sign(fresh.priv, data);
      expect(sig).toHaveLength(sigBytes);
      expect(nodeVerify(null, data, pubKey, sig)).toBe(true);
      expect(await verify(fresh.pub, data, sig)).toBe(ValidityIndicator.Valid);
      expect(await verify(old.pub, data, sig)).toBe(ValidityIndicator.Invalid);
    });
  }

  it('a non-extractable Ed25519 pair is re-keyed into a non-extractable pair that stays in the HSM', async () => {
    const old = await createPair(A.Ed25519, [bool(Tag.Extractable, false)]);
    const fresh = await rekey(old.priv);
    expectFailure(await send(Operation.Get, [uidOf(fresh.priv)]), ResultReason.NotExtractable);
    expect(child(await attributes(fresh.priv), Tag.Digest)).toBeUndefined();
    const data = Buffer.from('resident');
    const sig = await sign(fresh.priv, data);
    const spki = keyBytes(expectSuccess(await send(Operation.Get, [uidOf(fresh.pub)])));
    expect(nodeVerify(null, data, createPublicKey({ key: spki, format: 'der', type: 'spki' }), sig)).toBe(true);
  });

  it('a KMIP 1.4 client can re-key an Ed25519 pair it holds (the request names no algorithm)', async () => {
    const old = await createPair(A.Ed25519);
    const fresh = await rekey(old.priv, [1, 4]);
    const data = Buffer.from('1.4');
    expect(await verify(fresh.pub, data, await sign(fresh.priv, data))).toBe(ValidityIndicator.Valid);
  });

  it('errors: another algorithm or curve, a public key, an unknown key, a pair already re-keyed twice is still a pair', async () => {
    const old = await createPair(A.Ed448);
    const refuse = async (payload: TtlvNode[], reason: number) => expectFailure(await send(Operation.ReKeyKeyPair, payload), reason);
    await refuse([text(Tag.PrivateKeyUniqueIdentifier, old.priv), struct(Tag.CommonAttributes, [enm(Tag.CryptographicAlgorithm, A.Ed25519)])], ResultReason.InvalidField);
    await refuse([text(Tag.PrivateKeyUniqueIdentifier, old.priv), struct(Tag.PrivateKeyAttributes, [int(Tag.CryptographicLength, 256)])], ResultReason.InvalidField);
    await refuse([text(Tag.PrivateKeyUniqueIdentifier, old.pub)], ResultReason.InvalidObjectType);
    // An unknown identifier: Object Not Found, the 2.1 reason (1.x and 2.0: Item Not Found).
    await refuse([text(Tag.PrivateKeyUniqueIdentifier, 'no-such-key')], ResultReason.ObjectNotFound);
    // Re-keying the new pair again works (each generation is a proper pair).
    const second = await rekey((await rekey(old.priv)).priv);
    const data = Buffer.from('third generation');
    expect(await verify(second.pub, data, await sign(second.priv, data))).toBe(ValidityIndicator.Valid);
  });
});
