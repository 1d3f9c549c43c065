/**
 * Get. KMIP 1.4 §4.11, 2.1 §6.1.22. Returns the object's value in its response structure:
 * - Symmetric Key: the Key Format Type it was registered in (Raw for created keys), or the one
 *   requested when the conversion is cheap: Raw <-> Transparent Symmetric Key;
 * - Public and Private Keys: as registered (PKCS#8 / X.509 when generated), or converted to the
 *   requested Key Format Type and Key Compression Type (PKCS#1, PKCS#8, ECPrivateKey, X.509,
 *   Transparent RSA / EC keys; see objects/key-conversion.ts and kmip/key-formats.ts);
 * - every other object type: as registered. A requested Key Format Type other than the stored one
 *   is Key Format Type Not Supported, and so is any Key Format Type for an object without a Key
 *   Block (Certificate, Opaque Object). A Key Compression Type other than the stored one is Key
 *   Compression Type Not Supported.
 *
 * Key Wrapping Specification (1.4 §2.1.6, 2.1 §2.1.6): Wrapping Method Encrypt with an Active AES
 * key of the same principal whose usage mask allows Wrap Key, Block Cipher Mode NIST Key Wrap
 * (RFC 3394, the default), Encoding Option No Encoding (the Key Material bytes) or TTLV Encoding
 * (the default: the Key Value structure). The wrapping key is one the client may Get itself, so it
 * is read like a Get and the wrap runs in node:crypto. An RSA Public Key wraps with RSA-OAEP or
 * PKCS#1 v1.5 in the HSM (objects/key-wrap-rsa.ts). A key registered wrapped is unwrapped first
 * (under its AES key, or the RSA Private Key) when Not Wrapped or another wrapping is asked for.
 * MAC/Sign wrapping, other modes, attribute wrapping and non-extractable AES wrapping keys are
 * Feature Not Supported.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { asymmetricProviderOf } from '../crypto/asymmetric.js';
import { CryptoError, type KeyRef } from '../crypto/provider.js';
import { Fields } from '../kmip/fields.js';
import { KmipError, featureNotSupported, invalidField, keyFormatTypeNotSupported } from '../kmip/errors.js';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  EncodingOption,
  KeyFormatType,
  KeyWrapType,
  ObjectType,
  Operation,
  ResultReason,
  State,
  Tag,
  WrappingMethod,
} from '../kmip/generated/index.js';
import { type KeyBlockInfo, encodeObjectContent, symmetricKeyBytes } from '../kmip/key-block.js';
import { atLeast, is2x } from '../kmip/protocol-version.js';
import { struct, bytes, enm, text } from '../ttlv/build.js';
import { decodeTtlv } from '../ttlv/decode.js';
import { encodeTtlv } from '../ttlv/encode.js';
import type { TtlvNode } from '../ttlv/types.js';
import { convertAsymmetric, needsConversion } from './objects/key-conversion.js';
import { unwrapSecret } from './objects/material.js';
import { pkcs12PrivateKey } from './objects/pkcs12.js';
import { encodeTemplate } from './objects/template.js';
import { loadCurrent, requireUsage, wrongState } from './lifecycle/state.js';
import { decodeWrappingParams, isRsaWrappingKey, rsaUnwrap, rsaWrap } from './objects/key-wrap-rsa.js';
import type { CryptoParamFields } from './crypto/params.js';
import { refusePadExport } from './crypto/one-time-pad.js';
import { type ManagedObject, attr, attrNumber, markServed, objectState } from './objects.js';
import { type RequestContext, defineOperation } from './types.js';

interface WrappingSpec {
  readonly method: number;
  readonly keyUid: string;
  readonly mode?: number;
  readonly encoding?: number;
  /** The Encryption Key Information's Cryptographic Parameters (RSA wrapping reads them all). */
  readonly params?: CryptoParamFields;
  readonly other: boolean; // MAC/Signature Key Information or Attribute Names
}

interface GetRequest {
  readonly uid: string | undefined;
  readonly keyFormatType?: number;
  /** 1.4 §4.11 / 2.1 §6.1.22: Not Wrapped asks for a key registered wrapped in the clear. */
  readonly keyWrapType?: number;
  readonly wrapping?: WrappingSpec;
  readonly keyCompressionType?: number;
  /** Export serves the value without clearing Fresh (OASIS TC-IMPEXP-3-20 reads Fresh True after it). */
  readonly keepFresh?: boolean;
}

