/**
 * Derive Key by ECDH (Derivation Method Asymmetric Key, derive/ecdh.ts) live — mutual TLS,
 * SoftHSM2 (CKM_ECDH1_DERIVE), LevelDB — at KMIP 1.4 and 2.1: the RFC 5903 §8.1 P-256 known answer
 * through registered keys; secp256k1 pairs made by Create Key Pair with the curve given only in
 * Cryptographic Domain Parameters (OASIS TC-DERIVEKEY-6), derived both ways and checked against
 * node:crypto with the keys read back by Get; a full-length key (made in the HSM, never in this
 * process) checked by Get, its Digest and Encrypt, as a Symmetric Key and as Secret Data; and the errors.
 */
import { createCipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  DerivationMethod,
  HashingAlgorithm,
  KeyFormatType,
  ObjectType,
  Operation,
  PaddingMethod,
  RecommendedCurve,
  ResultReason,
  Tag,
} from '../src/kmip/generated/index.js';
import { CryptographicUsageMask as M } from '../src/kmip/generated/masks.js';
import { bytes, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, payloadText } from './helpers/kmip-request.js';
import { activatedAMinuteAgo, expectFailure, expectSuccess, requestAttributes, useLiveKmipd } from './helpers/live.js';

type V = [number, number];
const live = useLiveKmipd('derive-ecdh');
const one = (v: V, operation: number, payload: TtlvNode[]): Promise<ItemResult> => live.one(v, operation, payload);
const active = activatedAMinuteAgo;
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// RFC 5903 §8.1 (256-bit random ECP group): i, g^r and the x-coordinate of g^ir.
const RFC5903 = {
  i: 'C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433',
  gix: 'DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180',
  giy: '5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3',
  grx: 'D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63',
  gry: '56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB',
  girx: 'D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE',
};
const b64u = (s: string): string => hex(s).toString('base64url');

async function register(v: V, objectType: number, format: number, material: Buffer, mask: number): Promise<string> {
  const tag = objectType === ObjectType.PrivateKey ? Tag.PrivateKey : Tag.PublicKey;
  const r = expectSuccess(
    await one(v, Operation.Register, [
      enm(Tag.ObjectType, objectType),
      requestAttributes(v, [int(Tag.CryptographicUsageMask, mask), active()]),
      struct(tag, [
        struct(Tag.KeyBlock, [
          enm(Tag.KeyFormatType, format),
          struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, material)]),
          enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.EC),
          int(Tag.CryptographicLength, 256),
        ]),
      ]),
    ]),
  );
  return payloadText(r, Tag.UniqueIdentifier)!;
}

/** Create Key Pair naming the curve only inside Cryptographic Domain Parameters (as TC-DERIVEKEY-6). */
async function createPair(v: V, curve: number, qlength: number, privMask = M.DeriveKey | M.Sign): Promise<{ priv: string; pub: string } | ItemResult> {
  const r = await one(v, Operation.CreateKeyPair, [
    struct(v[0] >= 2 ? Tag.CommonAttributes : Tag.CommonTemplateAttribute, [
      ...requestAttributes(v, [
        enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.EC),
        struct(Tag.CryptographicDomainParameters, [int(Tag.Qlength, qlength), enm(Tag.RecommendedCurve, curve)]),
        active(),
      ]).value as TtlvNode[],
    ]),
    struct(v[0] >= 2 ? Tag.PrivateKeyAttributes : Tag.PrivateKeyTemplateAttribute, [
      ...(requestAttributes(v, [int(Tag.CryptographicUsageMask, privMask)]).value as TtlvNode[]),
    ]),
    struct(v[0] >= 2 ? Tag.PublicKeyAttributes : Tag.PublicKeyTemplateAttribute, [
      ...(requestAttributes(v, [int(Tag.CryptographicUsageMask, M.DeriveKey | M.Verify)]).value as TtlvNode[]),
    ]),
  ]);
  if (r.status !== 0) return r;
  return { priv: payloadText(r, Tag.PrivateKeyUniqueIdentifier)!, pub: payloadText(r, Tag.PublicKeyUniqueIdentifier)! };
}

function pair(x: { priv: string; pub: string } | ItemResult): { priv: string; pub: string } {
  if (!('priv' in x)) throw new Error(`Create Key Pair failed: ${x.message ?? ''}`);
  return x;
}

