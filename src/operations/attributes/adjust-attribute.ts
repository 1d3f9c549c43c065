/**
 * Adjust Attribute (KMIP 2.0+; 2.1 §6.1.3): increments, decrements or negates the value of a
 * single-instance attribute the client may modify, server-side, so concurrent clients need not
 * read-modify-write. Increment / Decrement apply to Integer, Long Integer, Big Integer, Interval
 * and Date-Time values (Adjustment Value, default 1; for dates, seconds); Negate to Boolean and the
 * signed integer types. A result outside the type's range is Numeric Range; a type the adjustment
 * does not apply to is Invalid Data Type. Response: the Unique Identifier.
 */
import { KmipError, missingData, operationNotSupported } from '../../kmip/errors.js';
import { AdjustmentType, Operation, ResultReason, Tag } from '../../kmip/generated/index.js';
import { is2x } from '../../kmip/protocol-version.js';
import { text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { asItemNotFound, saveObject } from '../objects.js';
import { defineOperation } from '../types.js';
import { type AttrRef, attributeNotFound, changed, checkOneWay, instancesOf, loadForAttributes, multiValued, notAnAttribute, refFromReference } from './common.js';
import { checkClientMayModify } from './modify-attribute.js';

interface AdjustRequest {
  readonly uid: string | undefined;
  readonly ref: AttrRef | undefined;
  readonly type: number;
  readonly amount?: TtlvNode;
}

const INT32 = [-(2 ** 31), 2 ** 31 - 1] as const;
const INT64 = [-(1n << 63n), (1n << 63n) - 1n] as const;
const UINT32_MAX = 2 ** 32 - 1;

const dataType = (msg: string) => new KmipError(ResultReason.InvalidDataType, msg);
const range = () => new KmipError(ResultReason.NumericRange, 'The adjusted value is out of range for its type');

/** The Adjustment Value as a bigint (default 1). */
function amountOf(n: TtlvNode | undefined): bigint {
  if (n === undefined) return 1n;
  switch (n.type) {
    case 'Integer':
    case 'Interval':
      return BigInt(n.value);
    case 'LongInteger':
    case 'BigInteger':
      return n.value;
    default:
      throw dataType('Adjustment Value must be an integer or an interval');
  }
}

/** The adjusted value (pure). */
export function adjust(v: TtlvNode, type: number, amountNode: TtlvNode | undefined): TtlvNode {
  if (type === AdjustmentType.Negate) {
    switch (v.type) {
      case 'Boolean':
        return { ...v, value: !v.value };
      case 'Integer':
        if (v.value === INT32[0]) throw range();
        return { ...v, value: -v.value };
      case 'LongInteger':
        if (v.value === INT64[0]) throw range();
        return { ...v, value: -v.value };
      case 'BigInteger':
        return { ...v, value: -v.value };
      default:
        throw dataType(`Negate does not apply to ${v.type} values`);
    }
  }
  if (type !== AdjustmentType.Increment && type !== AdjustmentType.Decrement) throw new KmipError(ResultReason.InvalidField, 'Unknown Adjustment Type');
  const d = type === AdjustmentType.Increment ? amountOf(amountNode) : -amountOf(amountNode);
  switch (v.type) {
    case 'Integer': {
      const r = BigInt(v.value) + d;
      if (r < BigInt(INT32[0]) || r > BigInt(INT32[1])) throw range();
      return { ...v, value: Number(r) };
    }
    case 'Interval': {
      const r = BigInt(v.value) + d;
      if (r < 0n || r > BigInt(UINT32_MAX)) throw range();
      return { ...v, value: Number(r) };
    }
    case 'LongInteger': {
      const r = v.value + d;
      if (r < INT64[0] || r > INT64[1]) throw range();
      return { ...v, value: r };
    }
    case 'DateTime': {
      const r = v.value + d;
      if (r < INT64[0] || r > INT64[1]) throw range();
      return { ...v, value: r };
    }
    case 'BigInteger':
      return { ...v, value: v.value + d };
    default:
      throw dataType(`${type === AdjustmentType.Increment ? 'Increment' : 'Decrement'} does not apply to ${v.type} values`);
  }
}

export default defineOperation<AdjustRequest, { uid: string }>({
  operation: Operation.AdjustAttribute,
  decode(payload, ctx) {
    if (!is2x(ctx.version)) throw operationNotSupported('Adjust Attribute is a KMIP 2.0 operation');
    const refNode = payload?.all(Tag.AttributeReference)[0];
    if (refNode === undefined) throw missingData('Adjust Attribute needs an Attribute Reference');
    const type = payload?.enum(Tag.AdjustmentType);
    if (type === undefined) throw missingData('Adjust Attribute needs an Adjustment Type');
    const amount = payload?.all(Tag.AdjustmentValue)[0];
    return { uid: payload?.text(Tag.UniqueIdentifier), ref: refFromReference(refNode), type, ...(amount ? { amount } : {}) };
  },
  async handle(ctx, req) {
    // 2.1 §6.1.3.1: Item Not Found for an unknown object, not Object Not Found.
    const obj = await loadForAttributes(ctx, req.uid).catch(asItemNotFound);
    if (req.ref === undefined) throw notAnAttribute(ctx.version, 'Attribute Reference');
    const all = instancesOf(obj, req.ref);
    if (all.length === 0) throw attributeNotFound(ctx.version, req.ref);
    if (all.length > 1) throw multiValued(ctx.version, req.ref);
    const target = all[0]!;
    const next = { ...target, value: adjust(target.value, req.type, req.amount) };
    checkClientMayModify(ctx, obj, next);
    checkOneWay(ctx.version, target, next);
    saveObject(ctx, changed(ctx, obj, obj.attributes.map((x) => (x === target ? next : x))));
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid };
  },
  encode: (res) => [text(Tag.UniqueIdentifier, res.uid)],
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
