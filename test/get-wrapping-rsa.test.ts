/**
 * RSA key transport, live (mutual TLS, SoftHSM2, LevelDB): Get with a Key Wrapping Specification
 * naming an RSA Public Key (RSA-OAEP SHA-1 / SHA-256, PKCS#1 v1.5; No Encoding and TTLV
 * Encoding), checked by unwrapping with node:crypto and the exported Private Key; and a key
 * registered wrapped under an RSA Public Key (wrapped by node:crypto, BYOK): unwrapped into the
 * HSM by the (linked) Private Key and usable there (Encrypt checked against node:crypto), returned
 * unwrapped for Key Wrap Type Not Wrapped, or re-wrapped under another key.
 */
import { type KeyObject, constants, createCipheriv, createPrivateKey, createPublicKey, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  EncodingOption,
  HashingAlgorithm,
  KeyFormatType,
  KeyWrapType,
  ObjectType,
  Operation,
  PaddingMethod,
  ResultReason,
  ResultStatus,
  Tag,
  WrappingMethod,
} from '../src/kmip/generated/index.js';
import { bool, bytes, child, dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import { decodeTtlv } from '../src/ttlv/decode.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, payloadText } from './helpers/kmip-request.js';
import { useLiveKmipd } from './helpers/live.js';

type V = [number, number];
const live = useLiveKmipd('wrap-rsa');

const V21: V = [2, 1];
const V14: V = [1, 4];
const one = live.one;
function ok(r: ItemResult): ItemResult {
  expect(r.status, r.message).toBe(ResultStatus.Success);
  return r;
}
const now = (): bigint => BigInt(Math.floor(Date.now() / 1000));
const uidNode = (uid: string): TtlvNode => text(Tag.UniqueIdentifier, uid);
const keyBlock = (r: ItemResult): TtlvNode => child(child(r.payload!, Tag.SymmetricKey)!, Tag.KeyBlock)!;

/** An RSA-2048 pair from Create Key Pair: public Wrap Key, private Unwrap Key, private extractable. */
async function rsaPair(): Promise<{ priv: string; pub: string; pkcs8: KeyObject }> {
  const r = ok(
    await one(V21, Operation.CreateKeyPair, [
      struct(Tag.CommonAttributes, [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.RSA), int(Tag.CryptographicLength, 2048), dateTime(Tag.ActivationDate, now() - 60n)]),
      struct(Tag.PrivateKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.UnwrapKey)]),
      struct(Tag.PublicKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.WrapKey)]),
    ]),
  );
  const priv = payloadText(r, Tag.PrivateKeyUniqueIdentifier)!;
  const got = ok(await one(V21, Operation.Get, [uidNode(priv), enm(Tag.KeyFormatType, KeyFormatType.PKCS_8)]));
  const kb = child(child(got.payload!, Tag.PrivateKey)!, Tag.KeyBlock)!;
  const pkcs8 = createPrivateKey({ key: Buffer.from(child(child(kb, Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array), format: 'der', type: 'pkcs8' });
  return { priv, pub: payloadText(r, Tag.PublicKeyUniqueIdentifier)!, pkcs8 };
}

async function registerAes(material: Buffer, extra: TtlvNode[] = []): Promise<string> {
  const r = ok(
    await one(V21, Operation.Register, [
      enm(Tag.ObjectType, ObjectType.SymmetricKey),
      struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Encrypt), dateTime(Tag.ActivationDate, now() - 60n)]),
      struct(Tag.SymmetricKey, [
        struct(Tag.KeyBlock, [
          enm(Tag.KeyFormatType, KeyFormatType.Raw),
          struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, material)]),
          enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
          int(Tag.CryptographicLength, material.length * 8),
          ...extra,
        ]),
      ]),
    ]),
  );
  return payloadText(r, Tag.UniqueIdentifier)!;
}

const cp = (fields: TtlvNode[]): TtlvNode[] => (fields.length ? [struct(Tag.CryptographicParameters, fields)] : []);
const spec = (wrapUid: string, params: TtlvNode[], encoding?: number): TtlvNode =>
  struct(Tag.KeyWrappingSpecification, [
    enm(Tag.WrappingMethod, WrappingMethod.Encrypt),
    struct(Tag.EncryptionKeyInformation, [uidNode(wrapUid), ...cp(params)]),
    ...(encoding !== undefined ? [enm(Tag.EncodingOption, encoding)] : []),
  ]);

