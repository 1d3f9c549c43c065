/**
 * One internal attribute model for both protocol families (CONVENTIONS.md §2 "Versions"):
 * - KMIP 1.x carries attributes as `Attribute { Attribute Name, Attribute Index?, Attribute Value }`
 *   inside Template-Attribute structures (KMIP 1.4 §2.1.1, §2.1.8);
 * - KMIP 2.x carries them directly by tag inside `Attributes`, and vendor attributes as
 *   `Attribute { Vendor Identification, Attribute Name, Attribute Value }` (KMIP 2.1 §2.1.1, §4.60).
 * 1.x custom attributes `x-NAME` / `y-NAME` are the 2.x vendor attributes with Vendor
 * Identification "x" / "y" (KMIP 2.1 §4.60; the OASIS AX-M-1 vectors show `x-ID` <-> x / ID).
 */
import { struct, text } from '../ttlv/build.js';
import type { ItemTypeName, TtlvNode } from '../ttlv/types.js';
import { KmipError, invalidField } from './errors.js';
import { Fields, tagLabel } from './fields.js';
import { KMIP_VERSIONS, ResultReason, Tag, tagByName, tagBySpecName, tagInfo, tagItemType } from './generated/index.js';
import type { ProtocolVersion } from './protocol-version.js';
import { is2x } from './protocol-version.js';
import { camelCaseName } from './names.js';

/** A standard attribute (by tag) or a vendor / custom one (by vendor and name). */
export interface Attribute {
  /** Standard attributes: the attribute's tag. Vendor attributes: Tag.AttributeValue. */
  readonly tag: number;
  /** Vendor attributes only: "x" / "y" for 1.x custom attributes, else the vendor's id. */
  readonly vendor?: string;
  /** Vendor attributes only: the attribute name without the vendor prefix. */
  readonly vendorName?: string;
  /** The value, re-tagged with `tag` (structures keep their own children). */
  readonly value: TtlvNode;
  /**
   * The instance's KMIP 1.x Attribute Index (1.4 §2.1.1): assigned by the server when the instance
   * is first stored and stable afterwards ("The Attribute Index of an attribute SHALL NOT change
   * when other instances are added or deleted"). Undefined until assigned ({@link assignAttributeIndexes}).
   */
  readonly index?: number;
}

/** Internal key that identifies an attribute kind: the tag name, or `vendor:name`. */
export function attributeKey(a: Pick<Attribute, 'tag' | 'vendor' | 'vendorName'>): string {
  return a.vendor !== undefined ? `${a.vendor}:${a.vendorName ?? ''}` : (tagInfo(a.tag)?.name ?? String(a.tag));
}

/**
 * Gives every instance without an Attribute Index the next index of its kind (one above the
 * highest the kind already has, 0 for the first), keeping the indexes instances already have
 * (KMIP 1.4 §2.1.1: indices start with 0 and never change; a single-instance attribute is always
 * 0). A repeated index within a kind (never written by kmipd) is treated as unassigned. Returns
 * `attrs` itself when nothing needed an index.
 */
export function assignAttributeIndexes(attrs: readonly Attribute[]): readonly Attribute[] {
  if (attrs.every((a) => a.index !== undefined) && !hasRepeatedIndex(attrs)) return attrs;
  const used = new Map<string, Set<number>>();
  const next = new Map<string, number>();
  const keep = attrs.map((a) => {
    if (a.index === undefined) return false;
    const k = attributeKey(a);
    const u = used.get(k) ?? new Set<number>();
    used.set(k, u);
    if (u.has(a.index)) return false;
    u.add(a.index);
    next.set(k, Math.max(next.get(k) ?? 0, a.index + 1));
    return true;
  });
  return attrs.map((a, i) => {
    if (keep[i]) return a;
    const k = attributeKey(a);
    const index = next.get(k) ?? 0;
    next.set(k, index + 1);
    return { ...a, index };
  });
}

