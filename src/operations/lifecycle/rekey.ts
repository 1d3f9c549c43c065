/**
 * Re-key (symmetric keys). KMIP 1.4 §4.4, 2.1 §6.1.45. A new key is generated in the HSM with the
 * existing key's algorithm and length and a new Unique Identifier; the existing key keeps its
 * identifier and its State. Attributes follow the spec's Re-key table:
 * - copied from the existing key: everything the client set (Cryptographic Usage Mask, custom /
 *   vendor attributes, Object Group, Contact Information, ...), Links other than the replacement
 *   links;
 * - Name: the existing key's names move to the new key (they are removed from the existing one),
 *   plus any Name in the request (OASIS TC-REKEY-1-14);
 * - Initial Date and Last Change Date: now; Digest, Fresh, Lease Time, Destroy / Compromise /
 *   Archive dates, Revocation Reason: not copied;
 * - Usage Limits: Total copied, Count reset to the Total;
 * - dates: without Offset, Activation, Process Start, Protect Stop and Deactivation Date are copied;
 *   with Offset, Activation Date = Initial Date + Offset and each other date keeps its distance from
 *   the Activation Date (AT2 = IT2 + Offset, CT2 = AT2 + (CT1 - AT1), ...);
 * - State: Pre-Active, or what the new dates make it (see state.ts);
 * - Link: Replaced Object on the new key -> existing key; Replacement Object on the existing key
 *   -> new key.
 * Attributes in the request (Template-Attribute / Attributes) override the copied ones; those only
 * the server sets are refused as in Create, and the algorithm and length cannot change.
 */
import { decodeRequestAttributes } from '../../kmip/attributes.js';
import { KmipError, featureNotSupported, invalidField } from '../../kmip/errors.js';
import { KeyFormatType, ObjectType, Operation, ResultReason, Tag } from '../../kmip/generated/index.js';
import { enm, text } from '../../ttlv/build.js';
import type { Attribute } from '../../kmip/attributes.js';
import { attrNumber, newUid, saveObject } from '../objects.js';
import { defineOperation } from '../types.js';
import { loadCurrent } from './state.js';
import { checkRequestAttributes, retired, successor } from './successor.js';

interface ReKeyRequest {
  readonly uid: string | undefined;
  readonly offset: number | undefined;
  readonly attributes: Attribute[];
}

export default defineOperation<ReKeyRequest, { uid: string }>({
  operation: Operation.ReKey,
  decode(payload) {
    return {
      uid: payload?.text(Tag.UniqueIdentifier),
      offset: payload?.opt(Tag.Offset, 'Interval')?.value,
      attributes: payload === undefined ? [] : decodeRequestAttributes(payload),
    };
  },
  async handle(ctx, req) {
    checkRequestAttributes(ctx.version, req.attributes);
    const old = await loadCurrent(ctx, req.uid);
    if (old.objectType !== ObjectType.SymmetricKey) {
      // Re-key Key Pair re-keys asymmetric keys (1.4 §4.5); 1.x gets Invalid Field from the batch layer.
      throw new KmipError(ResultReason.InvalidObjectType, 'Re-key applies to symmetric keys');
    }
    if (old.key === undefined) throw featureNotSupported('Re-key needs a key generated or held by the HSM');
    const length = attrNumber(old, Tag.CryptographicLength);
    if (length === undefined) throw featureNotSupported('The existing key has no Cryptographic Length');
    for (const tag of [Tag.CryptographicAlgorithm, Tag.CryptographicLength]) {
      const want = attrNumber({ attributes: req.attributes }, tag);
      if (want !== undefined && want !== attrNumber(old, tag)) throw invalidField('Re-key keeps the algorithm and length of the existing key');
    }

    const ref = await ctx.crypto.generateSymmetricKey({
      algorithm: old.key.algorithm,
      lengthBits: length,
      extractable: old.key.ref.kind !== 'resident',
    });
    const uid = newUid(ctx.now);
    const fresh = successor(
      old,
      { uid, owner: old.owner, objectType: ObjectType.SymmetricKey, key: { ref, algorithm: old.key.algorithm } },
      { offset: req.offset, now: ctx.now, version: ctx.version, extra: [enm(Tag.KeyFormatType, KeyFormatType.Raw)], overrides: req.attributes },
    );
    saveObject(ctx, fresh);
    saveObject(ctx, retired(old, uid, ctx.now));
    ctx.idPlaceholder = uid;
    return { uid };
  },
  encode(res) {
    return [text(Tag.UniqueIdentifier, res.uid)];
  },
  uids: (req, res) => (res ? [...(req.uid ? [req.uid] : []), res.uid] : req.uid ? [req.uid] : []),
});
