/**
 * Get. KMIP 1.4 §4.11, 2.1 §6.1.22. Returns the object's value in its response structure:
 * - Symmetric Key: the Key Format Type it was registered in (Raw for created keys), or the one
 *   requested when the conversion is cheap: Raw <-> Transparent Symmetric Key;
 * - every other object type: as registered. A requested Key Format Type other than the stored one
 *   is Key Format Type Not Supported (we do not convert between PKCS#1, PKCS#8, Transparent, ...),
 *   and so is any Key Format Type for an object without a Key Block (Certificate, Opaque Object).
 * Wrapping on Get (Key Wrapping Specification) is Feature Not Supported; a Key Compression Type
 * other than the stored one is Key Compression Type Not Supported.
 */
import { CryptoError } from '../crypto/provider.js';
import type { Fields } from '../kmip/fields.js';
import { KmipError, featureNotSupported, keyFormatTypeNotSupported } from '../kmip/errors.js';
import { KeyFormatType, ObjectType, Operation, ResultReason, Tag } from '../kmip/generated/index.js';
import { type KeyBlockInfo, encodeObjectContent } from '../kmip/key-block.js';
import { atLeast } from '../kmip/protocol-version.js';
import { struct, bytes, enm, text } from '../ttlv/build.js';
import { encodeTtlv } from '../ttlv/encode.js';
import type { TtlvNode } from '../ttlv/types.js';
import { unwrapSecret } from './objects/material.js';
import { type ManagedObject, attrNumber, loadObject, resolveUid } from './objects.js';
import { type RequestContext, defineOperation } from './types.js';

interface GetRequest {
  readonly uid: string | undefined;
  readonly keyFormatType?: number;
  readonly wrapping: boolean;
  readonly keyCompressionType?: number;
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
    return await ctx.crypto.exportKeyMaterial(key.ref, key.algorithm);
  } catch (e) {
    if (e instanceof CryptoError && e.code === 'NOT_EXTRACTABLE') {
      // KMIP 1.4 added "Not Extractable"; older clients get Permission Denied.
      throw new KmipError(atLeast(ctx.version, 1, 4) ? ResultReason.NotExtractable : ResultReason.PermissionDenied, 'The key is not extractable');
    }
    throw e;
  }
}

/** The stored value bytes (Key Material as stored, Certificate Value, Opaque Data Value). */
async function storedValue(ctx: RequestContext, obj: ManagedObject): Promise<Uint8Array> {
  const c = obj.content;
  if (c?.clear !== undefined) return c.clear;
  if (c?.secret !== undefined) return unwrapSecret(ctx, c.secret);
  if (obj.key !== undefined) return exportHsmKey(ctx, obj);
  throw new KmipError(ResultReason.GeneralFailure, 'The object has no value');
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
  if (format !== stored.formatType && !(SYMMETRIC_FORMATS.has(format) && SYMMETRIC_FORMATS.has(stored.formatType))) {
    throw keyFormatTypeNotSupported('Symmetric keys are available as Raw or Transparent Symmetric Key, or as registered');
  }
  // A symmetric key's value is always kept as the raw key bytes (Register unpacks a Transparent
  // Symmetric Key), whether in the HSM (`key`) or wrapped (`secret`).
  const raw = await storedValue(ctx, obj);
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
      keyCompressionType: payload?.enum(Tag.KeyCompressionType),
      wrapping: payload?.has(Tag.KeyWrappingSpecification) ?? false,
    };
  },
  async handle(ctx, req) {
    const obj = await loadObject(ctx, resolveUid(ctx, req.uid));
    if (req.wrapping) throw featureNotSupported('Key Wrapping Specification is not supported yet');
    const kb = obj.content?.keyBlock;
    if (req.keyCompressionType !== undefined && req.keyCompressionType !== kb?.compressionType) {
      throw new KmipError(ResultReason.KeyCompressionTypeNotSupported, 'Key compression conversion is not supported');
    }
    let object: TtlvNode;
    if (obj.objectType === ObjectType.SymmetricKey) {
      object = await symmetricKey(ctx, obj, req);
    } else {
      const c = obj.content;
      if (c === undefined) throw new KmipError(ResultReason.GeneralFailure, 'The object has no value');
      if (req.keyFormatType !== undefined && req.keyFormatType !== kb?.formatType) {
        throw keyFormatTypeNotSupported(
          kb === undefined ? 'Key Format Type does not apply to this object' : 'Key format conversion is not supported for this object',
        );
      }
      object = encodeObjectContent({ objectType: obj.objectType, fields: c.fields, ...(kb ? { keyBlock: kb } : {}), value: await storedValue(ctx, obj) });
    }
    ctx.idPlaceholder = obj.uid;
    return { obj, object };
  },
  encode(res) {
    return [enm(Tag.ObjectType, res.obj.objectType), text(Tag.UniqueIdentifier, res.obj.uid), res.object];
  },
  uids: (req, res) => (res ? [res.obj.uid] : req.uid ? [req.uid] : []),
});