function derive(v: V, uids: string[], bits = 256, params: TtlvNode[] = [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.ECDH)]): Promise<ItemResult> {
  return one(v, Operation.DeriveKey, [
    enm(Tag.ObjectType, ObjectType.SymmetricKey),
    ...uids.map((u) => text(Tag.UniqueIdentifier, u)),
    enm(Tag.DerivationMethod, DerivationMethod.AsymmetricKey),
    struct(Tag.DerivationParameters, [struct(Tag.CryptographicParameters, params)]),
    requestAttributes(v, [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES), int(Tag.CryptographicLength, bits), int(Tag.CryptographicUsageMask, M.Encrypt | M.Decrypt)]),
  ]);
}

/** The Key Material a Get answers. */
async function material(v: V, uid: string): Promise<Buffer> {
  const r = expectSuccess(await one(v, Operation.Get, [text(Tag.UniqueIdentifier, uid)]));
  const find = (n: TtlvNode): TtlvNode | undefined => (n.tag === Tag.KeyMaterial ? n : n.type === 'Structure' ? n.value.map(find).find((x) => x) : undefined);
  const m = find(r.payload!);
  if (m?.type !== 'ByteString') throw new Error('no Key Material');
  return Buffer.from(m.value);
}

function findBytes(n: TtlvNode, tag: number): Uint8Array | undefined {
  if (n.tag === tag && n.type === 'ByteString') return n.value;
  if (n.type !== 'Structure') return undefined;
  for (const c of n.value) {
    const f = findBytes(c, tag);
    if (f !== undefined) return f;
  }
  return undefined;
}

/** The Digest Values of an object, hex (Get Attributes of everything). */
async function digests(v: V, uid: string): Promise<string[]> {
  const r = expectSuccess(await one(v, Operation.GetAttributes, [text(Tag.UniqueIdentifier, uid)]));
  const out: string[] = [];
  const walk = (n: TtlvNode): void => {
    if (n.tag === Tag.DigestValue && n.type === 'ByteString') out.push(Buffer.from(n.value).toString('hex'));
    else if (n.type === 'Structure') n.value.forEach(walk);
  };
  walk(r.payload!);
  return out;
}

async function derivedKey(v: V, uids: string[], bits = 256): Promise<Buffer> {
  return material(v, payloadText(expectSuccess(await derive(v, uids, bits)), Tag.UniqueIdentifier)!);
}

