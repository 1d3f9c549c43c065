/**
 * Ed25519 / Ed448 live (mutual TLS, SoftHSM2 2.6 with PKCS#11 v3.0 EdDSA, LevelDB): Create Key
 * Pair, Get in PKCS#8 / X.509 / Transparent EC, Sign in the HSM, Signature Verify; RFC 8032 §7.1
 * TEST 1 and TEST 2 through Register + Sign reproduce the published signatures byte for byte.
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CryptographicAlgorithm as A,
  CryptographicUsageMask,
  HashingAlgorithm,
  KeyFormatType as K,
  ObjectType,
  Operation,
  RecommendedCurve,
  ResultReason,
  Tag,
  ValidityIndicator,
} from '../src/kmip/generated/index.js';
import { bigInt, bool, bytes, child, dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, payloadText } from './helpers/kmip-request.js';
import { expectFailure, expectSuccess, useLiveKmipd } from './helpers/live.js';

type V = [number, number];
const V21: V = [2, 1];
const live = useLiveKmipd('eddsa-live');

// RFC 8032 §7.1.
const TEST1 = {
  secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  message: '',
  signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
};
const TEST2 = {
  secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
  public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
  message: '72',
  signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
};

const send = async (operation: number, payload: TtlvNode[], v: V = V21): Promise<ItemResult> =>
  live.one(v, operation, payload);
const ok = expectSuccess;
const fails = expectFailure;
const activeNow = () => dateTime(Tag.ActivationDate, BigInt(Math.floor(Date.now() / 1000) - 60));

function keyBlockOf(r: ItemResult): TtlvNode {
  const type = child(r.payload!, Tag.ObjectType)!.value === ObjectType.PrivateKey ? Tag.PrivateKey : Tag.PublicKey;
  return child(child(r.payload!, type)!, Tag.KeyBlock)!;
}
const material = (r: ItemResult): TtlvNode => child(child(keyBlockOf(r), Tag.KeyValue)!, Tag.KeyMaterial)!;
const der = (r: ItemResult): Buffer => Buffer.from(material(r).value as Uint8Array);

async function createPair(alg: number, extra: TtlvNode[] = [], privExtra: TtlvNode[] = [], v: V = V21): Promise<ItemResult> {
  if (v[0] < 2) {
    const a = (name: string, value: TtlvNode) => struct(Tag.Attribute, [text(Tag.AttributeName, name), { ...value, tag: Tag.AttributeValue } as TtlvNode]);
    return send(
      Operation.CreateKeyPair,
      [
        struct(Tag.CommonTemplateAttribute, [a('Cryptographic Algorithm', enm(Tag.CryptographicAlgorithm, alg))]),
        struct(Tag.PrivateKeyTemplateAttribute, [a('Cryptographic Usage Mask', int(Tag.CryptographicUsageMask, CryptographicUsageMask.Sign))]),
        struct(Tag.PublicKeyTemplateAttribute, [a('Cryptographic Usage Mask', int(Tag.CryptographicUsageMask, CryptographicUsageMask.Verify))]),
      ],
      v,
    );
  }
  return send(Operation.CreateKeyPair, [
    struct(Tag.CommonAttributes, [enm(Tag.CryptographicAlgorithm, alg), activeNow(), ...extra]),
    struct(Tag.PrivateKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Sign), ...privExtra]),
    struct(Tag.PublicKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Verify)]),
  ]);
}

const get = (uid: string, format?: number) => send(Operation.Get, [text(Tag.UniqueIdentifier, uid), ...(format !== undefined ? [enm(Tag.KeyFormatType, format)] : [])]);
const signReq = (uid: string, data: Buffer, extra: TtlvNode[] = []) => send(Operation.Sign, [text(Tag.UniqueIdentifier, uid), ...extra, bytes(Tag.Data, data)]);
const signOf = (r: ItemResult): Buffer => Buffer.from(child(ok(r).payload!, Tag.SignatureData)!.value as Uint8Array);
const verifyReq = async (uid: string, data: Buffer, sig: Buffer) =>
  child(ok(await send(Operation.SignatureVerify, [text(Tag.UniqueIdentifier, uid), bytes(Tag.Data, data), bytes(Tag.SignatureData, sig)])).payload!, Tag.ValidityIndicator)!.value;

async function register(type: number, format: number, m: TtlvNode, alg: number): Promise<string> {
  const mask = type === ObjectType.PrivateKey ? CryptographicUsageMask.Sign : CryptographicUsageMask.Verify;
  const tag = type === ObjectType.PrivateKey ? Tag.PrivateKey : Tag.PublicKey;
  const r = ok(
    await send(Operation.Register, [
      enm(Tag.ObjectType, type),
      struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, mask), activeNow()]),
      struct(tag, [struct(Tag.KeyBlock, [enm(Tag.KeyFormatType, format), struct(Tag.KeyValue, [m]), enm(Tag.CryptographicAlgorithm, alg), int(Tag.CryptographicLength, 256)])]),
    ]),
  );
  return payloadText(r, Tag.UniqueIdentifier)!;
}

describe('EdDSA at KMIP 2.1 (TLS + SoftHSM2 + LevelDB)', () => {
  it.each([
    ['Ed25519', A.Ed25519, RecommendedCurve.CURVE25519, 32, 64],
    ['Ed448', A.Ed448, RecommendedCurve.CURVE448, 57, 114],
  ] as const)('%s: Create Key Pair in the HSM, Get in every format, Sign in the HSM, verify both ways', async (_n, alg, rc, keyBytes, sigBytes) => {
    const r = ok(await createPair(alg));
    const priv = payloadText(r, Tag.PrivateKeyUniqueIdentifier)!;
    const pub = payloadText(r, Tag.PublicKeyUniqueIdentifier)!;
    const privKey = createPrivateKey({ key: der(ok(await get(priv))), format: 'der', type: 'pkcs8' });
    const pubKey = createPublicKey({ key: der(ok(await get(pub))), format: 'der', type: 'spki' });
    expect(privKey.asymmetricKeyType).toBe(_n.toLowerCase());
    expect(createPublicKey(privKey).equals(pubKey)).toBe(true);
    expect(child(keyBlockOf(ok(await get(priv))), Tag.KeyFormatType)!.value).toBe(K.PKCS_8);

    const tPriv = material(ok(await get(priv, K.TransparentECPrivateKey)));
    expect(child(tPriv, Tag.RecommendedCurve)!.value).toBe(rc);
    const d = Buffer.from((child(tPriv, Tag.D)!.value as bigint).toString(16).padStart(keyBytes * 2, '0'), 'hex');
    expect(d.toString('base64url')).toBe(privKey.export({ format: 'jwk' }).d);
    const tPub = material(ok(await get(pub, K.TransparentECPublicKey)));
    expect(Buffer.from(child(tPub, Tag.QString)!.value as Uint8Array).toString('base64url')).toBe(pubKey.export({ format: 'jwk' }).x);

    const data = Buffer.from('kmipd signs this with EdDSA');
    const sig = signOf(await signReq(priv, data));
    expect(sig.length).toBe(sigBytes);
    // EdDSA is deterministic: node:crypto with the same key writes the same signature.
    expect(sig.equals(nodeSign(null, data, privKey))).toBe(true);
    expect(nodeVerify(null, data, pubKey, sig)).toBe(true);
    expect(await verifyReq(pub, data, sig)).toBe(ValidityIndicator.Valid);
    sig[5] = (sig[5] as number) ^ 1;
    expect(await verifyReq(pub, data, sig)).toBe(ValidityIndicator.Invalid);
    expect(await verifyReq(pub, data, Buffer.from('short'))).toBe(ValidityIndicator.Invalid);
  });

  it('a non-extractable Ed25519 key stays in the HSM: Get refused, Sign and Verify work, Destroy removes it', async () => {
    const r = ok(await createPair(A.Ed25519, [], [bool(Tag.Extractable, false)]));
    const priv = payloadText(r, Tag.PrivateKeyUniqueIdentifier)!;
    const pub = payloadText(r, Tag.PublicKeyUniqueIdentifier)!;
    fails(await get(priv), ResultReason.NotExtractable);
    const data = Buffer.from('resident');
    const sig = signOf(await signReq(priv, data));
    expect(nodeVerify(null, data, createPublicKey({ key: der(ok(await get(pub))), format: 'der', type: 'spki' }), sig)).toBe(true);
    expect(await verifyReq(pub, data, sig)).toBe(ValidityIndicator.Valid);
    ok(await send(Operation.Revoke, [text(Tag.UniqueIdentifier, priv), struct(Tag.RevocationReason, [enm(Tag.RevocationReasonCode, 1)])]));
    ok(await send(Operation.Destroy, [text(Tag.UniqueIdentifier, priv)]));
  });

  it('RFC 8032 TEST 1 and TEST 2 through Register (PKCS#8 and Transparent EC) + Sign give the published signatures', async () => {
    for (const t of [TEST1, TEST2]) {
      const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(t.secret, 'hex')]);
      const transparent = struct(Tag.KeyMaterial, [enm(Tag.RecommendedCurve, RecommendedCurve.CURVE25519), bigInt(Tag.D, BigInt(`0x${t.secret}`))]);
      const pubT = struct(Tag.KeyMaterial, [enm(Tag.RecommendedCurve, RecommendedCurve.CURVE25519), bytes(Tag.QString, Buffer.from(t.public, 'hex'))]);
      const pubUid = await register(ObjectType.PublicKey, K.TransparentECPublicKey, pubT, A.Ed25519);
      for (const [format, m] of [
        [K.PKCS_8, bytes(Tag.KeyMaterial, pkcs8)],
        [K.TransparentECPrivateKey, transparent],
      ] as const) {
        const uid = await register(ObjectType.PrivateKey, format, m, A.Ed25519);
        const sig = signOf(await signReq(uid, Buffer.from(t.message, 'hex')));
        expect(sig.toString('hex')).toBe(t.signature);
        // Registered in one format, the key comes back in it; and in PKCS#8 on request.
        expect(der(ok(await get(uid, K.PKCS_8))).equals(pkcs8)).toBe(true);
      }
      expect(await verifyReq(pubUid, Buffer.from(t.message, 'hex'), Buffer.from(t.signature, 'hex'))).toBe(ValidityIndicator.Valid);
      const x509 = der(ok(await get(pubUid, K.X_509)));
      expect(x509.toString('hex')).toBe(`302a300506032b6570032100${t.public}`);
    }
  });

  it('refuses what EdDSA does not do, with the spec reasons', async () => {
    fails(await createPair(A.Ed25519, [], [], [1, 4]), ResultReason.InvalidField);
    fails(await createPair(A.Ed25519, [enm(Tag.RecommendedCurve, RecommendedCurve.P_256)]), ResultReason.InvalidField);
    fails(await createPair(A.Ed448, [int(Tag.CryptographicLength, 384)]), ResultReason.InvalidField);
    const r = ok(await createPair(A.Ed25519));
    const priv = payloadText(r, Tag.PrivateKeyUniqueIdentifier)!;
    const pub = payloadText(r, Tag.PublicKeyUniqueIdentifier)!;
    fails(await send(Operation.Sign, [text(Tag.UniqueIdentifier, priv), bytes(Tag.DigestedData, Buffer.alloc(32))]), ResultReason.BadCryptographicParameters);
    fails(await signReq(priv, Buffer.from('x'), [struct(Tag.CryptographicParameters, [enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256)])]), ResultReason.UnsupportedCryptographicParameters);
    fails(await signReq(priv, Buffer.from('x'), [struct(Tag.CryptographicParameters, [enm(Tag.CryptographicAlgorithm, A.Ed448)])]), ResultReason.BadCryptographicParameters);
    ok(await signReq(priv, Buffer.from('x'), [struct(Tag.CryptographicParameters, [enm(Tag.CryptographicAlgorithm, A.Ed25519)])]));
    // Ed25519 keys are not ECDSA keys: no PKCS#1, no SEC1, no Transparent ECDSA.
    fails(await get(priv, K.ECPrivateKey), ResultReason.KeyFormatTypeNotSupported);
    fails(await get(pub, K.PKCS_1), ResultReason.KeyFormatTypeNotSupported);
    fails(await get(pub, K.TransparentECDSAPublicKey), ResultReason.KeyFormatTypeNotSupported);
  });
});
