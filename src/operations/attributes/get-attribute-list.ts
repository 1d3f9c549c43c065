/**
 * Get Attribute List. KMIP 1.4 §4.13: the Attribute Names of the object's attributes; KMIP 2.1
 * §6.1.20: their Attribute References. Each kind once, in the order the OASIS vectors show (see
 * `order`); kinds the client's version does not define are left out.
 */
import { attributeKey } from '../../kmip/attributes.js';
import { attributesForVersion } from '../../kmip/attribute-rules.js';
import { ObjectType, Operation, Tag } from '../../kmip/generated/index.js';
import { is2x } from '../../kmip/protocol-version.js';
import { text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { defineOperation } from '../types.js';
import { type AttrRef, encodeReference, v1Name, loadForAttributes } from './common.js';

/**
 * Sort key: vendor (custom) attributes, the identity attributes, the type-defining ones (a
 * certificate's Certificate Type, a key's algorithm and length), then by name with Key Format
 * Type beside the Digest it qualifies, Protection Storage Masks last (the OASIS vectors' order,
 * e.g. TC-ECC-3, TC-PGP-1, SKFF-M-9; the spec itself leaves the order open).
 */
function order(r: AttrRef, objectType: number): [number, string] {
  if (r.vendor !== undefined) return [0, `${r.vendor}\u0000${r.vendorName ?? ''}`];
  const head: readonly number[] =
    objectType === ObjectType.Certificate
      ? [Tag.UniqueIdentifier, Tag.ShortUniqueIdentifier, Tag.ObjectType, Tag.CertificateType]
      : [Tag.UniqueIdentifier, Tag.ShortUniqueIdentifier, Tag.ObjectType, Tag.CryptographicAlgorithm, Tag.CryptographicLength];
  const i = head.indexOf(r.tag);
  if (i >= 0) return [1 + i, ''];
  if (r.tag === Tag.ProtectionStorageMasks || r.tag === Tag.ProtectionStorageMask) return [20, ''];
  if (r.tag === Tag.KeyFormatType) return [10, 'Digest\u0001'];
  return [10, v1Name(r) ?? ''];
}

export default defineOperation<{ uid: string | undefined }, { uid: string; refs: AttrRef[] }>({
  operation: Operation.GetAttributeList,
  decode(payload) {
    return { uid: payload?.text(Tag.UniqueIdentifier) };
  },
  async handle(ctx, req) {
    const obj = await loadForAttributes(ctx, req.uid, { read: true });
    const kinds = new Map<string, AttrRef>();
    for (const a of attributesForVersion(obj.attributes, ctx.version)) {
      const k = attributeKey(a);
      if (!kinds.has(k)) kinds.set(k, { tag: a.tag, vendor: a.vendor, vendorName: a.vendorName });
    }
    const refs = [...kinds.values()].sort((a, b) => {
      const [ra, na] = order(a, obj.objectType);
      const [rb, nb] = order(b, obj.objectType);
      return ra !== rb ? ra - rb : na < nb ? -1 : na > nb ? 1 : 0;
    });
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid, refs };
  },
  encode(res, ctx) {
    const out: TtlvNode[] = [text(Tag.UniqueIdentifier, res.uid)];
    for (const r of res.refs) {
      if (is2x(ctx.version)) out.push(encodeReference(r));
      else {
        const name = v1Name(r);
        if (name !== undefined) out.push(text(Tag.AttributeName, name));
      }
    }
    return out;
  },
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
