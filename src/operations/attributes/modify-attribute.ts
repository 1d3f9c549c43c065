/**
 * Modify Attribute. KMIP 1.4 §4.15: the instance named by Attribute Name + Attribute Index
 * (default 0) gets the new value, and the response echoes it; KMIP 2.1 §6.1.34: `Current
 * Attribute` (optional: required when the attribute has several instances) names the instance,
 * `New Attribute` the value; the response is the Unique Identifier only.
 *
 * Dates the client may move only in some states (Activation Date while Pre-Active, 1.4 §3.24 /
 * 2.1 §4.1) are refused afterwards: 2.x Wrong Key Lifecycle State (SKLC-M-3-21), 1.x Permission
 * Denied (SKLC-M-3-14). Moving the Activation Date of a Pre-Active object to now or earlier makes
 * it Active (see `changed`), which is how Synology DSM activates the keys it registers.
 */
import { invalidField } from '../../kmip/errors.js';
import { clientMayModifyIn, isClientSettable, readOnlyAttribute } from '../../kmip/attribute-rules.js';
import { Operation, Tag } from '../../kmip/generated/index.js';
import { is2x } from '../../kmip/protocol-version.js';
import { type ManagedObject, objectState, saveObject } from '../objects.js';
import { type RequestContext, defineOperation } from '../types.js';
import { type EchoResponse, encodeEcho } from './add-attribute.js';
import { wrongState } from '../lifecycle/state.js';
import {
  attributeNotFound,
  changed,
  checkLimits,
  checkNameUnique,
  checkOneWay,
  checkValue,
  instanceAt,
  instanceNotFound,
  instancesOf,
  multiValued,
  refLabel,
  ruleFor,
  sameKind,
  sameValue,
  loadForAttributes,
} from './common.js';
import type { Attribute } from '../../kmip/attributes.js';
import { type IndexedAttribute, decodeCurrent, decodeNew } from './request.js';

interface ModifyRequest extends IndexedAttribute {
  readonly uid: string | undefined;
  readonly current?: Attribute;
}

/** Refuses a change the client may not make to this attribute in the object's state. */
export function checkClientMayModify(ctx: RequestContext, obj: ManagedObject, a: Attribute): void {
  const rule = ruleFor(ctx.version, a);
  if (!rule.clientModifiable) throw readOnlyAttribute(ctx.version, refLabel(a));
  if (!clientMayModifyIn(rule, objectState(obj))) {
    // Permission Denied up to 2.0, Wrong Key Lifecycle State from 2.1 (see `wrongState`).
    throw wrongState(ctx.version, `${refLabel(a)} cannot be changed in the object's current state`);
  }
  checkValue(ctx.version, a, obj);
}

export default defineOperation<ModifyRequest, EchoResponse>({
  operation: Operation.ModifyAttribute,
  decode(payload) {
    const current = decodeCurrent(payload);
    return { uid: payload?.text(Tag.UniqueIdentifier), ...decodeNew(payload, 'Modify Attribute'), ...(current ? { current } : {}) };
  },
  async handle(ctx, req) {
    const obj = await loadForAttributes(ctx, req.uid);
    const a = req.attr;
    if (req.current !== undefined && !sameKind(req.current, a)) {
      throw invalidField('Current Attribute and New Attribute must be the same attribute');
    }
    const rule = ruleFor(ctx.version, a);
    checkClientMayModify(ctx, obj, a);
    const all = instancesOf(obj, a);
    let target: Attribute | undefined;
    if (req.current !== undefined) {
      if (all.length === 0) throw attributeNotFound(ctx.version, a);
      target = all.find((i) => sameValue(i.value, req.current!.value));
      if (target === undefined) throw instanceNotFound(ctx.version, a);
    } else if (req.index !== undefined || !is2x(ctx.version)) {
      const index = req.index ?? 0;
      target = instanceAt(all, index);
      // Interop (Synology DSM, KMIP 1.0): Modify of an absent single-instance attribute the
      // client may set (e.g. Activation Date after Register) sets it, as 2.x Set Attribute does.
      if (target === undefined && !(all.length === 0 && index === 0 && !rule.multi && isClientSettable(rule))) {
        throw all.length === 0 ? attributeNotFound(ctx.version, a) : instanceNotFound(ctx.version, a);
      }
    } else {
      if (all.length === 0) throw attributeNotFound(ctx.version, a);
      if (all.length > 1) throw multiValued(ctx.version, a);
      target = all[0];
    }
    checkOneWay(ctx.version, target, a);
    checkLimits(ctx.version, obj, a, target === undefined);
    const rest = target === undefined ? obj.attributes : obj.attributes.filter((x) => x !== target);
    await checkNameUnique(ctx, { ...obj, attributes: rest }, a);
    // The modified instance keeps its Attribute Index (KMIP 1.4 §2.1.1).
    const index = target?.index ?? 0;
    const attributes = target === undefined ? [...obj.attributes, { ...a, index }] : obj.attributes.map((x) => (x === target ? { ...a, index } : x));
    saveObject(ctx, changed(ctx, obj, attributes));
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid, attr: a, index, indexNamed: req.index !== undefined };
  },
  encode: encodeEcho,
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
