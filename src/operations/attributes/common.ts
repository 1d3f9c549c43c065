/**
 * What the attribute operations share: naming an attribute kind from a 1.x Attribute Name or a 2.x
 * Attribute Reference, finding its instances on an object, the per-version errors, and the
 * bookkeeping every change does (Last Change Date, the date -> state rule, a new revision).
 */
import { type Attribute, attributeKey } from '../../kmip/attributes.js';
import {
  type AttributeRule,
  appliesToObjectType,
  attributeRule,
  attributeRuleForTag,
  isAttributeInVersion,
  readOnlyAttribute,
} from '../../kmip/attribute-rules.js';
import { KmipError, type ResultReasonValue, invalidField } from '../../kmip/errors.js';
import { Fields, tagLabel } from '../../kmip/fields.js';
import { ResultReason, Tag, tagByName, tagBySpecName, tagInfo, tagItemType, kmipVersionOf } from '../../kmip/generated/index.js';
import { camelCaseName } from '../../kmip/names.js';
import { type ProtocolVersion, is2x } from '../../kmip/protocol-version.js';
import { encodeIndexString } from '../../store/index-keys.js';
import { dateTime, enm, int, struct, text } from '../../ttlv/build.js';
import { encodeTtlv } from '../../ttlv/encode.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { applyDateTransitions, loadCurrent } from '../lifecycle/state.js';
import { type ManagedObject, withAttribute } from '../objects.js';
import type { RequestContext } from '../types.js';

/** One attribute kind: a standard tag, or a vendor attribute (vendor + name). */
export type AttrRef = Pick<Attribute, 'tag' | 'vendor' | 'vendorName'>;

export const sameKind = (a: AttrRef, b: AttrRef): boolean => attributeKey(a) === attributeKey(b);

/** KMIP 1.x Attribute Name -> kind ("x-"/"y-" names are the vendor attributes x / y, 2.1 §4.60). */
export function refFromV1Name(name: string): AttrRef | undefined {
  const custom = /^([xy])-(.*)$/s.exec(name);
  if (custom) return { tag: Tag.AttributeValue, vendor: custom[1]!, vendorName: custom[2]! };
  const tag = tagBySpecName(name) ?? tagByName(camelCaseName(name));
  return tag === undefined || attributeRuleForTag(tag) === undefined ? undefined : { tag };
}

/**
 * KMIP 2.x Attribute Reference (2.1 §5.5 / §7.3): an Enumeration whose value is the attribute's
 * tag, or a Structure {Vendor Identification, Attribute Name} for a vendor attribute. Undefined
 * when the tag is not a known attribute.
 */
export function refFromReference(node: TtlvNode): AttrRef | undefined {
  if (node.type === 'Enumeration' || node.type === 'Integer') {
    return attributeRuleForTag(node.value) === undefined ? undefined : { tag: node.value };
  }
  if (node.type === 'Structure') {
    const f = new Fields(node, 'Attribute Reference');
    const vendor = f.req(Tag.VendorIdentification, 'TextString').value;
    const name = f.req(Tag.AttributeName, 'TextString').value;
    return { tag: Tag.AttributeValue, vendor, vendorName: name };
  }
  throw invalidField('Attribute Reference must be an Enumeration or a Structure');
}

/** The 2.x Attribute Reference for a kind. */
export function encodeReference(r: AttrRef): TtlvNode {
  if (r.vendor !== undefined) {
    return struct(Tag.AttributeReference, [text(Tag.VendorIdentification, r.vendor), text(Tag.AttributeName, r.vendorName ?? '')]);
  }
  return enm(Tag.AttributeReference, r.tag);
}

/** The 1.x Attribute Name for a kind, undefined for vendor attributes without a 1.x form. */
export function v1Name(r: AttrRef): string | undefined {
  if (r.vendor !== undefined) return r.vendor === 'x' || r.vendor === 'y' ? `${r.vendor}-${r.vendorName ?? ''}` : undefined;
  return tagInfo(r.tag)?.spec;
}

/** Label for messages: the attribute's name, never its value. */
export function refLabel(r: AttrRef): string {
  return (v1Name(r) ?? `${r.vendor ?? ''}:${r.vendorName ?? ''}`).slice(0, 80);
}

/** The instances of one kind, in stored order (each carries its own 1.x Attribute Index, see `instanceAt`). */
export function instancesOf(obj: Pick<ManagedObject, 'attributes'>, r: AttrRef): Attribute[] {
  return obj.attributes.filter((a) => sameKind(a, r));
}

/** Byte-exact equality of two attribute values (tags aside). */
export function sameValue(a: TtlvNode, b: TtlvNode): boolean {
  return encodeTtlv({ ...a, tag: Tag.AttributeValue } as TtlvNode).equals(encodeTtlv({ ...b, tag: Tag.AttributeValue } as TtlvNode));
}