function decodeWrapping(f: Fields | undefined): WrappingSpec | undefined {
  if (f === undefined) return undefined;
  const eki = f.struct(Tag.EncryptionKeyInformation);
  const keyUid = eki?.text(Tag.UniqueIdentifier);
  if (keyUid === undefined) throw featureNotSupported('Key wrapping needs Encryption Key Information');
  return {
    method: f.req(Tag.WrappingMethod, 'Enumeration').value,
    keyUid,
    mode: eki?.struct(Tag.CryptographicParameters)?.enum(Tag.BlockCipherMode),
    params: decodeWrappingParams(eki),
    encoding: f.enum(Tag.EncodingOption),
    other: f.has(Tag.MACSignatureKeyInformation) || f.has(Tag.AttributeName),
  };
}

/** RFC 3394 AES key wrap of `data` (a multiple of 8 bytes, at least 16) under `kek`. */
function aesKeyWrap(kek: Uint8Array, data: Uint8Array): Uint8Array {
  if (![16, 24, 32].includes(kek.length)) throw invalidField('The wrapping key is not an AES key');
  if (data.length < 16 || data.length % 8 !== 0) throw featureNotSupported('NIST Key Wrap needs key material of a multiple of 64 bits; use TTLV Encoding');
  const c = createCipheriv(`id-aes${kek.length * 8}-wrap`, kek, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

/** RFC 3394 AES key unwrap; a failed integrity check is a Cryptographic Failure. */
function aesKeyUnwrap(kek: Uint8Array, data: Uint8Array): Uint8Array {
  if (![16, 24, 32].includes(kek.length)) throw invalidField('The wrapping key is not an AES key');
  try {
    const d = createDecipheriv(`id-aes${kek.length * 8}-wrap`, kek, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
    return new Uint8Array(Buffer.concat([d.update(data), d.final()]));
  } catch {
    throw new KmipError(ResultReason.CryptographicFailure, 'The wrapped key does not unwrap under the named key');
  }
}

/**
 * A key registered wrapped (Key Wrapping Data, Encrypt with NIST Key Wrap under one of the
 * principal's AES keys), unwrapped for Key Wrap Type Not Wrapped (OASIS TC-WRAP-2): the plain
 * Key Block info and value in the usual forms.
 */
export async function unwrapRegistered(ctx: RequestContext, kb: KeyBlockInfo, kvBytes: Uint8Array): Promise<{ info: KeyBlockInfo; value: Uint8Array }> {
  const wd = new Fields(kb.wrappingData!, 'Key Wrapping Data');
  const eki = wd.struct(Tag.EncryptionKeyInformation);
  const mode = eki?.struct(Tag.CryptographicParameters)?.enum(Tag.BlockCipherMode);
  const uid = eki?.text(Tag.UniqueIdentifier);
  if (wd.enum(Tag.WrappingMethod) !== WrappingMethod.Encrypt || uid === undefined) {
    throw featureNotSupported('Only keys wrapped by Encrypt with NIST Key Wrap or RSA can be unwrapped');
  }
  const wk = await loadCurrent(ctx, uid);
  let kek: Uint8Array | undefined;
  let unwrap: (wrapped: Uint8Array) => Promise<Uint8Array> | Uint8Array;
  if (isRsaWrappingKey(wk)) {
    // Wrapped under an RSA Public Key: the Private Key unwraps inside the HSM (objects/key-wrap-rsa.ts).
    const params = decodeWrappingParams(eki);
    unwrap = (w) => rsaUnwrap(ctx, wk, params, w);
  } else {
    if (mode !== undefined && mode !== BlockCipherMode.NISTKeyWrap) throw featureNotSupported('Only keys wrapped by Encrypt with NIST Key Wrap or RSA can be unwrapped');
    if (wk.objectType !== ObjectType.SymmetricKey || wk.key === undefined) throw featureNotSupported('The wrapping key must be an AES key held here');
    const mask = attrNumber(wk, Tag.CryptographicUsageMask);
    if (mask !== undefined && (mask & (CryptographicUsageMask.WrapKey | CryptographicUsageMask.UnwrapKey)) === 0) {
      requireUsage(wk, CryptographicUsageMask.UnwrapKey, ctx.version);
    }
    const k = await exportHsmKey(ctx, wk);
    kek = k;
    unwrap = (w) => aesKeyUnwrap(k, w);
  }
  try {
    const kv = decodeTtlv(Buffer.from(kvBytes));
    const encoding = wd.enum(Tag.EncodingOption) ?? EncodingOption.TTLVEncoding;
    let plainKv: TtlvNode;
    if (encoding === EncodingOption.NoEncoding) {
      // 1.x: Key Value { Key Material = wrapped }; 2.x: Key Value = wrapped (TC-WRAP-2-14 / -20).
      const m = kv.type === 'Structure' ? kv.value.find((n) => n.tag === Tag.KeyMaterial) : kv;
      if (m?.type !== 'ByteString') throw invalidField('The wrapped Key Value has no Key Material');
      plainKv = struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, await unwrap(m.value))]);
    } else {
      if (kv.type !== 'ByteString') throw invalidField('A TTLV-encoded wrapped Key Value must be a Byte String');
      plainKv = decodeTtlv(Buffer.from(await unwrap(kv.value)));
      if (plainKv.tag !== Tag.KeyValue || plainKv.type !== 'Structure') throw new KmipError(ResultReason.CryptographicFailure, 'The unwrapped value is not a Key Value');
    }
    const material = plainKv.type === 'Structure' ? plainKv.value.find((n) => n.tag === Tag.KeyMaterial) : undefined;
    if (material === undefined) throw invalidField('The unwrapped Key Value has no Key Material');
    const form = material.type === 'ByteString' ? 'bytes' : 'ttlv';
    const value = material.type === 'ByteString' ? material.value : new Uint8Array(encodeTtlv(material));
    const { wrappingData: _w, ...rest } = kb;
    return { info: { ...rest, form, keyValueAttributes: plainKv.type === 'Structure' ? plainKv.value.filter((n) => n.tag === Tag.Attribute) : [] }, value };
  } finally {
    kek?.fill(0);
  }
}

