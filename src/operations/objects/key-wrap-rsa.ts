/**
 * RSA key transport for Get's Key Wrapping Specification and for keys registered wrapped (KMIP 1.4
 * §2.1.5-2.1.6, 2.1 §2.1.5-2.1.6): Wrapping Method Encrypt with an RSA Public Key wraps (RSA-OAEP,
 * RFC 8017 §7.1, or PKCS#1 v1.5), and the matching Private Key, held in the HSM, unwraps.
 *
 * Cryptographic Parameters: those of the Encryption Key Information, each absent field taken from
 * the wrapping key's Cryptographic Parameters attribute; with no Padding Method at all, OAEP
 * (SHA-1 unless a Hashing Algorithm is named, MGF1 on the OAEP hash unless one is named). Padding
 * Method None (raw RSA) is refused for key wrapping. The wrapping key must be Active (for wrap) and
 * carry Wrap Key (public) / Unwrap Key (private) in its Cryptographic Usage Mask.
 *
 * The RSA operations run in the HSM (rsa-cipher.ts in the provider); the unwrapped key comes back
 * to this process because Get returns it.
 */
import { type RsaCipherParams, rsaCipherOf } from '../../crypto/asymmetric.js';
import { CryptoError, type KeyRef, type SymmetricAlgorithm } from '../../crypto/provider.js';
import { KmipError, featureNotSupported } from '../../kmip/errors.js';
import { Fields } from '../../kmip/fields.js';
import {
  CryptographicUsageMask,
  EncodingOption,
  HashingAlgorithm,
  LinkType,
  MaskGenerator,
  ObjectType,
  PaddingMethod,
  ResultReason,
  State,
  Tag,
  WrappingMethod,
} from '../../kmip/generated/index.js';
import { type ProtocolVersion, is2x } from '../../kmip/protocol-version.js';
import { enm, struct } from '../../ttlv/build.js';
import { decodeTtlv } from '../../ttlv/decode.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { type CryptoParamFields, decodeCryptoParams, effectiveParams } from '../crypto/params.js';
import { rsaCipherParams } from '../crypto/rsa-cipher.js';
import { keyAlgorithm, privateKeySource } from '../crypto/sign.js';
import { spkiOf } from '../crypto/signature-verify.js';
import { loadCurrent, requireUsage, wrongState } from '../lifecycle/state.js';
import { type ManagedObject, attrNumber, objectState } from '../objects.js';
import type { RequestContext } from '../types.js';

/** The Cryptographic Parameters of an Encryption Key Information structure. */
export function decodeWrappingParams(eki: Fields | undefined): CryptoParamFields | undefined {
  return decodeCryptoParams(eki);
}

/** Whether `obj` is an RSA key that wraps (Public Key) or unwraps (Private Key). */
export function isRsaWrappingKey(obj: ManagedObject): boolean {
  return obj.objectType === ObjectType.PublicKey || obj.objectType === ObjectType.PrivateKey;
}

function wrapParams(v: ProtocolVersion, fields: CryptoParamFields | undefined, key: ManagedObject): RsaCipherParams {
  const p = effectiveParams(fields, key);
  const params = rsaCipherParams(v, p.paddingMethod === undefined ? { ...p, paddingMethod: PaddingMethod.OAEP } : p);
  if (params.padding === 'None') {
    throw new KmipError(is2x(v) ? ResultReason.BadCryptographicParameters : ResultReason.InvalidField, 'Raw RSA (Padding Method None) does not wrap keys');
  }
  return params;
}

const HASH_ENUM: Readonly<Record<string, number>> = {
  'SHA-1': HashingAlgorithm.SHA_1,
  'SHA-224': HashingAlgorithm.SHA_224,
  'SHA-256': HashingAlgorithm.SHA_256,
  'SHA-384': HashingAlgorithm.SHA_384,
  'SHA-512': HashingAlgorithm.SHA_512,
};

