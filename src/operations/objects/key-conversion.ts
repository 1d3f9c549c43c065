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
import { KmipError, keyFormatTypeNotSupported } from '../../kmip/errors.js';
import { ObjectType, ResultReason, isEnumValueInVersion, kmipVersionOf } from '../../kmip/generated/index.js';
import { type KeyBlockInfo, keyMaterialNode } from '../../kmip/key-block.js';
import { convertKey } from '../../kmip/key-formats.js';
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
