/**
 * Get (symmetric keys). KMIP 1.4 §4.11, 2.1 §6.1.22. Returns the key in the requested Key Format
 * Type: Raw (the default for symmetric keys) or Transparent Symmetric Key. Wrapping on Get and
 * other object types come with the lifecycle issue.
 */
import type { Fields } from '../kmip/fields.js';
import { KmipError, featureNotSupported, keyFormatTypeNotSupported } from '../kmip/errors.js';
import { KeyFormatType, ObjectType, Operation, ResultReason, Tag } from '../kmip/generated/index.js';
import { atLeast } from '../kmip/protocol-version.js';
import { CryptoError } from '../crypto/provider.js';
import { bytes, enm, int, struct, text } from '../ttlv/build.js';
import type { TtlvNode } from '../ttlv/types.js';
import { type ManagedObject, attrNumber, loadObject, resolveUid } from './objects.js';
import { defineOperation } from './types.js';

interface GetRequest {
  readonly uid: string | undefined;
  readonly keyFormatType?: number;
  readonly wrapping: boolean;
  readonly keyCompressionType?: number;
}

interface GetResponse {
  readonly obj: ManagedObject;
  readonly format: number;
  readonly material: Uint8Array;
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
    if (obj.objectType !== ObjectType.SymmetricKey || obj.key === undefined) {
      throw featureNotSupported('Get supports Symmetric Key objects');
    }
    if (req.wrapping) throw featureNotSupported('Key Wrapping Specification is not supported yet');
    if (req.keyCompressionType !== undefined) {
      throw new KmipError(ResultReason.KeyCompressionTypeNotSupported, 'Key compression does not apply to symmetric keys');
    }
    const format = req.keyFormatType ?? KeyFormatType.Raw;
    if (format !== KeyFormatType.Raw && format !== KeyFormatType.TransparentSymmetricKey) {
      throw keyFormatTypeNotSupported('Symmetric keys are available as Raw or Transparent Symmetric Key');
    }
    let material: Uint8Array;
    try {
      material = await ctx.crypto.exportKeyMaterial(obj.key.ref, obj.key.algorithm);
    } catch (e) {
      if (e instanceof CryptoError && e.code === 'NOT_EXTRACTABLE') {
        // KMIP 1.4 added "Not Extractable"; older clients get Permission Denied.
        throw new KmipError(
          atLeast(ctx.version, 1, 4) ? ResultReason.NotExtractable : ResultReason.PermissionDenied,
          'The key is not extractable',
        );
      }
      throw e;
    }
    ctx.idPlaceholder = obj.uid;
    return { obj, format, material };
  },
  encode(res) {
    const keyMaterial: TtlvNode =
      res.format === KeyFormatType.TransparentSymmetricKey
        ? struct(Tag.KeyMaterial, [bytes(Tag.Key, res.material)])
        : bytes(Tag.KeyMaterial, res.material);
    const block: TtlvNode[] = [enm(Tag.KeyFormatType, res.format), struct(Tag.KeyValue, [keyMaterial])];
    const alg = attrNumber(res.obj, Tag.CryptographicAlgorithm);
    const len = attrNumber(res.obj, Tag.CryptographicLength);
    if (alg !== undefined) block.push(enm(Tag.CryptographicAlgorithm, alg));
    if (len !== undefined) block.push(int(Tag.CryptographicLength, len));
    return [
      enm(Tag.ObjectType, res.obj.objectType),
      text(Tag.UniqueIdentifier, res.obj.uid),
      struct(Tag.SymmetricKey, [struct(Tag.KeyBlock, block)]),
    ];
  },
  uids: (req, res) => (res ? [res.obj.uid] : req.uid ? [req.uid] : []),
});