/** The Cryptographic Parameters to echo in Key Wrapping Data: what the wrap used. */
function paramsNode(p: RsaCipherParams): TtlvNode {
  if (p.padding !== 'OAEP') return struct(Tag.CryptographicParameters, [enm(Tag.PaddingMethod, PaddingMethod.PKCS1V1_5)]);
  return struct(Tag.CryptographicParameters, [
    enm(Tag.PaddingMethod, PaddingMethod.OAEP),
    enm(Tag.HashingAlgorithm, HASH_ENUM[p.hash]!),
    ...(p.mgfHash !== p.hash ? [enm(Tag.MaskGenerator, MaskGenerator.MGF1), enm(Tag.MaskGeneratorHashingAlgorithm, HASH_ENUM[p.mgfHash]!)] : []),
  ]);
}

function services(ctx: RequestContext) {
  const rsa = rsaCipherOf(ctx.crypto);
  if (rsa === undefined) throw featureNotSupported('The cryptographic module offers no RSA key transport');
  return rsa;
}

function checkRsa(key: ManagedObject): void {
  if (keyAlgorithm(key) !== 'RSA') throw featureNotSupported('Asymmetric key wrapping is offered with RSA keys');
}

function cryptoFailure(e: unknown): unknown {
  if (e instanceof CryptoError && e.code === 'BAD_KEY') return new KmipError(ResultReason.CryptographicFailure, 'The wrapped key does not unwrap under the named key');
  if (e instanceof CryptoError && e.code === 'UNSUPPORTED') return new KmipError(ResultReason.InvalidField, 'The key does not fit the RSA key and padding');
  return e;
}

/** Wraps `plain` under the RSA Public Key `key`; returns the wrapped bytes and the parameters used. */
export async function rsaWrap(ctx: RequestContext, key: ManagedObject, fields: CryptoParamFields | undefined, plain: Uint8Array): Promise<{ wrapped: Uint8Array; params: TtlvNode }> {
  if (key.objectType !== ObjectType.PublicKey) throw featureNotSupported('RSA key wrapping uses the Public Key');
  checkRsa(key);
  if (objectState(key) !== State.Active) throw wrongState(ctx.version, 'The wrapping key must be Active');
  requireUsage(key, CryptographicUsageMask.WrapKey, ctx.version);
  const params = wrapParams(ctx.version, fields, key);
  try {
    return { wrapped: await services(ctx).rsaEncrypt(spkiOf(key), params, plain), params: paramsNode(params) };
  } catch (e) {
    throw cryptoFailure(e);
  }
}

/**
 * The Private Key that unwraps what `named` names: itself, or, for the Public Key a client wrapped
 * with (Key Wrapping Data names the key used to wrap), the Private Key its Private Key Link names.
 */
async function unwrappingKey(ctx: RequestContext, named: ManagedObject): Promise<ManagedObject> {
  if (named.objectType === ObjectType.PrivateKey) return named;
  const link = named.attributes
    .filter((a) => a.tag === Tag.Link)
    .map((a) => a.value)
    .find((v) => v.type === 'Structure' && v.value.some((c) => c.tag === Tag.LinkType && c.type === 'Enumeration' && c.value === LinkType.PrivateKeyLink));
  const uid = link?.type === 'Structure' ? link.value.find((c) => c.tag === Tag.LinkedObjectIdentifier) : undefined;
  if (uid?.type !== 'TextString') throw featureNotSupported('The wrapping Public Key has no linked Private Key here to unwrap with');
  return loadCurrent(ctx, uid.value);
}