describe.each([
  ['1.4', [1, 4] as V],
  ['2.1', [2, 1] as V],
])('Derive Key by ECDH at KMIP %s', (_l, v) => {
  it('RFC 5903 §8.1 P-256: registered private key i and public key g^r give the x-coordinate of g^ir', async () => {
    const pkcs8 = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64u(RFC5903.i), x: b64u(RFC5903.gix), y: b64u(RFC5903.giy) }, format: 'jwk' }).export({ format: 'der', type: 'pkcs8' });
    const spki = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(RFC5903.grx), y: b64u(RFC5903.gry) }, format: 'jwk' }).export({ format: 'der', type: 'spki' });
    const priv = await register(v, ObjectType.PrivateKey, KeyFormatType.PKCS_8, pkcs8, M.DeriveKey);
    const pub = await register(v, ObjectType.PublicKey, KeyFormatType.X_509, spki, M.DeriveKey);
    expect((await derivedKey(v, [priv, pub])).toString('hex')).toBe(hex(RFC5903.girx).toString('hex'));
    // Either order; a shorter key is the leading bytes.
    expect((await derivedKey(v, [pub, priv], 128)).toString('hex')).toBe(hex(RFC5903.girx).subarray(0, 16).toString('hex'));
  });

  it('a full-length key derived in the HSM: known answer by Get, Digest from the HSM, usable for Encrypt; Secret Data too', async () => {
    const pkcs8 = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64u(RFC5903.i), x: b64u(RFC5903.gix), y: b64u(RFC5903.giy) }, format: 'jwk' }).export({ format: 'der', type: 'pkcs8' });
    const spki = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(RFC5903.grx), y: b64u(RFC5903.gry) }, format: 'jwk' }).export({ format: 'der', type: 'spki' });
    const priv = await register(v, ObjectType.PrivateKey, KeyFormatType.PKCS_8, pkcs8, M.DeriveKey);
    const pub = await register(v, ObjectType.PublicKey, KeyFormatType.X_509, spki, M.DeriveKey);
    const z = hex(RFC5903.girx);
    const params = struct(Tag.DerivationParameters, [struct(Tag.CryptographicParameters, [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.ECDH)])]);
    const key = payloadText(
      expectSuccess(
        await one(v, Operation.DeriveKey, [
          enm(Tag.ObjectType, ObjectType.SymmetricKey),
          text(Tag.UniqueIdentifier, priv),
          text(Tag.UniqueIdentifier, pub),
          enm(Tag.DerivationMethod, DerivationMethod.AsymmetricKey),
          params,
          requestAttributes(v, [
            enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
            int(Tag.CryptographicLength, 256),
            int(Tag.CryptographicUsageMask, M.Encrypt | M.Decrypt),
            active(),
          ]),
        ]),
      ),
      Tag.UniqueIdentifier,
    )!;
    expect((await material(v, key)).toString('hex')).toBe(z.toString('hex'));
    expect(await digests(v, key)).toEqual([createHash('sha256').update(z).digest('hex')]);
    const block = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const enc = expectSuccess(
      await one(v, Operation.Encrypt, [
        text(Tag.UniqueIdentifier, key),
        struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.ECB), enm(Tag.PaddingMethod, PaddingMethod.None)]),
        bytes(Tag.Data, block),
      ]),
    );
    const expected = createCipheriv('aes-256-ecb', z, null).setAutoPadding(false).update(block);
    expect(Buffer.from(findBytes(enc.payload!, Tag.Data)!).toString('hex')).toBe(expected.toString('hex'));

    const secret = payloadText(
      expectSuccess(
        await one(v, Operation.DeriveKey, [
          enm(Tag.ObjectType, ObjectType.SecretData),
          text(Tag.UniqueIdentifier, pub),
          text(Tag.UniqueIdentifier, priv),
          enm(Tag.DerivationMethod, DerivationMethod.AsymmetricKey),
          params,
          requestAttributes(v, [int(Tag.CryptographicLength, 256), int(Tag.CryptographicUsageMask, M.DeriveKey)]),
        ]),
      ),
      Tag.UniqueIdentifier,
    )!;
    expect((await material(v, secret)).toString('hex')).toBe(z.toString('hex'));
    expect(await digests(v, secret)).toEqual([createHash('sha256').update(z).digest('hex')]);
  });

  it('secp256k1 pairs from Cryptographic Domain Parameters agree both ways, as node:crypto computes', async () => {
    const a = pair(await createPair(v, RecommendedCurve.SECP256K1, 256));
    const b = pair(await createPair(v, RecommendedCurve.SECP256K1, 256));
    const ab = await derivedKey(v, [a.priv, b.pub]);
    const ba = await derivedKey(v, [b.priv, a.pub]);
    expect(ab.length).toBe(32);
    expect(ab.equals(ba)).toBe(true);
    const privateKey = createPrivateKey({ key: await material(v, a.priv), format: 'der', type: 'pkcs8' });
    const publicKey = createPublicKey({ key: await material(v, b.pub), format: 'der', type: 'spki' });
    expect(privateKey.asymmetricKeyDetails?.namedCurve).toBe('secp256k1');
    expect(diffieHellman({ privateKey, publicKey }).equals(ab)).toBe(true);
  });

  it('refuses what it cannot or must not derive', async () => {
    const a = pair(await createPair(v, RecommendedCurve.P_256, 256));
    const b = pair(await createPair(v, RecommendedCurve.P_256, 256));
    const other = pair(await createPair(v, RecommendedCurve.P_384, 384));
    const noDerive = pair(await createPair(v, RecommendedCurve.P_256, 256, M.Sign));
    expectFailure(await derive(v, [a.priv, other.pub]), ResultReason.InvalidField);
    expectFailure(await derive(v, [a.priv, b.pub], 512), ResultReason.InvalidField);
    expectFailure(await derive(v, [a.priv]), ResultReason.InvalidField);
    expectFailure(await derive(v, [a.pub, b.pub]), v[0] >= 2 ? ResultReason.InvalidObjectType : ResultReason.InvalidField);
    expectFailure(await derive(v, [noDerive.priv, b.pub]), v[0] >= 2 ? ResultReason.IncompatibleCryptographicUsageMask : ResultReason.PermissionDenied);
    const kdf = [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.ECDH), enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256)];
    expectFailure(await derive(v, [a.priv, b.pub], 256, kdf), ResultReason.FeatureNotSupported);
    // Qlength that contradicts the curve.
    const bad = await createPair(v, RecommendedCurve.SECP256K1, 384);
    expect('priv' in bad).toBe(false);
    expectFailure(bad as ItemResult, ResultReason.InvalidField);
  });
});