/** The AES wrapping key checked (Active, Wrap Key) and its RFC 3394 wrap, run on its exported value. */
function aesWrapper(ctx: RequestContext, wk: ManagedObject, spec: WrappingSpec): (plain: Uint8Array) => Promise<{ wrapped: Uint8Array; params: TtlvNode }> {
  if (spec.mode !== undefined && spec.mode !== BlockCipherMode.NISTKeyWrap) throw featureNotSupported('Only NIST Key Wrap is supported for wrapping');
  const key = wk.key;
  if (wk.objectType !== ObjectType.SymmetricKey || key === undefined || attrNumber(wk, Tag.CryptographicAlgorithm) !== CryptographicAlgorithm.AES) {
    throw featureNotSupported('Wrapping keys must be AES or RSA keys');
  }
  if (objectState(wk) !== State.Active) throw wrongState(ctx.version, 'The wrapping key must be Active');
  requireUsage(wk, CryptographicUsageMask.WrapKey, ctx.version);
  return async (plain) => {
    let kek: Uint8Array;
    try {
      kek = await ctx.crypto.exportKeyMaterial(key.ref, key.algorithm);
    } catch (e) {
      if (e instanceof CryptoError && e.code === 'NOT_EXTRACTABLE') throw featureNotSupported('Wrapping with a non-extractable key is not supported yet');
      throw e;
    }
    try {
      return { wrapped: aesKeyWrap(kek, plain), params: struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.NISTKeyWrap)]) };
    } finally {
      kek.fill(0);
    }
  };
}

