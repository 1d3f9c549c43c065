/**
 * Set Attribute (KMIP 2.0+; 2.1 §6.1.51): sets a single-instance attribute, replacing its value
 * if the object has one. An attribute with several instances must be changed with Modify
 * Attribute: Multi Valued Attribute (TC-SETATTR-3-20). Response: the Unique Identifier.
 */
import { isClientSettable, readOnlyAttribute } from '../../kmip/attribute-rules.js';
import { operationNotSupported } from '../../kmip/errors.js';
import { Operation, Tag } from '../../kmip/generated/index.js';
import { is2x } from '../../kmip/protocol-version.js';
import { text } from '../../ttlv/build.js';
import { saveObject } from '../objects.js';
import { defineOperation } from '../types.js';
import { changed, checkLimits, checkNameUnique, checkOneWay, checkValue, instancesOf, multiValued, refLabel, ruleFor, loadForAttributes } from './common.js';
import { checkClientMayModify } from './modify-attribute.js';
import { type IndexedAttribute, decodeNew } from './request.js';

export default defineOperation<IndexedAttribute & { uid: string | undefined }, { uid: string }>({
  operation: Operation.SetAttribute,
  decode(payload, ctx) {
    if (!is2x(ctx.version)) throw operationNotSupported('Set Attribute is a KMIP 2.0 operation');
    return { uid: payload?.text(Tag.UniqueIdentifier), ...decodeNew(payload, 'Set Attribute') };
  },
  async handle(ctx, req) {
    const obj = await loadForAttributes(ctx, req.uid);
    const a = req.attr;
    const rule = ruleFor(ctx.version, a);
    const existing = instancesOf(obj, a);
    if (existing.length > 1) throw multiValued(ctx.version, a);
    const target = existing[0];
    if (target !== undefined) checkClientMayModify(ctx, obj, a);
    else {
      if (!isClientSettable(rule)) throw readOnlyAttribute(ctx.version, refLabel(a));
      checkValue(ctx.version, a, obj);
    }
    checkOneWay(ctx.version, target, a);
    checkLimits(ctx.version, obj, a, target === undefined);
    await checkNameUnique(ctx, { ...obj, attributes: obj.attributes.filter((x) => x !== target) }, a);
    const attributes = target === undefined ? [...obj.attributes, a] : obj.attributes.map((x) => (x === target ? { ...a, index: target.index ?? 0 } : x));
    saveObject(ctx, changed(ctx, obj, attributes));
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid };
  },
  encode: (res) => [text(Tag.UniqueIdentifier, res.uid)],
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
