/**
 * Get Attribute List. KMIP 1.4 §4.13: the Attribute Names of the object's attributes; KMIP 2.1
 * §6.1.20: their Attribute References. Each kind once, in the order the OASIS vectors show
 * (SKFF-M-9): the identity attributes first, then by name, vendor attributes last; kinds the
 * client's version does not define are left out.
 */
import { attributeKey } from '../../kmip/attributes.js';
import { attributesForVersion } from '../../kmip/attribute-rules.js';
import { Operation, Tag } from '../../kmip/generated/index.js';
import { is2x } from '../../kmip/protocol-version.js';
import { text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { loadObject, resolveUid } from '../objects.js';
import { defineOperation } from '../types.js';
import { type AttrRef, encodeReference, v1Name } from './common.js';

const FIRST: readonly number[] = [
  Tag.UniqueIdentifier,
  Tag.ShortUniqueIdentifier,
  Tag.ObjectType,
  Tag.CryptographicAlgorithm,
  Tag.CryptographicLength,
];

function order(r: AttrRef): [number, string] {
  if (r.vendor !== undefined) return [FIRST.length + 1, `${r.vendor}\u0000${r.vendorName ?? ''}`];
  const i = FIRST.indexOf(r.tag);
  return i >= 0 ? [i, ''] : [FIRST.length, v1Name(r) ?? ''];
}

export default defineOperation<{ uid: string | undefined }, { uid: string; refs: AttrRef[] }>({
  operation: Operation.GetAttributeList,
  decode(payload) {
    return { uid: payload?.text(Tag.UniqueIdentifier) };
  },
  async handle(ctx, req) {
    const obj = await loadObject(ctx, resolveUid(ctx, req.uid), { allowDestroyed: true });
    const kinds = new Map<string, AttrRef>();
    for (const a of attributesForVersion(obj.attributes, ctx.version)) {
      const k = attributeKey(a);
      if (!kinds.has(k)) kinds.set(k, { tag: a.tag, vendor: a.vendor, vendorName: a.vendorName });
    }
    const refs = [...kinds.values()].sort((a, b) => {
      const [ra, na] = order(a);
      const [rb, nb] = order(b);
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