/** Replaces the Key Block's Key Value by its wrapped form and adds Key Wrapping Data. */
async function wrapObject(ctx: RequestContext, object: TtlvNode, spec: WrappingSpec): Promise<TtlvNode> {
  if (spec.method !== WrappingMethod.Encrypt || spec.other) throw featureNotSupported('Only the Encrypt wrapping method is supported');
  const encoding = spec.encoding ?? EncodingOption.TTLVEncoding;
  if (object.type !== 'Structure') throw new KmipError(ResultReason.GeneralFailure, 'unexpected object');
  const kbIndex = object.value.findIndex((n) => n.tag === Tag.KeyBlock);
  const kb = object.value[kbIndex];
  if (kb === undefined || kb.type !== 'Structure') throw invalidField('Only objects with a Key Block can be wrapped');
  if (kb.value.some((n) => n.tag === Tag.KeyWrappingData)) throw featureNotSupported('The key is already wrapped');
  const wk = await loadCurrent(ctx, spec.keyUid);
  // An RSA Public Key wraps with RSA-OAEP / PKCS#1 v1.5 (objects/key-wrap-rsa.ts), checked there.
  const wrapWith = isRsaWrappingKey(wk) ? (plain: Uint8Array) => rsaWrap(ctx, wk, spec.params, plain) : aesWrapper(ctx, wk, spec);
  const kv = kb.value.find((n) => n.tag === Tag.KeyValue)!;
  let plain: Uint8Array;
  if (encoding === EncodingOption.TTLVEncoding) plain = new Uint8Array(encodeTtlv(kv));
  else if (encoding === EncodingOption.NoEncoding) {
    const m = kv.type === 'Structure' ? kv.value.find((n) => n.tag === Tag.KeyMaterial) : undefined;
    if (m?.type !== 'ByteString') throw featureNotSupported('No Encoding applies to Byte String key material only');
    plain = m.value;
  } else throw invalidField('Unknown Encoding Option');
  let wrapped: Uint8Array;
  let params: TtlvNode;
  try {
    ({ wrapped, params } = await wrapWith(plain));
  } finally {
    if (encoding === EncodingOption.TTLVEncoding) plain.fill(0);
  }
  const kwd = struct(Tag.KeyWrappingData, [
    enm(Tag.WrappingMethod, WrappingMethod.Encrypt),
    struct(Tag.EncryptionKeyInformation, [text(Tag.UniqueIdentifier, wk.uid), params]),
    // Echoed only when the client named it (OASIS AX-M-2 answers without it).
    ...(spec.encoding !== undefined ? [enm(Tag.EncodingOption, encoding)] : []),
  ]);
  // TTLV Encoding: the Key Value becomes the wrapped Byte String (1.4 §2.1.3). No Encoding: in
  // 1.x the Key Value stays a Structure whose Key Material holds the wrapped bytes (1.4 §2.1.5: "the
  // Key Value structure SHALL NOT contain any attributes"; OASIS TC-WRAP-1-14 and TC-WRAP-3-14;
  // PyKMIP reads only that); in 2.x it is the wrapped Byte String (TC-WRAP-1-20).
  const wrappedValue =
    encoding === EncodingOption.TTLVEncoding || kv.type !== 'Structure' || is2x(ctx.version)
      ? bytes(Tag.KeyValue, wrapped)
      : struct(Tag.KeyValue, kv.value.map((n) => (n.tag === Tag.KeyMaterial ? bytes(Tag.KeyMaterial, wrapped) : n)));
  const block = struct(Tag.KeyBlock, [...kb.value.map((n) => (n.tag === Tag.KeyValue ? wrappedValue : n)), kwd]);
  return struct(object.tag, object.value.map((n, i) => (i === kbIndex ? block : n)));
}

interface GetResponse {
  readonly obj: ManagedObject;
  readonly object: TtlvNode;
}

const SYMMETRIC_FORMATS = new Set<number>([KeyFormatType.Raw, KeyFormatType.TransparentSymmetricKey]);

/** The plaintext key of an HSM-held symmetric key; Not Extractable keys stay in the HSM. */
async function exportHsmKey(ctx: RequestContext, obj: ManagedObject): Promise<Uint8Array> {
  const key = obj.key!;
  try {
    // Get may be served from the provider's key export cache (README "Key export cache"), except
    // for Sensitive keys, whose value is only ever returned wrapped.
    const sensitive = attr(obj, Tag.Sensitive);
    const cacheAs = sensitive?.type === 'Boolean' && sensitive.value ? undefined : obj.uid;
    return await ctx.crypto.exportKeyMaterial(key.ref, key.algorithm, { cacheAs });
  } catch (e) {
    if (e instanceof CryptoError && e.code === 'NOT_EXTRACTABLE') {
      // KMIP 1.4 added "Not Extractable"; older clients get Permission Denied.
      throw new KmipError(atLeast(ctx.version, 1, 4) ? ResultReason.NotExtractable : ResultReason.PermissionDenied, 'The key is not extractable');
    }
    throw e;
  }
}

