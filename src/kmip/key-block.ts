/**
 * Managed object contents (KMIP 1.4 §2.2, 2.1 §2.2) and the Key Block inside them (1.4 §2.1.3,
 * 2.1 §2.1.3): decode from a request payload (Register) and encode back into a response (Get).
 *
 * The model splits an object into
 * - `fields`: the type-specific, non-secret children (Secret Data Type, Certificate Type, Opaque
 *   Data Type, Split Key Parts / Identifier / Threshold / Method / Prime Field Size, PGP Key Version),
 *   kept verbatim;
 * - a `KeyBlock` (format, compression, algorithm, length) whose Key Material is either a
 *   ByteString (Raw, Opaque, PKCS#1, PKCS#8, X.509, ...) or a Structure (Transparent formats);
 * - the value bytes: the Key Material (a Structure is carried as its TTLV encoding), the
 *   Certificate Value or the Opaque Data Value. The caller decides where those bytes may be kept.
 */
import { bytes, enm, int, struct } from '../ttlv/build.js';
import { decodeTtlv } from '../ttlv/decode.js';
import { encodeTtlv } from '../ttlv/encode.js';
import type { TtlvNode } from '../ttlv/types.js';
import { KmipError, featureNotSupported, invalidField, missingData } from './errors.js';
import { Fields, tagLabel } from './fields.js';
import { KeyFormatType, ObjectType, ResultReason, Tag } from './generated/index.js';

/** The object structure's tag for each Object Type (KMIP 2.1 §2.2). */
export const OBJECT_TAG: Readonly<Record<number, number>> = {
  [ObjectType.Certificate]: Tag.Certificate,
  [ObjectType.SymmetricKey]: Tag.SymmetricKey,
  [ObjectType.PublicKey]: Tag.PublicKey,
  [ObjectType.PrivateKey]: Tag.PrivateKey,
  [ObjectType.SplitKey]: Tag.SplitKey,
  [ObjectType.Template]: Tag.Template,
  [ObjectType.SecretData]: Tag.SecretData,
  [ObjectType.OpaqueObject]: Tag.OpaqueObject,
  [ObjectType.PGPKey]: Tag.PGPKey,
  [ObjectType.CertificateRequest]: Tag.CertificateRequest,
};

/** Object types whose value is a Key Block. */
const KEY_BLOCK_TYPES = new Set<number>([
  ObjectType.SymmetricKey,
  ObjectType.PublicKey,
  ObjectType.PrivateKey,
  ObjectType.SplitKey,
  ObjectType.SecretData,
  ObjectType.PGPKey,
]);

/** Object types whose value is secret (kept only wrapped under the HSM master key). */
export function isSecretType(objectType: number): boolean {
  return objectType !== ObjectType.PublicKey && objectType !== ObjectType.Certificate;
}

/** Key Format Types whose Key Material is a Structure (the Transparent formats, 2.1 §2.1.7). */
export function isTransparentFormat(format: number): boolean {
  return format >= KeyFormatType.TransparentSymmetricKey && format <= KeyFormatType.TransparentECPublicKey;
}

/** Key Format Types a Symmetric Key may be registered in (2.1 §2.1.3 Key Format Type table). */
const SYMMETRIC_FORMATS = new Set<number>([KeyFormatType.Raw, KeyFormatType.Opaque, KeyFormatType.TransparentSymmetricKey]);

/** The Key Block's metadata; the Key Material travels separately as bytes. */
export interface KeyBlockInfo {
  readonly formatType: number;
  readonly compressionType?: number;
  readonly algorithm?: number;
  readonly length?: number;
  /**
   * 'bytes': the value is the Key Material Byte String; 'ttlv': the TTLV encoding of a Key Material
   * Structure; 'keyvalue': the TTLV encoding of the whole Key Value as registered wrapped;
   * 'none': no Key Value (a metadata-only object whose value lives elsewhere, 1.4 §3.45 Key Value
   * Location; OASIS TC-MDO-1, TC-OTP-SETUP-2).
   */
  readonly form: 'bytes' | 'ttlv' | 'keyvalue' | 'none';
  /** Key Wrapping Data of a key registered wrapped (BYOK), returned as registered. */
  readonly wrappingData?: TtlvNode;
  /** 1.x attributes carried inside the Key Value (1.4 §2.1.4), verbatim. */
  readonly keyValueAttributes: readonly TtlvNode[];
}

export interface ObjectContent {
  readonly objectType: number;
  /** Type-specific, non-secret children in spec order (see the module comment). */
  readonly fields: readonly TtlvNode[];
  readonly keyBlock?: KeyBlockInfo;
  /** Key Material bytes, Certificate Value or Opaque Data Value. */
  readonly value: Uint8Array;
}

