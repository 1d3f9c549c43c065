/**
 * The Locate index vocabulary: which index terms an object carries and how a Locate filter value
 * is encoded to match them. Both sides use {@link attributeField} and {@link encodeAttributeValue},
 * so a filter matches exactly the terms the object was stored under.
 *
 * Every attribute of an object is indexed under `a:<key>` (key: the tag name, or `vendor:name`
 * for vendor / custom attributes, see attributeKey) with an order-preserving value encoding, so
 * equality and date ranges are index lookups (KMIP 2.1 §6.1.27: "matching all attributes").
 * Structure-valued attributes are indexed by their TTLV encoding (presence and exact match);
 * Name additionally under `a:Name` by its Name Value, since Locate by name ignores Name Type.
 */
import { type Attribute, attributeKey } from '../../kmip/attributes.js';
import { State, Tag } from '../../kmip/generated/index.js';
import { encodeIndexInt64, encodeIndexString, encodeIndexUint32 } from '../../store/index-keys.js';
import type { IndexTerm } from '../../store/object-store.js';
import { encodeTtlv } from '../../ttlv/encode.js';
import type { TtlvNode } from '../../ttlv/types.js';

/** Storage status of an object (KMIP 2.1 §12.3 Storage Status Mask): `storage` term values. */
export const STORAGE_ONLINE = encodeIndexString('online');
export const STORAGE_DESTROYED = encodeIndexString('destroyed');
export const STORAGE_ARCHIVED = encodeIndexString('archived');

/** The index field of an attribute. */
export function attributeField(a: Pick<Attribute, 'tag' | 'vendor' | 'vendorName'>): string {
  return `a:${attributeKey(a)}`;
}

/**
 * Order-preserving encoding of an attribute value, or undefined when the type is not indexed
 * (Big Integer). Integer is signed 32-bit, so it goes through the signed 64-bit encoding.
 */
export function encodeAttributeValue(tag: number, v: TtlvNode): Uint8Array | undefined {
  switch (v.type) {
    case 'TextString':
      return encodeIndexString(v.value);
    case 'Enumeration':
      return encodeIndexUint32(v.value >>> 0);
    case 'Integer':
      return encodeIndexInt64(BigInt(v.value));
    case 'LongInteger':
    case 'DateTime':
    case 'DateTimeExtended':
      return encodeIndexInt64(v.value);
    case 'Interval':
      return encodeIndexInt64(BigInt(v.value));
    case 'Boolean':
      return Uint8Array.of(v.value ? 1 : 0);
    case 'ByteString':
      return v.value;
    case 'Structure':
      if (tag === Tag.Name) {
        const nv = v.value.find((c) => c.tag === Tag.NameValue);
        return nv?.type === 'TextString' ? encodeIndexString(nv.value) : undefined;
      }
      return encodeTtlv({ ...v, tag });
    default:
      return undefined;
  }
}

/** The generic terms of a list of attributes, plus the storage status. */
export function attributeTerms(attributes: readonly Attribute[], state: number | undefined): IndexTerm[] {
  const out: IndexTerm[] = [];
  const seen = new Set<string>();
  for (const a of attributes) {
    const value = encodeAttributeValue(a.tag, a.value);
    if (value === undefined) continue;
    const field = attributeField(a);
    const k = `${field}\0${Buffer.from(value).toString('latin1')}`;
    if (seen.has(k)) continue; // the store wants each term once
    seen.add(k);
    out.push({ field, value });
  }
  // KMIP 1.4 §3.18: an object without an Operation Policy Name is under the default policy.
  if (!attributes.some((a) => a.tag === Tag.OperationPolicyName && a.vendor === undefined)) {
    out.push({ field: attributeField({ tag: Tag.OperationPolicyName }), value: encodeIndexString('default') });
  }
  const destroyed = state === State.Destroyed || state === State.DestroyedCompromised;
  // Archive (KMIP 1.4 §4.22) marks an object by its Archive Date until Recover removes it.
  const archived = attributes.some((a) => a.tag === Tag.ArchiveDate && a.vendor === undefined);
  out.push({ field: 'storage', value: destroyed ? STORAGE_DESTROYED : archived ? STORAGE_ARCHIVED : STORAGE_ONLINE });
  return out;
}