/**
 * KMIP 1.4 §3.50 / 2.1 §4.20: an object whose Extractable attribute is False never leaves the
 * server, in the clear or wrapped (OASIS TC-EXTRACTABLE-1-14/-20 step 5: Get with a Key Wrapping
 * Specification answers Not Extractable too). The attribute decides, not where the key lives: a
 * key made non-extractable after creation (Modify/Set Attribute; the rules make it one-way) may
 * still be stored wrapped or extractable in the HSM.
 */
function refuseNotExtractable(ctx: RequestContext, obj: ManagedObject): void {
  const e = attr(obj, Tag.Extractable);
  if (e?.type === 'Boolean' && !e.value) {
    // KMIP 1.4 added "Not Extractable"; older clients get Permission Denied.
    throw new KmipError(atLeast(ctx.version, 1, 4) ? ResultReason.NotExtractable : ResultReason.PermissionDenied, 'The key is not extractable');
  }
}

/**
 * KMIP 1.4 §3.48 / 2.1 §4.42: the value of an object whose Sensitive attribute is True is not
 * returned by Get unless it is wrapped (OASIS TC-SENSITIVE-1-14/-20 step 4: Sensitive; step 5: a
 * wrapped Get succeeds; BL-M-12-21). Not wrapped: no Key Wrapping Specification, and the object
 * is not one returned as registered wrapped. 1.4 added "Sensitive"; older clients get Permission
 * Denied.
 */
function refuseSensitiveInClear(ctx: RequestContext, obj: ManagedObject, req: GetRequest, storedWrapped: boolean): void {
  const s = attr(obj, Tag.Sensitive);
  if (s?.type === 'Boolean' && s.value && req.wrapping === undefined && !storedWrapped) {
    throw new KmipError(atLeast(ctx.version, 1, 4) ? ResultReason.Sensitive : ResultReason.PermissionDenied, 'The key is sensitive: Get it wrapped');
  }
}

/** PKCS#8 of a private key generated by Create Key Pair (crypto/asymmetric.ts); same reasons as exportHsmKey. */
async function exportPrivateKey(ctx: RequestContext, obj: ManagedObject, ref: KeyRef): Promise<Uint8Array> {
  const asym = asymmetricProviderOf(ctx.crypto);
  if (asym === undefined) throw featureNotSupported('The cryptographic module offers no key pairs');
  try {
    return await asym.exportPrivateKey(ref, attrNumber(obj, Tag.CryptographicAlgorithm) === CryptographicAlgorithm.RSA ? 'RSA' : 'EC');
  } catch (e) {
    if (e instanceof CryptoError && e.code === 'NOT_EXTRACTABLE') {
      throw new KmipError(atLeast(ctx.version, 1, 4) ? ResultReason.NotExtractable : ResultReason.PermissionDenied, 'The key is not extractable');
    }
    throw e;
  }
}

/** The stored value bytes (Key Material as stored, Certificate Value, Opaque Data Value). */
async function storedValue(ctx: RequestContext, obj: ManagedObject): Promise<Uint8Array> {
  const c = obj.content;
  if (c?.keyBlock?.form === 'none') return new Uint8Array(0);
  if (c?.clear !== undefined) return c.clear;
  if (c?.secret !== undefined) return unwrapSecret(ctx, c.secret);
  if (c?.privateKey !== undefined) return exportPrivateKey(ctx, obj, c.privateKey);
  if (obj.key !== undefined) return exportHsmKey(ctx, obj);
  throw new KmipError(ResultReason.GeneralFailure, 'The object has no value');
}

/**
 * Whether a key registered wrapped is unwrapped first: for Key Wrap Type Not Wrapped, and for a
 * Key Wrapping Specification, which re-wraps it as asked (OASIS TC-WRAP-3-14 step 5).
 */