function decodeKeyBlock(node: TtlvNode): { info: KeyBlockInfo; value: Uint8Array } {
  const f = new Fields(node, 'Key Block');
  const formatType = f.req(Tag.KeyFormatType, 'Enumeration').value;
  const wrappingData = f.opt(Tag.KeyWrappingData, 'Structure');
  if (wrappingData !== undefined) {
    // KMIP 2.1 §2.1.5: a wrapped key is kept as registered, Key Value (a Byte String with TTLV
    // Encoding, else a Structure whose Key Material is wrapped) and Key Wrapping Data alike.
    new Fields(wrappingData, 'Key Wrapping Data').req(Tag.WrappingMethod, 'Enumeration');
    const kvs = f.all(Tag.KeyValue);
    if (kvs.length !== 1) throw kvs.length === 0 ? missingData('Key Block: Key Value is required') : invalidField('Key Block: Key Value may appear only once');
    const kvNode = kvs[0]!;
    if (kvNode.type !== 'ByteString' && kvNode.type !== 'Structure') throw invalidField('Key Value must be a Byte String or a Structure');
    const value = new Uint8Array(encodeTtlv(kvNode));
    const info: KeyBlockInfo = {
      formatType,
      compressionType: f.enum(Tag.KeyCompressionType),
      algorithm: f.enum(Tag.CryptographicAlgorithm),
      length: f.int(Tag.CryptographicLength),
      form: 'keyvalue',
      keyValueAttributes: [],
      wrappingData,
    };
    return { info, value };
  }
  const kv = f.all(Tag.KeyValue);
  if (kv.length === 0) {
    const info: KeyBlockInfo = {
      formatType,
      compressionType: f.enum(Tag.KeyCompressionType),
      algorithm: f.enum(Tag.CryptographicAlgorithm),
      length: f.int(Tag.CryptographicLength),
      form: 'none',
      keyValueAttributes: [],
    };
    return { info, value: new Uint8Array(0) };
  }
  if (kv.length !== 1) throw invalidField('Key Block: Key Value may appear only once');
  if (kv[0]!.type === 'ByteString' && formatType === KeyFormatType.PKCS_12) {
    // A PKCS#12 file protects itself: KMIP 1.4 clients send it as the Key Value Byte String
    // without Key Wrapping Data (OASIS TC-PKCS12-2-14). Kept as its bytes.
    const info: KeyBlockInfo = { formatType, form: 'bytes', keyValueAttributes: [] };
    return { info, value: kv[0]!.value };
  }
  const kvf = new Fields(kv[0]!, 'Key Value');
  const materials = kvf.all(Tag.KeyMaterial);
  if (materials.length !== 1) {
    throw materials.length === 0 ? missingData('Key Value: Key Material is required') : invalidField('Key Value: Key Material may appear only once');
  }
  const material = materials[0]!;
  const transparent = isTransparentFormat(formatType);
  if (transparent && material.type !== 'Structure') throw invalidField('Key Material of a Transparent Key Format Type must be a Structure');
  if (!transparent && material.type !== 'ByteString') throw invalidField('Key Material must be a Byte String for this Key Format Type');
  const value = material.type === 'ByteString' ? material.value : new Uint8Array(encodeTtlv(material));
  const info: KeyBlockInfo = {
    formatType,
    compressionType: f.enum(Tag.KeyCompressionType),
    algorithm: f.enum(Tag.CryptographicAlgorithm),
    length: f.int(Tag.CryptographicLength),
    form: transparent ? 'ttlv' : 'bytes',
    keyValueAttributes: kvf.all(Tag.Attribute),
  };
  return { info, value };
}

/**
 * Decodes the object a Register request carries (KMIP 1.4 §4.3, 2.1 §6.1.43). Errors: Templates
 * are Feature Not Supported (deprecated in 1.3, removed in 2.0); a missing object or field is
 * Missing Data / Invalid Field; a Key Format Type that cannot hold the object type is Invalid Field.
 */