/** The instance of a kind with this 1.x Attribute Index (KMIP 1.4 §2.1.1: stable, not a position). */
export function instanceAt(all: readonly Attribute[], index: number): Attribute | undefined {
  return all.find((a) => (a.index ?? 0) === index);
}

/**
 * A 1.x `Attribute` structure with the instance's Attribute Index. The index is written for every
 * instance of a multi-instance attribute, 0 included (PyKMIP's server does, and its client reads
 * it: upstream test_modify_delete_attribute), for any non-zero index, and when `always` (the
 * client named the index, so the answer names it back); a single-instance attribute, whose index
 * is always 0, goes without. KMIP 1.4 §2.1.1 makes both forms mean the same: "When an Attribute
 * structure is used to specify or return a particular instance of an Attribute and the Attribute
 * Index is not specified it SHALL be assumed to be 0" (the OASIS vectors, e.g. TC-CREG-1-14,
 * leave index 0 out).
 */
export function encodeV1Attribute(a: Attribute, index: number, always = false): TtlvNode | undefined {
  const name = v1Name(a);
  if (name === undefined) return undefined;
  const out: TtlvNode[] = [text(Tag.AttributeName, name)];
  if (index > 0 || always || attributeRule(a)?.multi === true) out.push(int(Tag.AttributeIndex, index));
  out.push({ ...a.value, tag: Tag.AttributeValue } as TtlvNode);
  return struct(Tag.Attribute, out);
}

// ---- errors, per version (KMIP 1.4 §11.12–11.16; 2.1 §6.1.2, 6.1.13, 6.1.20, 6.1.34, 6.1.51) ----

/** A name / tag that is not an attribute: 1.x Invalid Field; 2.x Invalid Attribute. */
export function notAnAttribute(v: ProtocolVersion, what: string): KmipError {
  return new KmipError(is2x(v) ? ResultReason.InvalidAttribute : ResultReason.InvalidField, `Not an attribute: ${what.slice(0, 80)}`);
}

/** The object has no instance of the attribute: 1.x Item Not Found; 2.x Attribute Not Found. */
export function attributeNotFound(v: ProtocolVersion, r: AttrRef): KmipError {
  return new KmipError(is2x(v) ? ResultReason.AttributeNotFound : ResultReason.ItemNotFound, `The object has no ${refLabel(r)} attribute`);
}

/** No instance with that index / value: 1.x Item Not Found; 2.x Attribute Instance Not Found. */
export function instanceNotFound(v: ProtocolVersion, r: AttrRef): KmipError {
  return new KmipError(is2x(v) ? ResultReason.AttributeInstanceNotFound : ResultReason.ItemNotFound, `No such instance of ${refLabel(r)}`);
}

/** Adding a second instance of a single-instance attribute: 2.x Attribute Single Valued (BL-M-5-21); 1.x Invalid Field. */
export function singleValued(v: ProtocolVersion, r: AttrRef): KmipError {
  return new KmipError(is2x(v) ? ResultReason.AttributeSingleValued : ResultReason.InvalidField, `${refLabel(r)} allows one instance`);
}

/** Set / Modify without Current Attribute on an attribute with several instances: Multi Valued Attribute (TC-SETATTR-3-20). */
export function multiValued(v: ProtocolVersion, r: AttrRef): KmipError {
  return new KmipError(is2x(v) ? ResultReason.MultiValuedAttribute : ResultReason.InvalidField, `${refLabel(r)} has several instances`);
}

/** The rule for a client-supplied attribute; refuses tags that are not attributes. */
export function ruleFor(v: ProtocolVersion, a: AttrRef): AttributeRule {
  const rule = attributeRule(a);
  if (rule === undefined || !isAttributeInVersion(a, v)) throw notAnAttribute(v, tagLabel(a.tag));
  return rule;
}

/**
 * Checks a client-supplied value: the item type the spec gives the tag in this version, and for
 * Name a Name Value (needed for uniqueness). Wrong values: 1.x Invalid Field, 2.x Invalid Attribute Value.
 */
export function checkValue(v: ProtocolVersion, a: Attribute, obj: ManagedObject): void {
  const bad = (msg: string) => new KmipError(is2x(v) ? ResultReason.InvalidAttributeValue : ResultReason.InvalidField, msg);
  if (a.vendor !== undefined) return;
  const kv = kmipVersionOf(v.major, v.minor) ?? '2.1';
  const want = tagItemType(a.tag, kv);
  if (want !== undefined && a.value.type !== want) throw bad(`${refLabel(a)} must be of type ${want}`);
  if (a.tag === Tag.Name && nameValue(a.value) === undefined) throw bad('Name needs a Name Value');
  const rule = attributeRule(a);
  if (rule !== undefined && !appliesToObjectType(rule, obj.objectType)) {
    throw new KmipError(is2x(v) ? ResultReason.InvalidAttribute : ResultReason.PermissionDenied, `${refLabel(a)} does not apply to this object type`);
  }
}

/**
 * One-way flags (KMIP 1.4 §3.48, §3.50; 2.1 §4.53, §4.20): a Sensitive key may not become
 * non-sensitive, a non-extractable key may not become extractable. Refused as read-only.
 */