function hasRepeatedIndex(attrs: readonly Attribute[]): boolean {
  const seen = new Set<string>();
  for (const a of attrs) {
    const k = `${attributeKey(a)}\u0000${String(a.index)}`;
    if (seen.has(k)) return true;
    seen.add(k);
  }
  return false;
}

/** The index the next new instance of `a`'s kind gets on an object with `attrs` (see {@link assignAttributeIndexes}). */
export function nextAttributeIndex(attrs: readonly Attribute[], a: Pick<Attribute, 'tag' | 'vendor' | 'vendorName'>): number {
  const k = attributeKey(a);
  let next = 0;
  for (const x of assignAttributeIndexes(attrs)) if (attributeKey(x) === k) next = Math.max(next, (x.index ?? 0) + 1);
  return next;
}

function retag(node: TtlvNode, tag: number): TtlvNode {
  return { ...node, tag } as TtlvNode;
}

/**
 * Vendor and custom attribute names become Locate index fields (src/store/keys.ts), where NUL is
 * the separator; no real name has one, so it is refused here rather than failing at commit.
 */
function checkName(what: string, name: string): void {
  if (name.includes('\0')) throw invalidField(`${what} must not contain NUL`);
}

/** A 1.x attribute name ("Cryptographic Algorithm", "x-ID") -> the internal form. */
function fromV1Name(name: string, value: TtlvNode): Attribute {
  checkName('Attribute Name', name);
  const custom = /^([xy])-(.*)$/s.exec(name);
  if (custom) return { tag: Tag.AttributeValue, vendor: custom[1]!, vendorName: custom[2]!, value: retag(value, Tag.AttributeValue) };
  // The spec's printed name ("Cryptographic Algorithm"), else its CamelCase form; never a plain
  // property lookup on client text.
  const tag = tagBySpecName(name) ?? tagByName(camelCaseName(name));
  if (tag === undefined) throw new KmipError(ResultReason.InvalidField, `Unknown attribute name: ${name.slice(0, 64)}`);
  return { tag, value: retag(value, tag) };
}

/**
 * Decodes one 1.x `Attribute` structure. Its Attribute Index is not part of the result: in Create /
 * Register the server assigns indexes (KMIP 1.4 §2.1.1); Modify / Delete read it separately.
 */
export function decodeV1Attribute(node: TtlvNode): Attribute {
  const f = new Fields(node, 'Attribute');
  const name = f.req(Tag.AttributeName, 'TextString').value;
  const values = f.all(Tag.AttributeValue);
  if (values.length !== 1) throw invalidField(`Attribute ${name.slice(0, 64)}: exactly one Attribute Value is required`);
  return fromV1Name(name, values[0]!);
}

/** Decodes the children of a 2.x `Attributes` structure (or New/Current Attribute). */
export function decodeV2Attribute(node: TtlvNode): Attribute {
  if (node.tag === Tag.Attribute) {
    // Vendor attribute (KMIP 2.1 §2.1.1): { Vendor Identification, Attribute Name, Attribute Value }.
    const f = new Fields(node, 'Attribute');
    const vendor = f.opt(Tag.VendorIdentification, 'TextString')?.value;
    const name = f.req(Tag.AttributeName, 'TextString').value;
    const value = f.all(Tag.AttributeValue)[0];
    if (value === undefined) throw invalidField('Attribute: Attribute Value is required');
    if (vendor === undefined) return fromV1Name(name, value); // tolerate 1.x form inside 2.x Attributes
    checkName('Vendor Identification', vendor);
    checkName('Attribute Name', name);
    return { tag: Tag.AttributeValue, vendor, vendorName: name, value: retag(value, Tag.AttributeValue) };
  }
  if (tagInfo(node.tag) === undefined) throw new KmipError(ResultReason.InvalidField, `Unknown attribute tag ${tagLabel(node.tag)}`);
  return { tag: node.tag, value: node };
}