function unwrapsRegistered(req: GetRequest): boolean {
  return req.keyWrapType === KeyWrapType.NotWrapped || req.wrapping !== undefined;
}

/** Symmetric Key in Raw or Transparent Symmetric Key format (KMIP 2.1 §2.1.7.1). */
async function symmetricKey(ctx: RequestContext, obj: ManagedObject, req: GetRequest): Promise<TtlvNode> {
  const stored: KeyBlockInfo = obj.content?.keyBlock ?? {
    formatType: KeyFormatType.Raw,
    algorithm: attrNumber(obj, Tag.CryptographicAlgorithm),
    length: attrNumber(obj, Tag.CryptographicLength),
    form: 'bytes',
    keyValueAttributes: [],
  };
  const format = req.keyFormatType ?? stored.formatType;
  if (stored.form === 'keyvalue' && unwrapsRegistered(req)) {
    const plain = await unwrapRegistered(ctx, stored, await storedValue(ctx, obj));
    if (format !== plain.info.formatType && !(SYMMETRIC_FORMATS.has(format) && SYMMETRIC_FORMATS.has(plain.info.formatType))) {
      throw keyFormatTypeNotSupported('Symmetric keys are available as Raw or Transparent Symmetric Key, or as registered');
    }
    const raw = plain.info.formatType === KeyFormatType.TransparentSymmetricKey ? symmetricKeyBytes(plain.info, plain.value) : plain.value;
    return symmetricBlock(obj, plain.info, format, raw);
  }
  if (stored.form === 'keyvalue' || stored.form === 'none') {
    // Registered wrapped, or without a value: returned as registered (KMIP 2.1 §2.1.5).
    if (format !== stored.formatType) throw keyFormatTypeNotSupported('A key registered wrapped is returned as registered');
    return encodeObjectContent({ objectType: obj.objectType, fields: obj.content?.fields ?? [], keyBlock: stored, value: await storedValue(ctx, obj) });
  }
  if (format !== stored.formatType && !(SYMMETRIC_FORMATS.has(format) && SYMMETRIC_FORMATS.has(stored.formatType))) {
    throw keyFormatTypeNotSupported('Symmetric keys are available as Raw or Transparent Symmetric Key, or as registered');
  }
  // A symmetric key's value is always kept as the raw key bytes (Register unpacks a Transparent
  // Symmetric Key), whether in the HSM (`key`) or wrapped (`secret`).
  return symmetricBlock(obj, stored, format, await storedValue(ctx, obj));
}

/** A Symmetric Key structure with raw key bytes in Raw or Transparent Symmetric Key format. */
function symmetricBlock(obj: ManagedObject, stored: KeyBlockInfo, format: number, raw: Uint8Array): TtlvNode {
  const material =
    format === KeyFormatType.TransparentSymmetricKey
      ? new Uint8Array(encodeTtlv(struct(Tag.KeyMaterial, [bytes(Tag.Key, raw)])))
      : raw;
  const keyBlock: KeyBlockInfo = {
    ...stored,
    formatType: format,
    form: format === KeyFormatType.TransparentSymmetricKey ? 'ttlv' : 'bytes',
    algorithm: stored.algorithm ?? attrNumber(obj, Tag.CryptographicAlgorithm),
    length: stored.length ?? attrNumber(obj, Tag.CryptographicLength),
  };
  return encodeObjectContent({ objectType: obj.objectType, fields: obj.content?.fields ?? [], keyBlock, value: material });
}