export function checkOneWay(v: ProtocolVersion, before: Attribute | undefined, after: Attribute): void {
  if (before === undefined || after.vendor !== undefined) return;
  const was = before.value.type === 'Boolean' ? before.value.value : undefined;
  const now = after.value.type === 'Boolean' ? after.value.value : undefined;
  if (after.tag === Tag.Sensitive && was === true && now === false) throw readOnlyAttribute(v, 'Sensitive (once True)');
  if (after.tag === Tag.Extractable && was === false && now === true) throw readOnlyAttribute(v, 'Extractable (once False)');
}

export function nameValue(n: TtlvNode): string | undefined {
  if (n.type !== 'Structure') return undefined;
  const nv = n.value.find((c) => c.tag === Tag.NameValue);
  return nv?.type === 'TextString' ? nv.value : undefined;
}

/**
 * Name must not name another object of the same owner, nor repeat on this one (BL-M-8-21:
 * Non Unique Name Attribute; 1.x: Illegal Operation, KMIP 1.4 §11.14–11.15).
 */
export async function checkNameUnique(ctx: RequestContext, obj: ManagedObject, a: Attribute): Promise<void> {
  if (a.vendor !== undefined || a.tag !== Tag.Name) return;
  const name = nameValue(a.value);
  if (name === undefined) return;
  const fail = () => new KmipError(is2x(ctx.version) ? ResultReason.NonUniqueNameAttribute : ResultReason.IllegalOperation, 'The name is already in use');
  if (instancesOf(obj, a).some((i) => nameValue(i.value) === name)) throw fail();
  const others = await ctx.store.locate(
    [
      { field: 'name', equals: encodeIndexString(name) },
      { field: 'owner', equals: encodeIndexString(obj.owner) },
    ],
    { limit: 2 },
  );
  if (others.some((uid) => uid !== obj.uid)) throw fail();
}

// ---- limits on what a client may pile onto one object ----

/** Instances of one attribute kind: stops a client growing one Name / vendor list without bound. */
export const MAX_INSTANCES_PER_ATTRIBUTE = 256;
/** Attributes on one object: every read and write of the object carries all of them. */
export const MAX_ATTRIBUTES_PER_OBJECT = 1024;
/** Encoded size of one client-supplied attribute value (the largest standard ones are a few hundred bytes). */
export const MAX_ATTRIBUTE_VALUE_BYTES = 64 * 1024;

/**
 * Refuses an attribute that would take the object over a limit: 2.x Server Limit Exceeded; 1.x
 * Index Out of Bounds for the instance limit (KMIP 1.4 §11.14), Invalid Field otherwise.
 */
export function checkLimits(v: ProtocolVersion, obj: ManagedObject, a: Attribute, adding: boolean): void {
  const over = (reason1x: ResultReasonValue, msg: string) => new KmipError(is2x(v) ? ResultReason.ServerLimitExceeded : reason1x, msg);
  if (encodeTtlv(a.value).length > MAX_ATTRIBUTE_VALUE_BYTES) throw over(ResultReason.InvalidField, `${refLabel(a)} value is too large`);
  if (!adding) return;
  if (instancesOf(obj, a).length >= MAX_INSTANCES_PER_ATTRIBUTE) throw over(ResultReason.IndexOutOfBounds, `${refLabel(a)} has the most instances allowed`);
  if (obj.attributes.length >= MAX_ATTRIBUTES_PER_OBJECT) throw over(ResultReason.InvalidField, 'The object has the most attributes allowed');
}

// ---- the bookkeeping of every change ----

const seconds = (d: Date): bigint => BigInt(Math.floor(d.getTime() / 1000));

/**
 * The changed object to stage: Last Change Date = now (1.4 §3.38, 2.1 §4.38), the date rules
 * applied to State (a Pre-Active key whose Activation Date is now set to now or earlier is Active:
 * the lifecycle's `applyDateTransitions`), a new revision.
 */
export function changed(ctx: RequestContext, before: ManagedObject, attributes: readonly Attribute[]): ManagedObject {
  const next = applyDateTransitions({ ...before, attributes, revision: before.revision + 1 }, ctx.now);
  return withAttribute(next, Tag.LastChangeDate, dateTime(Tag.LastChangeDate, seconds(ctx.now)));
}

/**
 * Loads the object the request names (owner only) with its State as of now (a date that passed
 * since the last write already counts, 1.4 §3.24 / 2.1 §4.1). Reads work on archived and (with
 * `allowDestroyed`) destroyed objects, whose metadata the server keeps; changes to an archived
 * object are refused with Object Archived (1.4 §4.22: recover it first).
 */
export function loadForAttributes(ctx: RequestContext, uid: string | undefined, opts: { read?: boolean } = {}): Promise<ManagedObject> {
  return loadCurrent(ctx, uid, opts.read ? { allowDestroyed: true, allowArchived: true } : {});
}
