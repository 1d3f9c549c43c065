/**
 * Register a Public/Private Key in one Key Format Type and Get it in another (KMIP 1.4 §4.11,
 * 2.1 §6.1.22), live: mutual TLS, SoftHSM2 (registered private keys are wrapped under its master
 * key; Create Key Pair keys are generated in it) and LevelDB, at KMIP 1.4 and 2.1. node:crypto's
 * own encodings of the same keys are the independent check.
 */
import { type KeyObject, constants, createPrivateKey, createPublicKey, generateKeyPairSync, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CertificateType,
  CryptographicAlgorithm as A,
  CryptographicUsageMask,
  HashingAlgorithm,
  KeyCompressionType as C,
  KeyFormatType as K,
  ObjectType,
  Operation,
  PaddingMethod,
  ResultReason,
  ResultStatus,
  Tag,
  ValidityIndicator,
} from '../src/kmip/generated/index.js';
import { exportKey, importKey } from '../src/kmip/key-formats.js';
import { bigInt, bytes, child, dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import { encodeTtlv } from '../src/ttlv/encode.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, payloadText } from './helpers/kmip-request.js';
import { expectSuccess, useLiveKmipd } from './helpers/live.js';

type V = [number, number];
const live = useLiveKmipd('formats-live');

interface KeyCase {
  readonly name: string;
  readonly pair: { privateKey: KeyObject; publicKey: KeyObject };
  readonly algorithm: number;
  readonly length: number;
  readonly priv: (v: V) => number[];
  readonly pub: (v: V) => number[];
}

// KMIP 2.0 removed Transparent ECDSA/ECDH/ECMQV; 1.3 added Transparent EC.
const ecPriv = (v: V): number[] => [K.PKCS_8, K.ECPrivateKey, K.TransparentECPrivateKey, ...(v[0] < 2 ? [K.TransparentECDSAPrivateKey] : [])];
const ecPub = (v: V): number[] => [K.X_509, K.TransparentECPublicKey, ...(v[0] < 2 ? [K.TransparentECDHPublicKey] : [])];
const KEYS: KeyCase[] = [
  {
    name: 'RSA 2048',
    pair: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    algorithm: A.RSA,
    length: 2048,
    priv: () => [K.PKCS_1, K.PKCS_8, K.TransparentRSAPrivateKey],
    pub: () => [K.PKCS_1, K.X_509, K.TransparentRSAPublicKey],
  },
  { name: 'EC P-256', pair: generateKeyPairSync('ec', { namedCurve: 'P-256' }), algorithm: A.EC, length: 256, priv: ecPriv, pub: ecPub },
  { name: 'EC P-384', pair: generateKeyPairSync('ec', { namedCurve: 'P-384' }), algorithm: A.ECDSA, length: 384, priv: ecPriv, pub: ecPub },
  { name: 'EC P-521', pair: generateKeyPairSync('ec', { namedCurve: 'P-521' }), algorithm: A.EC, length: 521, priv: ecPriv, pub: ecPub },
];

const objTag = (t: number): number => (t === ObjectType.PrivateKey ? Tag.PrivateKey : Tag.PublicKey);

function keyBlockOf(r: ItemResult): TtlvNode {
  const type = child(r.payload!, Tag.ObjectType)!.value as number;
  return child(child(r.payload!, objTag(type))!, Tag.KeyBlock)!;
}
const materialOf = (r: ItemResult): TtlvNode => child(child(keyBlockOf(r), Tag.KeyValue)!, Tag.KeyMaterial)!;

describe.each([
  ['1.4', [1, 4] as V],
  ['2.1', [2, 1] as V],
])('Get converts key formats at KMIP %s (TLS + SoftHSM2 + LevelDB)', (_l, v) => {
  const send = (operation: number, payload: TtlvNode[], ver: V = v): Promise<ItemResult> =>
    live.one(ver, operation, payload);
  const ok = expectSuccess;
  const register = async (type: number, format: number, material: TtlvNode, alg: number, len: number): Promise<string> => {
    const mask = type === ObjectType.PrivateKey ? CryptographicUsageMask.Sign : CryptographicUsageMask.Verify;
    const attrs =
      v[0] >= 2
        ? struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, mask)])
        : struct(Tag.TemplateAttribute, [struct(Tag.Attribute, [text(Tag.AttributeName, 'Cryptographic Usage Mask'), int(Tag.AttributeValue, mask)])]);
    const block = struct(Tag.KeyBlock, [enm(Tag.KeyFormatType, format), struct(Tag.KeyValue, [material]), enm(Tag.CryptographicAlgorithm, alg), int(Tag.CryptographicLength, len)]);
    const r = ok(await send(Operation.Register, [enm(Tag.ObjectType, type), attrs, struct(objTag(type), [block])]));
    return payloadText(r, Tag.UniqueIdentifier)!;
  };
  const get = (uid: string, format?: number, compression?: number): Promise<ItemResult> =>
    send(Operation.Get, [
      text(Tag.UniqueIdentifier, uid),
      ...(format !== undefined ? [enm(Tag.KeyFormatType, format)] : []),
      ...(compression !== undefined ? [enm(Tag.KeyCompressionType, compression)] : []),
    ]);

  it.each(KEYS)('$name: Register in each format, Get in each format, the same key as node:crypto writes it', async (k) => {
    for (const [type, formats, key] of [
      [ObjectType.PrivateKey, k.priv(v), k.pair.privateKey],
      [ObjectType.PublicKey, k.pub(v), k.pair.publicKey],
    ] as const) {
      const half = type === ObjectType.PrivateKey ? 'private' : 'public';
      for (const a of formats) {
        const registered = exportKey(half, key, a);
        const uid = await register(type, a, registered, k.algorithm, k.length);
        // Without a Key Format Type: as registered, byte for byte.
        const plain = ok(await get(uid));
        expect(encodeTtlv(materialOf(plain)).equals(encodeTtlv(registered))).toBe(true);
        expect(child(keyBlockOf(plain), Tag.KeyFormatType)!.value).toBe(a);
        for (const b of formats) {
          const r = ok(await get(uid, b));
          const kb = keyBlockOf(r);
          expect(child(kb, Tag.KeyFormatType)!.value, `${a} -> ${b}`).toBe(b);
          expect(child(kb, Tag.CryptographicAlgorithm)!.value).toBe(k.algorithm);
          expect(child(kb, Tag.CryptographicLength)!.value).toBe(k.length);
          const m = materialOf(r);
          // The independent check: node:crypto reads the answer as the same key, and for the DER
          // formats writes the same bytes itself.
          expect(importKey(half, b, m, k.algorithm).equals(key), `${a} -> ${b}`).toBe(true);
          const own = b === K.PKCS_1 ? 'pkcs1' : b === K.PKCS_8 ? 'pkcs8' : b === K.ECPrivateKey ? 'sec1' : b === K.X_509 ? 'spki' : undefined;
          if (own !== undefined) {
            const expected = half === 'private' ? key.export({ format: 'der', type: own as 'pkcs8' }) : key.export({ format: 'der', type: own as 'spki' });
            expect(Buffer.from(m.value as Uint8Array).equals(expected), `${a} -> ${b} bytes`).toBe(true);
          }
        }
      }
    }
  });

  it('Create Key Pair keys (generated in the HSM) come out in every format; EC public points compressed on request', async () => {
    const pair = async (alg: number, len: number): Promise<[string, string]> => {
      const common =
        v[0] >= 2
          ? [struct(Tag.CommonAttributes, [enm(Tag.CryptographicAlgorithm, alg), int(Tag.CryptographicLength, len)]), struct(Tag.PrivateKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Sign)]), struct(Tag.PublicKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Verify)])]
          : [
              struct(Tag.CommonTemplateAttribute, [
                struct(Tag.Attribute, [text(Tag.AttributeName, 'Cryptographic Algorithm'), enm(Tag.AttributeValue, alg)]),
                struct(Tag.Attribute, [text(Tag.AttributeName, 'Cryptographic Length'), int(Tag.AttributeValue, len)]),
              ]),
              struct(Tag.PrivateKeyTemplateAttribute, [struct(Tag.Attribute, [text(Tag.AttributeName, 'Cryptographic Usage Mask'), int(Tag.AttributeValue, CryptographicUsageMask.Sign)])]),
              struct(Tag.PublicKeyTemplateAttribute, [struct(Tag.Attribute, [text(Tag.AttributeName, 'Cryptographic Usage Mask'), int(Tag.AttributeValue, CryptographicUsageMask.Verify)])]),
            ];
      const r = ok(await send(Operation.CreateKeyPair, common));
      return [payloadText(r, Tag.PrivateKeyUniqueIdentifier)!, payloadText(r, Tag.PublicKeyUniqueIdentifier)!];
    };
    for (const [alg, len, privFormats, pubFormats] of [
      [A.RSA, 2048, [K.PKCS_1, K.PKCS_8, K.TransparentRSAPrivateKey], [K.PKCS_1, K.X_509, K.TransparentRSAPublicKey]],
      [A.EC, 256, ecPriv(v), ecPub(v)],
    ] as const) {
      const [priv, pub] = await pair(alg, len);
      // Without a Key Format Type: PKCS#1 for RSA (its KMIP default, 2.1 §4.26; OASIS AKLC-M-1-20), else PKCS#8 / X.509.
      const dPriv = ok(await get(priv));
      const dPub = ok(await get(pub));
      expect(child(keyBlockOf(dPriv), Tag.KeyFormatType)!.value).toBe(alg === A.RSA ? K.PKCS_1 : K.PKCS_8);
      expect(child(keyBlockOf(dPub), Tag.KeyFormatType)!.value).toBe(alg === A.RSA ? K.PKCS_1 : K.X_509);
      const privKey = createPrivateKey({ key: Buffer.from(materialOf(dPriv).value as Uint8Array), format: 'der', type: alg === A.RSA ? 'pkcs1' : 'pkcs8' });
      const pubKey = createPublicKey({ key: Buffer.from(materialOf(dPub).value as Uint8Array), format: 'der', type: alg === A.RSA ? 'pkcs1' : 'spki' });
      for (const f of privFormats) expect(importKey('private', f, materialOf(ok(await get(priv, f))), alg).equals(privKey), `private ${f}`).toBe(true);
      for (const f of pubFormats) expect(importKey('public', f, materialOf(ok(await get(pub, f))), alg).equals(pubKey), `public ${f}`).toBe(true);
      if (alg !== A.EC) continue;
      for (const [ct, first] of [
        [C.ECPublicKeyTypeX9_62CompressedPrime, [2, 3]],
        [C.ECPublicKeyTypeX9_62Hybrid, [6, 7]],
        [C.ECPublicKeyTypeUncompressed, [4]],
      ] as const) {
        const r = ok(await get(pub, K.TransparentECPublicKey, ct));
        expect(child(keyBlockOf(r), Tag.KeyCompressionType)!.value).toBe(ct);
        const q = child(materialOf(r), Tag.QString)!.value as Uint8Array;
        expect(first).toContain(q[0]);
        expect(q.length).toBe(ct === C.ECPublicKeyTypeX9_62CompressedPrime ? 33 : 65);
        const x = ok(await get(pub, undefined, ct));
        expect(child(keyBlockOf(x), Tag.KeyFormatType)!.value).toBe(K.X_509);
        const spki = Buffer.from(materialOf(x).value as Uint8Array);
        expect(createPublicKey({ key: spki, format: 'der', type: 'spki' }).equals(pubKey)).toBe(true);
        expect(spki.subarray(spki.length - q.length).equals(Buffer.from(q))).toBe(true);
      }
    }
  });

  it('keys registered in Transparent and SEC1 formats sign and verify (converted for the HSM)', async () => {
    const data = Buffer.from('signed by a registered key');
    for (const [k, privFormat, pubFormat, params] of [
      [KEYS[0]!, K.TransparentRSAPrivateKey, K.TransparentRSAPublicKey, [struct(Tag.CryptographicParameters, [enm(Tag.PaddingMethod, PaddingMethod.PSS), enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256)])]],
      [KEYS[1]!, K.TransparentECPrivateKey, K.TransparentECPublicKey, []],
      [KEYS[2]!, K.ECPrivateKey, K.TransparentECPublicKey, []],
    ] as const) {
      const attrs = (mask: number): TtlvNode =>
        v[0] >= 2
          ? struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, mask), dateTime(Tag.ActivationDate, BigInt(Math.floor(Date.now() / 1000) - 60))])
          : struct(Tag.TemplateAttribute, [
              struct(Tag.Attribute, [text(Tag.AttributeName, 'Cryptographic Usage Mask'), int(Tag.AttributeValue, mask)]),
              struct(Tag.Attribute, [text(Tag.AttributeName, 'Activation Date'), dateTime(Tag.AttributeValue, BigInt(Math.floor(Date.now() / 1000) - 60))]),
            ]);
      const reg = async (type: number, format: number, m: TtlvNode, mask: number): Promise<string> => {
        const block = struct(Tag.KeyBlock, [enm(Tag.KeyFormatType, format), struct(Tag.KeyValue, [m]), enm(Tag.CryptographicAlgorithm, k.algorithm), int(Tag.CryptographicLength, k.length)]);
        return payloadText(ok(await send(Operation.Register, [enm(Tag.ObjectType, type), attrs(mask), struct(objTag(type), [block])])), Tag.UniqueIdentifier)!;
      };
      const priv = await reg(ObjectType.PrivateKey, privFormat, exportKey('private', k.pair.privateKey, privFormat), CryptographicUsageMask.Sign);
      const pub = await reg(ObjectType.PublicKey, pubFormat, exportKey('public', k.pair.publicKey, pubFormat), CryptographicUsageMask.Verify);
      const sig = Buffer.from(child(ok(await send(Operation.Sign, [text(Tag.UniqueIdentifier, priv), ...params, bytes(Tag.Data, data)])).payload!, Tag.SignatureData)!.value as Uint8Array);
      const opts = k.algorithm === A.RSA ? { key: k.pair.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING } : { key: k.pair.publicKey, dsaEncoding: 'der' as const };
      expect(nodeVerify('sha256', data, opts, sig), `${privFormat}`).toBe(true);
      const vr = ok(await send(Operation.SignatureVerify, [text(Tag.UniqueIdentifier, pub), ...params, bytes(Tag.Data, data), bytes(Tag.SignatureData, sig)]));
      expect(child(vr.payload!, Tag.ValidityIndicator)!.value).toBe(ValidityIndicator.Valid);
    }
  });

  it('answers Key Format Type / Key Compression Type Not Supported where no conversion applies', async () => {
    const rsa = KEYS[0]!.pair;
    const ec = KEYS[1]!.pair;
    const rsaPriv = await register(ObjectType.PrivateKey, K.PKCS_8, exportKey('private', rsa.privateKey, K.PKCS_8), A.RSA, 2048);
    const ecPub = await register(ObjectType.PublicKey, K.X_509, exportKey('public', ec.publicKey, K.X_509), A.EC, 256);
    const junk = await register(ObjectType.PrivateKey, K.PKCS_8, bytes(Tag.KeyMaterial, Buffer.alloc(200, 0x42)), A.RSA, 2048);
    const aes = payloadText(
      ok(
        await send(Operation.Register, [
          enm(Tag.ObjectType, ObjectType.SymmetricKey),
          v[0] >= 2 ? struct(Tag.Attributes, []) : struct(Tag.TemplateAttribute, []),
          struct(Tag.SymmetricKey, [struct(Tag.KeyBlock, [enm(Tag.KeyFormatType, K.Raw), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, Buffer.alloc(16, 7))]), enm(Tag.CryptographicAlgorithm, A.AES), int(Tag.CryptographicLength, 128)])]),
        ]),
      ),
      Tag.UniqueIdentifier,
    )!;
    const cert = payloadText(
      ok(
        await send(Operation.Register, [
          enm(Tag.ObjectType, ObjectType.Certificate),
          v[0] >= 2 ? struct(Tag.Attributes, []) : struct(Tag.TemplateAttribute, []),
          struct(Tag.Certificate, [enm(Tag.CertificateType, CertificateType.X_509), bytes(Tag.CertificateValue, Buffer.from('3082', 'hex'))]),
        ]),
      ),
      Tag.UniqueIdentifier,
    )!;
    const kfts = ResultReason.KeyFormatTypeNotSupported;
    const kcts = ResultReason.KeyCompressionTypeNotSupported;
    const cases: [string, () => Promise<ItemResult>, number][] = [
      ['RSA private as ECPrivateKey', () => get(rsaPriv, K.ECPrivateKey), kfts],
      ['RSA private as Transparent EC', () => get(rsaPriv, K.TransparentECPrivateKey), kfts],
      ['RSA private as X.509', () => get(rsaPriv, K.X_509), kfts],
      ['RSA private as Raw', () => get(rsaPriv, K.Raw), kfts],
      ['RSA private compressed', () => get(rsaPriv, undefined, C.ECPublicKeyTypeX9_62CompressedPrime), kcts],
      ['EC public as PKCS#1', () => get(ecPub, K.PKCS_1), kfts],
      ['EC public as PKCS#8', () => get(ecPub, K.PKCS_8), kfts],
      ['EC public as Transparent DSA', () => get(ecPub, K.TransparentDSAPublicKey), kfts],
      ['EC public char2 compression', () => get(ecPub, undefined, C.ECPublicKeyTypeX9_62CompressedChar2), kcts],
      ['unreadable PKCS#8 converted', () => get(junk, K.PKCS_1), kfts],
      ['AES key compressed', () => get(aes, undefined, C.ECPublicKeyTypeUncompressed), kcts],
      ['AES key as PKCS#8', () => get(aes, K.PKCS_8), kfts],
      ['certificate as PKCS#1', () => get(cert, K.PKCS_1), kfts],
      // The other protocol generation's Transparent EC formats.
      v[0] >= 2 ? ['Transparent ECDSA at 2.x', () => get(ecPub, K.TransparentECDSAPublicKey), kfts] : ['Transparent EC at 1.2', () => send(Operation.Get, [text(Tag.UniqueIdentifier, ecPub), enm(Tag.KeyFormatType, K.TransparentECPublicKey)], [1, 2]), kfts],
    ];
    for (const [label, p, want] of cases) {
      const r = await p();
      expect(r.status, label).toBe(ResultStatus.OperationFailed);
      expect(r.reason, `${label}: ${r.message}`).toBe(want);
      expect(r.message ?? '').not.toMatch(/[0-9a-f]{16}/i);
    }
    // Register refuses Transparent keys that are not keys, and keys their algorithm does not describe.
    const regFail = async (type: number, format: number, material: TtlvNode, alg: number): Promise<ItemResult> => {
      const block = struct(Tag.KeyBlock, [enm(Tag.KeyFormatType, format), struct(Tag.KeyValue, [material]), enm(Tag.CryptographicAlgorithm, alg)]);
      return send(Operation.Register, [enm(Tag.ObjectType, type), v[0] >= 2 ? struct(Tag.Attributes, []) : struct(Tag.TemplateAttribute, []), struct(objTag(type), [block])]);
    };
    const ecT = exportKey('private', ec.privateKey, K.TransparentECPrivateKey);
    const noD = struct(Tag.KeyMaterial, [child(ecT, Tag.RecommendedCurve)!]);
    const rsaT = exportKey('private', rsa.privateKey, K.TransparentRSAPrivateKey);
    const badRsa = struct(Tag.KeyMaterial, (rsaT.value as TtlvNode[]).map((n) => (n.tag === Tag.P ? bigInt(Tag.P, (n.value as bigint) + 2n) : n)));
    const offCurve = struct(Tag.KeyMaterial, [child(ecT, Tag.RecommendedCurve)!, bytes(Tag.QString, Buffer.from('04' + '11'.repeat(64), 'hex'))]);
    for (const [label, p, want] of [
      ['Transparent EC private key without D', () => regFail(ObjectType.PrivateKey, K.TransparentECPrivateKey, noD, A.EC), ResultReason.MissingData],
      ['Transparent RSA private key with a wrong P', () => regFail(ObjectType.PrivateKey, K.TransparentRSAPrivateKey, badRsa, A.RSA), ResultReason.InvalidField],
      ['Transparent EC public key off the curve', () => regFail(ObjectType.PublicKey, K.TransparentECPublicKey, offCurve, A.EC), ResultReason.InvalidField],
      ['an EC key registered as RSA', () => regFail(ObjectType.PrivateKey, K.PKCS_8, exportKey('private', ec.privateKey, K.PKCS_8), A.RSA), ResultReason.InvalidField],
      ['an RSA public key registered as ECDSA', () => regFail(ObjectType.PublicKey, K.X_509, exportKey('public', rsa.publicKey, K.X_509), A.ECDSA), ResultReason.InvalidField],
    ] as const) {
      const r = await p();
      expect(r.status, label).toBe(ResultStatus.OperationFailed);
      expect(r.reason, `${label}: ${r.message}`).toBe(want);
    }
    // The unreadable key is still returned as registered.
    expect(Buffer.from(materialOf(ok(await get(junk))).value as Uint8Array).equals(Buffer.alloc(200, 0x42))).toBe(true);
    expect(Buffer.from(materialOf(ok(await get(junk, K.PKCS_8))).value as Uint8Array).equals(Buffer.alloc(200, 0x42))).toBe(true);
  });
});