export default defineOperation<GetRequest, GetResponse>({
  operation: Operation.Get,
  decode(payload: Fields | undefined) {
    return {
      uid: payload?.text(Tag.UniqueIdentifier),
      keyFormatType: payload?.enum(Tag.KeyFormatType),
      keyWrapType: payload?.enum(Tag.KeyWrapType),
      keyCompressionType: payload?.enum(Tag.KeyCompressionType),
      wrapping: decodeWrapping(payload?.struct(Tag.KeyWrappingSpecification)),
    };
  },
  async handle(ctx, req) {
    // An archived object is not returned until it is recovered (KMIP 1.4 §4.22: Object Archived).
    const obj = await loadCurrent(ctx, req.uid);
    refusePadExport(obj);
    refuseNotExtractable(ctx, obj);
    const kb = obj.content?.keyBlock;
    refuseSensitiveInClear(ctx, obj, req, kb?.form === 'keyvalue' && req.keyWrapType !== KeyWrapType.NotWrapped);
    // Public and Private Keys held in the clear convert between formats (objects/key-conversion.ts).
    const convertible =
      (obj.objectType === ObjectType.PublicKey || obj.objectType === ObjectType.PrivateKey) && (kb?.form === 'bytes' || kb?.form === 'ttlv');
    // Without a requested Key Format Type a key is served in its Key Format Type attribute (2.1
    // §4.26): a generated RSA pair is stored PKCS#8 / X.509 and served PKCS#1 (objects/pair-formats.ts).
    if (convertible && req.keyFormatType === undefined) {
      const assigned = attrNumber(obj, Tag.KeyFormatType);
      if (assigned !== undefined && assigned !== kb?.formatType) req = { ...req, keyFormatType: assigned };
    }
    if (!convertible && req.keyCompressionType !== undefined && req.keyCompressionType !== kb?.compressionType) {
      throw new KmipError(ResultReason.KeyCompressionTypeNotSupported, 'Key Compression Type applies to EC public and private keys only');
    }
    let object: TtlvNode;
    if (obj.objectType === ObjectType.Template) {
      // KMIP 1.4 §2.2.6: a Template's value is its attribute list (objects/template.ts).
      if (req.keyFormatType !== undefined) throw keyFormatTypeNotSupported('Key Format Type does not apply to a Template');
      object = encodeTemplate(ctx, obj);
    } else if (req.keyFormatType === KeyFormatType.PKCS_12 && obj.objectType === ObjectType.PrivateKey && kb?.formatType !== KeyFormatType.PKCS_12) {
      // The key and its certificate chain under its password (objects/pkcs12.ts).
      object = await pkcs12PrivateKey(ctx, obj, (o) => storedValue(ctx, o));
    } else if (convertible && kb !== undefined && obj.content !== undefined && needsConversion(kb, req.keyFormatType, req.keyCompressionType)) {
      // Public / Private Key in another Key Format Type or Key Compression Type (objects/key-conversion.ts).
      const stored = await storedValue(ctx, obj);
      try {
        const out = convertAsymmetric(ctx.version, obj.objectType, kb, stored, { ...req, algorithm: attrNumber(obj, Tag.CryptographicAlgorithm) });
        object = encodeObjectContent({ objectType: obj.objectType, fields: obj.content.fields, keyBlock: out.info, value: out.value });
      } finally {
        if (obj.objectType === ObjectType.PrivateKey) stored.fill(0);
      }
    } else if (obj.objectType === ObjectType.SymmetricKey) {
      object = await symmetricKey(ctx, obj, req);
    } else {
      const c = obj.content;
      if (c === undefined) throw new KmipError(ResultReason.GeneralFailure, 'The object has no value');
      if (req.keyFormatType !== undefined && req.keyFormatType !== kb?.formatType) {
        throw keyFormatTypeNotSupported(
          kb === undefined ? 'Key Format Type does not apply to this object' : 'Key format conversion is not supported for this object',
        );
      }
      let value = await storedValue(ctx, obj);
      let keyBlock = kb;
      if (kb?.form === 'keyvalue' && unwrapsRegistered(req)) {
        const plain = await unwrapRegistered(ctx, kb, value);
        keyBlock = plain.info;
        value = plain.value;
      }
      object = encodeObjectContent({ objectType: obj.objectType, fields: c.fields, ...(keyBlock ? { keyBlock } : {}), value });
    }
    if (req.wrapping !== undefined) object = await wrapObject(ctx, object, req.wrapping);
    if (req.keepFresh !== true) markServed(ctx, obj);
    ctx.idPlaceholder = obj.uid;
    return { obj, object };
  },
  encode(res) {
    return [enm(Tag.ObjectType, res.obj.objectType), text(Tag.UniqueIdentifier, res.obj.uid), res.object];
  },
  uids: (req, res) => (res ? [res.obj.uid] : req.uid ? [req.uid] : []),
});
