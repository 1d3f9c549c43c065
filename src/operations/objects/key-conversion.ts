/**
 * Get of a Public or Private Key in a requested Key Format Type and Key Compression Type (KMIP 1.4
 * §4.11, 2.1 §6.1.22), on top of the pure conversions in src/kmip/key-formats.ts.
 *
 * - No Key Format Type and no Key Compression Type, or the ones the key is held in: the key as
 *   registered (or, for Create Key Pair keys, as generated: PKCS#8 / X.509), byte for byte.
 * - Otherwise the key is converted; a Key Format Type the client's protocol version does not
 *   define (Transparent EC before 1.3, Transparent ECDSA/ECDH/ECMQV from 2.0) is Key Format Type
 *   Not Supported, as is a format that does not fit the key (PKCS#1 for an EC key, ...).
 * - A key whose registered material cannot be read (e.g. an encrypted PKCS#8, a Transparent DSA
 *   key) is available only as registered: Key Format Type Not Supported.
 * The Key Block keeps its Cryptographic Algorithm and Length; Key Compression Type is echoed when
 * the client asked for one.
 */
import { KmipError, invalidField, keyFormatTypeNotSupported } from '../../kmip/errors.js';
import { KeyFormatType, ObjectType, ResultReason, isEnumValueInVersion, kmipVersionOf } from '../../kmip/generated/index.js';
import { type KeyBlockInfo, keyMaterialNode } from '../../kmip/key-block.js';
import { CONVERTIBLE_FORMATS, algorithmFits, convertKey, importKey } from '../../kmip/key-formats.js';
import type { ProtocolVersion } from '../../kmip/protocol-version.js';
import { encodeTtlv } from '../../ttlv/encode.js';

/** True when the request asks for something other than the key as held. */
export function needsConversion(kb: KeyBlockInfo, keyFormatType: number | undefined, keyCompressionType: number | undefined): boolean {
  return (keyFormatType !== undefined && keyFormatType !== kb.formatType) || (keyCompressionType !== undefined && keyCompressionType !== kb.compressionType);
}

/**
 * The Key Block info and value of a Public/Private Key converted as requested. `value` is the
 * stored value (Key Material bytes, or the TTLV encoding of a Transparent Key Material).
 */
export function convertAsymmetric(
  version: ProtocolVersion,
  objectType: number,
  kb: KeyBlockInfo,
  value: Uint8Array,
  req: { readonly keyFormatType?: number; readonly keyCompressionType?: number; readonly algorithm?: number },
): { info: KeyBlockInfo; value: Uint8Array } {
  const format = req.keyFormatType ?? kb.formatType;
  const v = kmipVersionOf(version.major, version.minor);
  if (v !== undefined && !isEnumValueInVersion('KeyFormatType', format, v)) {
    throw keyFormatTypeNotSupported(`That Key Format Type is not defined in KMIP ${v}`);
  }
  if (kb.form !== 'bytes' && kb.form !== 'ttlv') throw keyFormatTypeNotSupported('A key registered wrapped or without a value is returned as registered');
  const half = objectType === ObjectType.PublicKey ? 'public' : 'private';
  let material;
  try {
    material = convertKey(half, { format: kb.formatType, material: keyMaterialNode(kb, value), algorithm: kb.algorithm ?? req.algorithm }, { format, compression: req.keyCompressionType });
  } catch (e) {
    if (e instanceof KmipError && e.reason === ResultReason.InvalidField) {
      // The stored material does not parse in its registered format: no conversion possible.
      throw keyFormatTypeNotSupported(`The key is available only as registered: ${e.message}`);
    }
    throw e;
  }
  const out = material.type === 'ByteString' ? material.value : new Uint8Array(encodeTtlv(material));
  const info: KeyBlockInfo = {
    ...kb,
    formatType: format,
    compressionType: req.keyCompressionType ?? (format === kb.formatType ? kb.compressionType : undefined),
    form: material.type === 'ByteString' ? 'bytes' : 'ttlv',
  };
  return { info, value: out };
}

/**
 * Register's check of a Public or Private Key (KMIP 1.4 §4.3, 2.1 §6.1.43). The key is stored as
 * registered, so Get without a Key Format Type returns it byte for byte; this only refuses what
 * could never be used or converted:
 * - a Transparent RSA or EC key whose fields are missing or do not form a key: Invalid Field /
 *   Missing Data (structures we cannot read, e.g. Transparent DSA or an unknown curve, are kept);
 * - a key the Cryptographic Algorithm does not describe (an EC key registered as RSA): Invalid Field.
 * DER material that does not parse is kept as registered (OASIS TC-ECC-2 registers an encrypted
 * PKCS#8 and expects Success); Get then offers it only in that format.
 */
export function checkRegisteredKey(objectType: number, kb: KeyBlockInfo, value: Uint8Array, algorithm: number | undefined): void {
  if (kb.form !== 'bytes' && kb.form !== 'ttlv') return;
  const half = objectType === ObjectType.PublicKey ? 'public' : 'private';
  if (!CONVERTIBLE_FORMATS[half].has(kb.formatType)) return;
  let key;
  try {
    key = importKey(half, kb.formatType, keyMaterialNode(kb, value), algorithm);
  } catch (e) {
    const structural = e instanceof KmipError && (e.reason === ResultReason.InvalidField || e.reason === ResultReason.MissingData);
    if (kb.form === 'ttlv' && structural) throw e;
    return;
  }
  if (algorithm !== undefined && !algorithmFits(algorithm, key)) throw invalidField('The Cryptographic Algorithm does not describe the key material');
}

/**
 * A registered Public or Private Key as DER for the signature code: X.509 SubjectPublicKeyInfo or
 * PKCS#8, converted from whatever format it was registered in (Transparent RSA / EC, SEC1, ...).
 * Key Format Type Not Supported when the material cannot be read.
 */
export function registeredKeyDer(kb: KeyBlockInfo, value: Uint8Array, half: 'private' | 'public', algorithm?: number): Uint8Array {
  const want = half === 'private' ? KeyFormatType.PKCS_8 : KeyFormatType.X_509;
  if (kb.form !== 'bytes' && kb.form !== 'ttlv') throw keyFormatTypeNotSupported('The key has no usable value');
  if (kb.formatType === want) return value;
  let m;
  try {
    m = convertKey(half, { format: kb.formatType, material: keyMaterialNode(kb, value), algorithm: kb.algorithm ?? algorithm }, { format: want });
  } catch (e) {
    if (e instanceof KmipError && e.reason === ResultReason.InvalidField) throw keyFormatTypeNotSupported(`The key cannot be used: ${e.message}`);
    throw e;
  }
  if (m.type !== 'ByteString') throw new KmipError(ResultReason.GeneralFailure, 'unexpected key encoding');
  return m.value;
}