/**
 * Attributes from a request payload, whichever form the client used: 2.x `Attributes`, 1.x
 * `Template-Attribute`, or bare 1.x `Attribute`s. Names of Templates in a 1.x Template-Attribute
 * are replaced by the templates' attributes before the operation decodes its payload
 * (operations/objects/template.ts); one still here (a 2.x request) is Feature Not Supported. Real clients mix these (e.g. 1.x wrappers at 2.0), so all are read.
 */
export function decodeRequestAttributes(payload: Fields, containerTags: readonly number[] = [Tag.Attributes, Tag.TemplateAttribute]): Attribute[] {
  const out: Attribute[] = [];
  for (const ct of containerTags) {
    for (const container of payload.all(ct)) {
      if (container.type !== 'Structure') throw invalidField(`${tagLabel(ct)} must be a Structure`);
      for (const c of container.value) {
        if (ct === Tag.TemplateAttribute) {
          if (c.tag === Tag.Name) throw new KmipError(ResultReason.FeatureNotSupported, 'Templates do not exist in KMIP 2.x');
          if (c.tag !== Tag.Attribute) throw invalidField(`Template-Attribute: unexpected ${tagLabel(c.tag)}`);
          out.push(decodeV1Attribute(c));
        } else {
          out.push(decodeV2Attribute(c));
        }
      }
    }
  }
  for (const c of payload.all(Tag.Attribute)) out.push(decodeV1Attribute(c));
  for (const a of out) checkItemType(a);
  return out;
}

/** Item types a standard attribute's value may have: the spec's, in any version (a few changed). */
const ITEM_TYPES = new Map<number, ReadonlySet<ItemTypeName>>();

function itemTypes(tag: number): ReadonlySet<ItemTypeName> {
  let types = ITEM_TYPES.get(tag);
  if (types === undefined) {
    types = new Set(KMIP_VERSIONS.map((v) => tagItemType(tag, v)).filter((t): t is ItemTypeName => t !== undefined));
    ITEM_TYPES.set(tag, types);
  }
  return types;
}

/**
 * Refuses a standard attribute whose value has another item type than the spec gives its tag (a
 * Cryptographic Algorithm sent as an Integer): stored, it would be answered back as given and
 * read as absent by every check. 2.x Invalid Attribute Value; the dispatcher answers 1.x clients
 * Invalid Field, as for Add / Set / Modify Attribute (operations/attributes/common.ts).
 */
function checkItemType(a: Attribute): void {
  if (a.vendor !== undefined) return;
  const types = itemTypes(a.tag);
  if (types.size > 0 && !types.has(a.value.type)) {
    throw new KmipError(ResultReason.InvalidAttributeValue, `${tagInfo(a.tag)?.spec ?? tagLabel(a.tag)} must be of type ${[...types].join(' or ')}`);
  }
}

/** The 1.x Attribute Name for an internal attribute ("Cryptographic Algorithm", "x-ID"). */
export function v1AttributeName(a: Attribute): string | undefined {
  if (a.vendor !== undefined) return a.vendor === 'x' || a.vendor === 'y' ? `${a.vendor}-${a.vendorName}` : undefined;
  return tagInfo(a.tag)?.spec;
}

/** Encodes one attribute for the client's version; undefined when that version cannot carry it. */
export function encodeAttribute(a: Attribute, v: ProtocolVersion): TtlvNode | undefined {
  if (is2x(v)) {
    if (a.vendor !== undefined) {
      return struct(Tag.Attribute, [
        text(Tag.VendorIdentification, a.vendor),
        text(Tag.AttributeName, a.vendorName ?? ''),
        retag(a.value, Tag.AttributeValue),
      ]);
    }
    return a.value;
  }
  const name = v1AttributeName(a);
  if (name === undefined) return undefined;
  return struct(Tag.Attribute, [text(Tag.AttributeName, name), retag(a.value, Tag.AttributeValue)]);
}