describe('RSA key transport', () => {
  it.each([
    ['OAEP SHA-256', [enm(Tag.PaddingMethod, PaddingMethod.OAEP), enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256)], 'sha256'],
    ['OAEP SHA-1', [enm(Tag.PaddingMethod, PaddingMethod.OAEP), enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_1)], 'sha1'],
    ['no parameters (OAEP SHA-1)', [], 'sha1'],
    ['PKCS#1 v1.5', [enm(Tag.PaddingMethod, PaddingMethod.PKCS1V1_5)], undefined],
  ] as const)('Get wraps a symmetric key under an RSA Public Key: %s', async (_n, params, oaepHash) => {
    const pair = await rsaPair();
    const aes = randomBytes(32);
    const uid = await registerAes(aes);
    const unwrapNode = (w: Buffer): Buffer =>
      oaepHash !== undefined
        ? privateDecrypt({ key: pair.pkcs8, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, w)
        : (() => {
            const em = privateDecrypt({ key: pair.pkcs8, padding: constants.RSA_NO_PADDING }, w);
            return em.subarray(em.indexOf(0, 2) + 1);
          })();
    for (const v of [V21, V14]) {
      // No Encoding: the Key Material bytes are wrapped.
      const r = ok(await one(v, Operation.Get, [uidNode(uid), spec(pair.pub, [...params], EncodingOption.NoEncoding)]));
      const kb = keyBlock(r);
      const kv = child(kb, Tag.KeyValue)!;
      const wrapped = Buffer.from((kv.type === 'ByteString' ? kv.value : child(kv, Tag.KeyMaterial)!.value) as Uint8Array);
      expect(wrapped.length).toBe(256);
      expect(unwrapNode(wrapped)).toEqual(aes);
      const kwd = child(kb, Tag.KeyWrappingData)!;
      const eki = child(kwd, Tag.EncryptionKeyInformation)!;
      expect(child(eki, Tag.UniqueIdentifier)!.value).toBe(pair.pub);
      expect(child(child(eki, Tag.CryptographicParameters)!, Tag.PaddingMethod)!.value).toBe(oaepHash ? PaddingMethod.OAEP : PaddingMethod.PKCS1V1_5);
    }
    // TTLV Encoding (the default): the Key Value structure is wrapped.
    const t = ok(await one(V21, Operation.Get, [uidNode(uid), spec(pair.pub, [...params])]));
    const kvNode = decodeTtlv(unwrapNode(Buffer.from(child(keyBlock(t), Tag.KeyValue)!.value as Uint8Array)));
    expect(kvNode.tag).toBe(Tag.KeyValue);
    expect(Buffer.from(child(kvNode, Tag.KeyMaterial)!.value as Uint8Array)).toEqual(aes);
  }, 60_000);

  it.each([
    ['SHA-256', 'sha256', HashingAlgorithm.SHA_256],
    ['SHA-1', 'sha1', HashingAlgorithm.SHA_1],
  ] as const)('BYOK: a key registered wrapped under an RSA Public Key, OAEP %s: usable in the HSM; Not Wrapped unwraps; re-wrapped on request', async (_n, oaepHash, hashEnum) => {
    const pair = await rsaPair();
    const pubDer = ok(await one(V21, Operation.Get, [uidNode(pair.pub), enm(Tag.KeyFormatType, KeyFormatType.X_509)]));
    const spki = Buffer.from(child(child(child(child(pubDer.payload!, Tag.PublicKey)!, Tag.KeyBlock)!, Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array);
    const aes = randomBytes(16);
    const wrapped = publicEncrypt({ key: createPublicKey({ key: spki, format: 'der', type: 'spki' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, aes);
    const kwd = (uid: string): TtlvNode =>
      struct(Tag.KeyWrappingData, [
        enm(Tag.WrappingMethod, WrappingMethod.Encrypt),
        struct(Tag.EncryptionKeyInformation, [uidNode(uid), ...cp([enm(Tag.PaddingMethod, PaddingMethod.OAEP), enm(Tag.HashingAlgorithm, hashEnum)])]),
        enm(Tag.EncodingOption, EncodingOption.NoEncoding),
      ]);
    const block = Buffer.alloc(16, 0x3c);
    const ecb = createCipheriv('aes-128-ecb', aes, null).setAutoPadding(false);
    const expected = Buffer.concat([ecb.update(block), ecb.final()]);
    for (const named of [pair.pub, pair.priv]) {
      const uid = await registerAes(wrapped, [kwd(named)]);
      // As registered: the wrapped bytes and the Key Wrapping Data.
      const asIs = ok(await one(V21, Operation.Get, [uidNode(uid)]));
      expect(child(keyBlock(asIs), Tag.KeyWrappingData)).toBeDefined();
      // The HSM holds the unwrapped key: Encrypt uses it.
      const enc = ok(
        await one(V21, Operation.Encrypt, [
          uidNode(uid),
          struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.ECB), enm(Tag.PaddingMethod, PaddingMethod.None)]),
          bytes(Tag.Data, block),
        ]),
      );
      expect(Buffer.from(child(enc.payload!, Tag.Data)!.value as Uint8Array)).toEqual(expected);
      // Not Wrapped: the plain key.
      const plain = ok(await one(V21, Operation.Get, [uidNode(uid), enm(Tag.KeyWrapType, KeyWrapType.NotWrapped)]));
      expect(Buffer.from(child(child(keyBlock(plain), Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array)).toEqual(aes);
      expect(child(keyBlock(plain), Tag.KeyWrappingData)).toBeUndefined();
      // Re-wrapped under the public key with PKCS#1 v1.5.
      const re = ok(await one(V21, Operation.Get, [uidNode(uid), spec(pair.pub, [enm(Tag.PaddingMethod, PaddingMethod.PKCS1V1_5)], EncodingOption.NoEncoding)]));
      const em = privateDecrypt({ key: pair.pkcs8, padding: constants.RSA_NO_PADDING }, Buffer.from(child(keyBlock(re), Tag.KeyValue)!.value as Uint8Array));
      expect(em.subarray(em.indexOf(0, 2) + 1)).toEqual(aes);
    }
    // A tampered wrapped key does not unwrap: Register answers Cryptographic Failure.
    const bad = Buffer.from(wrapped);
    bad[7] = (bad[7] as number) ^ 0x10;
    const r = await one(V21, Operation.Register, [
      enm(Tag.ObjectType, ObjectType.SymmetricKey),
      struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Encrypt)]),
      struct(Tag.SymmetricKey, [
        struct(Tag.KeyBlock, [
          enm(Tag.KeyFormatType, KeyFormatType.Raw),
          struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, bad)]),
          enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
          int(Tag.CryptographicLength, 128),
          kwd(pair.priv),
        ]),
      ]),
    ]);
    expect(r.status).toBe(ResultStatus.OperationFailed);
    expect(r.reason).toBe(ResultReason.CryptographicFailure);
  }, 60_000);

  it('refusals: raw RSA, a Private Key to wrap with, a Public Key without Wrap Key', async () => {
    const pair = await rsaPair();
    const uid = await registerAes(randomBytes(16));
    const none = await one(V21, Operation.Get, [uidNode(uid), spec(pair.pub, [enm(Tag.PaddingMethod, PaddingMethod.None)], EncodingOption.NoEncoding)]);
    expect(none.reason).toBe(ResultReason.BadCryptographicParameters);
    const withPriv = await one(V21, Operation.Get, [uidNode(uid), spec(pair.priv, [], EncodingOption.NoEncoding)]);
    expect(withPriv.reason).toBe(ResultReason.FeatureNotSupported);
    const r = ok(
      await one(V21, Operation.CreateKeyPair, [
        struct(Tag.CommonAttributes, [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.RSA), int(Tag.CryptographicLength, 2048), dateTime(Tag.ActivationDate, now() - 60n)]),
        struct(Tag.PrivateKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Sign), bool(Tag.Extractable, false)]),
        struct(Tag.PublicKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Verify)]),
      ]),
    );
    const noWrap = await one(V21, Operation.Get, [uidNode(uid), spec(payloadText(r, Tag.PublicKeyUniqueIdentifier)!, [], EncodingOption.NoEncoding)]);
    expect(noWrap.reason).toBe(ResultReason.IncompatibleCryptographicUsageMask);
  }, 60_000);
});