/** Unwraps `wrapped` with the RSA Private Key of `named` (itself, or the Public Key's linked one) inside the HSM. */
export async function rsaUnwrap(ctx: RequestContext, named: ManagedObject, fields: CryptoParamFields | undefined, wrapped: Uint8Array): Promise<Uint8Array> {
  const key = await unwrappingKey(ctx, named);
  if (key.objectType !== ObjectType.PrivateKey) throw featureNotSupported('RSA key unwrapping uses the Private Key');
  checkRsa(key);
  // As for AES wrapping keys (get.ts): a mask with Wrap Key or Unwrap Key is accepted.
  const mask = attrNumber(key, Tag.CryptographicUsageMask);
  if (mask !== undefined && (mask & (CryptographicUsageMask.WrapKey | CryptographicUsageMask.UnwrapKey)) === 0) {
    requireUsage(key, CryptographicUsageMask.UnwrapKey, ctx.version);
  }
  const params = wrapParams(ctx.version, effectiveParams(fields, named), key);
  const source = await privateKeySource(ctx, key);
  try {
    return await services(ctx).rsaDecrypt(source, params, wrapped);
  } catch (e) {
    throw cryptoFailure(e);
  } finally {
    if (source.kind === 'der') (source.der as Uint8Array).fill(0);
  }
}

/**
 * BYOK by RSA key transport (KMIP 2.1 §2.1.5): a Symmetric Key registered with Key Wrapping Data
 * naming one of the caller's RSA keys (Wrapping Method Encrypt, No Encoding: the Key Material is
 * the RSA ciphertext) is unwrapped into the HSM with the Private Key, so Encrypt, MAC etc. can use
 * it; the registered wrapped form is still what Get returns as registered. Undefined when the Key
 * Wrapping Data names no RSA key held here or the provider cannot do it (kept as registered only).
 */
export async function importRsaWrapped(
  ctx: RequestContext,
  wrappingData: TtlvNode,
  keyValue: Uint8Array,
  algorithm: SymmetricAlgorithm,
): Promise<{ ref: KeyRef; algorithm: SymmetricAlgorithm } | undefined> {
  const rsa = rsaCipherOf(ctx.crypto);
  if (rsa?.rsaUnwrapSymmetricKey === undefined) return undefined;
  const wd = new Fields(wrappingData, 'Key Wrapping Data');
  const eki = wd.struct(Tag.EncryptionKeyInformation);
  const uid = eki?.text(Tag.UniqueIdentifier);
  if (wd.enum(Tag.WrappingMethod) !== WrappingMethod.Encrypt || uid === undefined) return undefined;
  if ((wd.enum(Tag.EncodingOption) ?? EncodingOption.TTLVEncoding) !== EncodingOption.NoEncoding) return undefined;
  let named: ManagedObject;
  try {
    named = await loadCurrent(ctx, uid);
  } catch (e) {
    if (e instanceof KmipError && (e.reason === ResultReason.ItemNotFound || e.reason === ResultReason.ObjectNotFound)) return undefined;
    throw e;
  }
  if (!isRsaWrappingKey(named)) return undefined;
  // 1.x: Key Value { Key Material = wrapped }; 2.x: Key Value = wrapped (as get.ts reads them).
  const kv = decodeTtlv(Buffer.from(keyValue));
  const m = kv.type === 'Structure' ? kv.value.find((n) => n.tag === Tag.KeyMaterial) : kv;
  if (m?.type !== 'ByteString') return undefined;
  const key = await unwrappingKey(ctx, named);
  if (key.objectType !== ObjectType.PrivateKey) throw featureNotSupported('RSA key unwrapping uses the Private Key');
  checkRsa(key);
  const mask = attrNumber(key, Tag.CryptographicUsageMask);
  if (mask !== undefined && (mask & (CryptographicUsageMask.WrapKey | CryptographicUsageMask.UnwrapKey)) === 0) {
    requireUsage(key, CryptographicUsageMask.UnwrapKey, ctx.version);
  }
  const params = wrapParams(ctx.version, effectiveParams(decodeWrappingParams(eki), named), key);
  const source = await privateKeySource(ctx, key);
  try {
    return { ref: await rsa.rsaUnwrapSymmetricKey(source, params, m.value, algorithm), algorithm };
  } catch (e) {
    throw cryptoFailure(e);
  } finally {
    if (source.kind === 'der') (source.der as Uint8Array).fill(0);
  }
}
