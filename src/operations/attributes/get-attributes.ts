/**
 * Get Attributes. KMIP 1.4 §4.12: by Attribute Name (none = all), answered as a list of
 * `Attribute` structures with their Attribute Index (see `encodeV1Attribute`); KMIP 2.1 §6.1.21: by Attribute
 * Reference, answered as one `Attributes` structure. Attributes the object lacks, or that the
 * client's version does not define, are left out (SKLC-M-2: an absent Deactivation Date is simply
 * not returned). Works on destroyed objects: their metadata is kept (BL-M-8-21).
 */
import { type Attribute, assignAttributeIndexes, encodeAttribute } from '../../kmip/attributes.js';
import { attributesForVersion } from '../../kmip/attribute-rules.js';
import type { Fields } from '../../kmip/fields.js';
import { Operation, Tag } from '../../kmip/generated/index.js';
import { is2x } from '../../kmip/protocol-version.js';
import { struct, text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { type RequestContext, defineOperation } from '../types.js';
import { type AttrRef, encodeV1Attribute, refFromReference, refFromV1Name, sameKind, loadForAttributes } from './common.js';

interface GetAttributesRequest {
  readonly uid: string | undefined;
  /** Requested kinds; undefined = all. Unknown names are dropped (they match nothing). */
  readonly refs: readonly AttrRef[] | undefined;
}

export interface AttributesResponse {
  readonly uid: string;
  /** Each returned instance with its 1.x Attribute Index. */
  readonly attributes: readonly { attr: Attribute; index: number }[];
}

/** Decodes the Attribute Names (1.x) and Attribute References (2.x) of a request; both are accepted. */
export function decodeRefs(payload: Fields | undefined): AttrRef[] | undefined {
  const names = payload?.many(Tag.AttributeName, 'TextString') ?? [];
  const refs = payload?.all(Tag.AttributeReference) ?? [];
  if (names.length === 0 && refs.length === 0) return undefined;
  const out: AttrRef[] = [];
  for (const n of names) {
    const r = refFromV1Name(n.value);
    if (r !== undefined) out.push(r);
  }
  for (const n of refs) {
    const r = refFromReference(n);
    if (r !== undefined) out.push(r);
  }
  return out;
}

/** The instances to return, with their indices, in request order (or object order for all). */
export function selectAttributes(ctx: RequestContext, attrs: readonly Attribute[], refs: readonly AttrRef[] | undefined) {
  // 1.x Attribute Index: the one stored with the instance (stable, KMIP 1.4 §2.1.1).
  const indexed = assignAttributeIndexes(attrs).map((attr) => ({ attr, index: attr.index ?? 0 }));
  const visible = new Set(attributesForVersion(indexed.map((x) => x.attr), ctx.version));
  const withIndex = indexed.filter((x) => visible.has(x.attr));
  if (refs === undefined) return withIndex;
  const seen: AttrRef[] = [];
  const out: { attr: Attribute; index: number }[] = [];
  for (const r of refs) {
    if (seen.some((s) => sameKind(s, r))) continue;
    seen.push(r);
    out.push(...withIndex.filter((x) => sameKind(x.attr, r)));
  }
  return out;
}

export function encodeAttributesResponse(res: AttributesResponse, ctx: RequestContext): TtlvNode[] {
  const uid = text(Tag.UniqueIdentifier, res.uid);
  if (is2x(ctx.version)) {
    const items = res.attributes.map((x) => encodeAttribute(x.attr, ctx.version)).filter((n): n is TtlvNode => n !== undefined);
    return [uid, struct(Tag.Attributes, items)];
  }
  return [uid, ...res.attributes.map((x) => encodeV1Attribute(x.attr, x.index)).filter((n): n is TtlvNode => n !== undefined)];
}

export default defineOperation<GetAttributesRequest, AttributesResponse>({
  operation: Operation.GetAttributes,
  decode(payload) {
    return { uid: payload?.text(Tag.UniqueIdentifier), refs: decodeRefs(payload) };
  },
  async handle(ctx, req) {
    const obj = await loadForAttributes(ctx, req.uid, { read: true });
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid, attributes: selectAttributes(ctx, obj.attributes, req.refs) };
  },
  encode: encodeAttributesResponse,
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
