/**
 * Add Attribute. KMIP 1.4 §4.14 (the response echoes the attribute with its Attribute Index);
 * KMIP 2.1 §6.1.2 (`New Attribute`; the response is the Unique Identifier only). A new instance
 * of a single-instance attribute that the object already has is refused (BL-M-5-21), as is one
 * the client may not set, and a Name another object of the owner already has (BL-M-8-21).
 */
import { type Attribute, nextAttributeIndex } from '../../kmip/attributes.js';
import { isClientSettable, readOnlyAttribute } from '../../kmip/attribute-rules.js';
import { invalidField } from '../../kmip/errors.js';
import { Operation, Tag } from '../../kmip/generated/index.js';
import { is2x } from '../../kmip/protocol-version.js';
import { text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { saveObject } from '../objects.js';
import { defineOperation } from '../types.js';
import { changed, checkLimits, checkNameUnique, checkValue, encodeV1Attribute, instancesOf, refLabel, ruleFor, singleValued, loadForAttributes } from './common.js';
import { type IndexedAttribute, decodeNew } from './request.js';

interface AddRequest extends IndexedAttribute {
  readonly uid: string | undefined;
}

export interface EchoResponse {
  readonly uid: string;
  /** The attribute as stored and its 1.x index, echoed to 1.x clients. */
  readonly attr?: Attribute;
  readonly index?: number;
  /** The request named the Attribute Index: the 1.x answer names it too, even 0 (KMIP 1.4 §4.15-4.16). */
  readonly indexNamed?: boolean;
}

/** 1.x: Unique Identifier + Attribute; 2.x: Unique Identifier only. */
export function encodeEcho(res: EchoResponse, ctx: { version: { major: number; minor: number } }): TtlvNode[] {
  const out: TtlvNode[] = [text(Tag.UniqueIdentifier, res.uid)];
  if (!is2x(ctx.version) && res.attr !== undefined) {
    const a = encodeV1Attribute(res.attr, res.index ?? 0, res.indexNamed === true);
    if (a !== undefined) out.push(a);
  }
  return out;
}

export default defineOperation<AddRequest, EchoResponse>({
  operation: Operation.AddAttribute,
  decode(payload) {
    return { uid: payload?.text(Tag.UniqueIdentifier), ...decodeNew(payload, 'Add Attribute') };
  },
  async handle(ctx, req) {
    const obj = await loadForAttributes(ctx, req.uid);
    const a = req.attr;
    const rule = ruleFor(ctx.version, a);
    if (!isClientSettable(rule)) throw readOnlyAttribute(ctx.version, refLabel(a));
    // KMIP 1.4 §4.14: the server assigns the index; a client-chosen one is an error.
    if (req.index !== undefined && req.index !== 0) throw invalidField('Add Attribute: the server assigns the Attribute Index');
    checkValue(ctx.version, a, obj);
    const existing = instancesOf(obj, a);
    if (!rule.multi && existing.length > 0) throw singleValued(ctx.version, a);
    checkLimits(ctx.version, obj, a, true);
    await checkNameUnique(ctx, obj, a);
    // KMIP 1.4 §2.1.1: the new instance gets the next index; the others keep theirs.
    const index = nextAttributeIndex(obj.attributes, a);
    saveObject(ctx, changed(ctx, obj, [...obj.attributes, { ...a, index }]));
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid, attr: a, index };
  },
  encode: encodeEcho,
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