export function decodeObjectContent(objectType: number, payload: Fields): ObjectContent {
  if (objectType === ObjectType.Template) throw featureNotSupported('Templates are not supported');
  const tag = OBJECT_TAG[objectType];
  if (tag === undefined || objectType === ObjectType.CertificateRequest) {
    throw invalidField('Object Type cannot be registered');
  }
  const node = payload.opt(tag, 'Structure');
  if (node === undefined) throw missingData(`Register: ${tagLabel(tag)} is required for this Object Type`);
  const f = new Fields(node, tagLabel(tag));
  const keep = (t: number): TtlvNode[] => f.all(t);
  switch (objectType) {
    case ObjectType.Certificate: {
      f.req(Tag.CertificateType, 'Enumeration');
      const value = f.req(Tag.CertificateValue, 'ByteString').value;
      return { objectType, fields: keep(Tag.CertificateType), value };
    }
    case ObjectType.OpaqueObject: {
      f.req(Tag.OpaqueDataType, 'Enumeration');
      const value = f.req(Tag.OpaqueDataValue, 'ByteString').value;
      return { objectType, fields: keep(Tag.OpaqueDataType), value };
    }
    default:
      break;
  }
  let fields: TtlvNode[] = [];
  if (objectType === ObjectType.SecretData) {
    f.req(Tag.SecretDataType, 'Enumeration');
    fields = keep(Tag.SecretDataType);
  } else if (objectType === ObjectType.SplitKey) {
    // KMIP 2.1 §2.2.5.
    f.req(Tag.SplitKeyParts, 'Integer');
    f.req(Tag.KeyPartIdentifier, 'Integer');
    f.req(Tag.SplitKeyThreshold, 'Integer');
    f.req(Tag.SplitKeyMethod, 'Enumeration');
    f.opt(Tag.PrimeFieldSize, 'BigInteger');
    fields = [Tag.SplitKeyParts, Tag.KeyPartIdentifier, Tag.SplitKeyThreshold, Tag.SplitKeyMethod, Tag.PrimeFieldSize].flatMap(keep);
  } else if (objectType === ObjectType.PGPKey) {
    f.req(Tag.PGPKeyVersion, 'Integer');
    fields = keep(Tag.PGPKeyVersion);
  }
  const kb = f.opt(Tag.KeyBlock, 'Structure');
  if (kb === undefined) throw missingData(`${tagLabel(tag)}: Key Block is required`);
  const { info, value } = decodeKeyBlock(kb);
  if (objectType === ObjectType.SymmetricKey && !SYMMETRIC_FORMATS.has(info.formatType)) {
    throw invalidField('Key Format Type does not apply to a Symmetric Key');
  }
  if (objectType !== ObjectType.SymmetricKey && info.formatType === KeyFormatType.TransparentSymmetricKey) {
    throw invalidField('Transparent Symmetric Key format applies only to Symmetric Keys');
  }
  if (value.length === 0 && info.form !== 'none') throw invalidField('Key Material is empty');
  if (info.form === 'keyvalue' && objectType === ObjectType.SymmetricKey && info.algorithm === undefined) {
    throw missingData('Cryptographic Algorithm is required for a Symmetric Key');
  }
  return { objectType, fields, keyBlock: info, value };
}

/** The Key Material node for stored bytes. */
export function keyMaterialNode(info: Pick<KeyBlockInfo, 'form'>, value: Uint8Array): TtlvNode {
  if (info.form === 'bytes') return bytes(Tag.KeyMaterial, value);
  const node = decodeTtlv(Buffer.from(value));
  if (node.tag !== Tag.KeyMaterial) throw new KmipError(ResultReason.GeneralFailure, 'stored key material is corrupt');
  return node;
}

/** Encodes the object structure (e.g. `Secret Data { Secret Data Type, Key Block }`) for Get. */
export function encodeObjectContent(c: ObjectContent): TtlvNode {
  const tag = OBJECT_TAG[c.objectType];
  if (tag === undefined) throw new KmipError(ResultReason.GeneralFailure, 'unknown stored object type');
  if (c.objectType === ObjectType.Certificate) return struct(tag, [...c.fields, bytes(Tag.CertificateValue, c.value)]);
  if (c.objectType === ObjectType.OpaqueObject) return struct(tag, [...c.fields, bytes(Tag.OpaqueDataValue, c.value)]);
  const kb = c.keyBlock;
  if (kb === undefined || !KEY_BLOCK_TYPES.has(c.objectType)) throw new KmipError(ResultReason.GeneralFailure, 'stored object has no key block');
  const block: TtlvNode[] = [enm(Tag.KeyFormatType, kb.formatType)];
  if (kb.compressionType !== undefined) block.push(enm(Tag.KeyCompressionType, kb.compressionType));
  if (kb.form === 'none') {
    // no Key Value
  } else if (kb.form === 'keyvalue') block.push({ ...decodeTtlv(Buffer.from(c.value)), tag: Tag.KeyValue } as TtlvNode);
  else block.push(struct(Tag.KeyValue, [keyMaterialNode(kb, c.value), ...kb.keyValueAttributes]));
  if (kb.algorithm !== undefined) block.push(enm(Tag.CryptographicAlgorithm, kb.algorithm));
  if (kb.length !== undefined) block.push(int(Tag.CryptographicLength, kb.length));
  if (kb.wrappingData !== undefined) block.push(kb.wrappingData);
  return struct(tag, [...c.fields, struct(Tag.KeyBlock, block)]);
}

/** Raw symmetric key bytes from registered material: Raw/Opaque as is, Transparent Symmetric Key's Key. */
export function symmetricKeyBytes(info: KeyBlockInfo, value: Uint8Array): Uint8Array {
  if (info.form === 'keyvalue' || info.form === 'none') throw new KmipError(ResultReason.GeneralFailure, 'no plaintext key material');
  if (info.formatType !== KeyFormatType.TransparentSymmetricKey) return value;
  const f = new Fields(keyMaterialNode(info, value), 'Key Material');
  return f.req(Tag.Key, 'ByteString').value;
}
