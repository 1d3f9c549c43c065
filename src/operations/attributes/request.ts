/**
 * Decoding the attribute an Add / Set / Modify / Delete request names, in either form: the 1.x
 * `Attribute` {Attribute Name, Attribute Index?, Attribute Value} (KMIP 1.4 §2.1.1) or the 2.x
 * `New Attribute` / `Current Attribute` holding one attribute by tag, or a vendor `Attribute`
 * (KMIP 2.1 §6.1.2, §7.2). Real clients mix the forms across versions, so both are read.
 */
import { type Attribute, decodeV1Attribute, decodeV2Attribute } from '../../kmip/attributes.js';
import { invalidField, missingData } from '../../kmip/errors.js';
import { Fields, tagLabel } from '../../kmip/fields.js';
import { Tag } from '../../kmip/generated/index.js';
import type { TtlvNode } from '../../ttlv/types.js';

export interface IndexedAttribute {
  readonly attr: Attribute;
  /** 1.x Attribute Index when the request carried one. */
  readonly index?: number;
}

/** A 1.x `Attribute` structure with its index. */
export function decodeV1(node: TtlvNode): IndexedAttribute {
  const attr = decodeV1Attribute(node);
  const index = new Fields(node, 'Attribute').int(Tag.AttributeIndex);
  if (index !== undefined && index < 0) throw invalidField('Attribute Index must not be negative');
  return index === undefined ? { attr } : { attr, index };
}

/** The single attribute inside a 2.x `New Attribute` / `Current Attribute`. */
export function decodeWrapped(node: TtlvNode): Attribute {
  if (node.type !== 'Structure') throw invalidField(`${tagLabel(node.tag)} must be a Structure`);
  if (node.value.length !== 1) throw invalidField(`${tagLabel(node.tag)} must hold exactly one attribute`);
  return decodeV2Attribute(node.value[0]!);
}

/** The attribute to add / set / modify: `New Attribute` (2.x) or `Attribute` (1.x). */
export function decodeNew(payload: Fields | undefined, what: string): IndexedAttribute {
  const wrapped = payload?.opt(Tag.NewAttribute, 'Structure');
  if (wrapped !== undefined) return { attr: decodeWrapped(wrapped) };
  const v1 = payload?.opt(Tag.Attribute, 'Structure');
  if (v1 !== undefined) return decodeV1(v1);
  throw missingData(`${what} needs New Attribute (2.x) or Attribute (1.x)`);
}

export function decodeCurrent(payload: Fields | undefined): Attribute | undefined {
  const n = payload?.opt(Tag.CurrentAttribute, 'Structure');
  return n === undefined ? undefined : decodeWrapped(n);
}
