/**
 * What Re-key and Re-key Key Pair share (KMIP 1.4 §4.4–4.5, 2.1 §6.1.45–6.1.46): the replacement
 * key's attributes from the existing key's, the date shift by Offset, and the links both ways.
 * See rekey.ts for the rules.
 */
import type { Attribute } from '../../kmip/attributes.js';
import { KmipError } from '../../kmip/errors.js';
import { LinkType, ResultReason, State, Tag } from '../../kmip/generated/index.js';
import { type ProtocolVersion, is2x } from '../../kmip/protocol-version.js';
import { dateTime, enm, struct, text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { type ManagedObject, withAttribute } from '../objects.js';
import { applyDateTransitions, dateAttr, seconds, touched } from './state.js';
import { usageTotal, withUsageCount } from './usage.js';

/** Set by the server only (1.4 §3 / 2.1 §4 "Initially set by: Server"); refused in the request. */
export const SERVER_ONLY = new Set<number>([
  Tag.UniqueIdentifier,
  Tag.ObjectType,
  Tag.State,
  Tag.InitialDate,
  Tag.LastChangeDate,
  Tag.Digest,
  Tag.DestroyDate,
  Tag.CompromiseDate,
  Tag.CompromiseOccurrenceDate,
  Tag.RevocationReason,
  Tag.ArchiveDate,
  Tag.Fresh,
  Tag.OriginalCreationDate,
  Tag.KeyValueLocation,
  Tag.KeyValuePresent,
  Tag.AlwaysSensitive,
  Tag.NeverExtractable,
  Tag.LeaseTime,
]);

/** Not carried over from the existing key (recomputed or reset for the new one). */
const NOT_COPIED = new Set<number>([
  ...SERVER_ONLY,
  Tag.Name,
  Tag.ActivationDate,
  Tag.ProcessStartDate,
  Tag.ProtectStopDate,
  Tag.DeactivationDate,
  Tag.KeyFormatType,
]);

const DATE_TAGS = [Tag.ProcessStartDate, Tag.ProtectStopDate, Tag.DeactivationDate] as const;

/** The Link Type of a Link attribute, else undefined. */
export function linkType(a: Attribute): number | undefined {
  if (a.vendor !== undefined || a.tag !== Tag.Link || a.value.type !== 'Structure') return undefined;
  const t = a.value.value.find((c) => c.tag === Tag.LinkType);
  return t?.type === 'Enumeration' ? t.value : undefined;
}

function isReplacementLink(a: Attribute): boolean {
  const t = linkType(a);
  return t === LinkType.ReplacementObjectLink || t === LinkType.ReplacedObjectLink;
}

export function link(type: number, uid: string): TtlvNode {
  return struct(Tag.Link, [enm(Tag.LinkType, type), text(Tag.LinkedObjectIdentifier, uid)]);
}

/** The new key's lifecycle dates from the existing key's (see the header). */
export function newDates(old: ManagedObject, offset: number | undefined, now: bigint): TtlvNode[] {
  const out: TtlvNode[] = [];
  if (offset === undefined) {
    for (const tag of [Tag.ActivationDate, ...DATE_TAGS]) {
      const d = dateAttr(old, tag);
      if (d !== undefined) out.push(dateTime(tag, d));
    }
    return out;
  }
  const at1 = dateAttr(old, Tag.ActivationDate);
  const at2 = now + BigInt(offset);
  out.push(dateTime(Tag.ActivationDate, at2));
  if (at1 === undefined) return out;
  for (const tag of DATE_TAGS) {
    const d = dateAttr(old, tag);
    if (d !== undefined) out.push(dateTime(tag, at2 + (d - at1)));
  }
  return out;
}

/** Refuses attributes only the server sets (Read Only Attribute in 2.x, Invalid Field in 1.x). */
export function checkRequestAttributes(version: ProtocolVersion, attrs: readonly Attribute[]): void {
  for (const a of attrs) {
    if (a.vendor === undefined && SERVER_ONLY.has(a.tag)) {
      throw new KmipError(is2x(version) ? ResultReason.ReadOnlyAttribute : ResultReason.InvalidField, 'Attribute is set by the server');
    }
  }
}

/**
 * The replacement of `old`: its attributes per the Re-key table, the server-set ones, `extra`
 * (Key Format Type, the new pair's links, ...), then the request's `overrides` (Name and Link add),
 * with the State its dates give it.
 */
export function successor(
  old: ManagedObject,
  base: Omit<ManagedObject, 'attributes' | 'revision'>,
  opts: { offset: number | undefined; now: Date; version: ProtocolVersion; extra: TtlvNode[]; overrides: readonly Attribute[] },
): ManagedObject {
  const now = seconds(opts.now);
  const copied = old.attributes.filter((a) => a.vendor !== undefined || (!NOT_COPIED.has(a.tag) && !isReplacementLink(a)));
  const names = old.attributes.filter((a) => a.vendor === undefined && a.tag === Tag.Name);
  const serverSet: TtlvNode[] = [
    text(Tag.UniqueIdentifier, base.uid),
    enm(Tag.State, State.PreActive),
    dateTime(Tag.InitialDate, now),
    dateTime(Tag.LastChangeDate, now),
    link(LinkType.ReplacedObjectLink, old.uid),
    ...newDates(old, opts.offset, now),
    ...opts.extra,
  ];
  if (is2x(opts.version)) serverSet.push(dateTime(Tag.OriginalCreationDate, now));
  const replaced = new Set(opts.extra.filter((n) => n.tag !== Tag.Link).map((n) => n.tag));
  let fresh: ManagedObject = {
    ...base,
    revision: 1,
    attributes: [...copied.filter((a) => a.vendor !== undefined || !replaced.has(a.tag)), ...names, ...serverSet.map((value) => ({ tag: value.tag, value }))],
  };
  // Usage Limits: a fresh allowance (Count = Total).
  const total = usageTotal(fresh);
  if (total !== undefined) fresh = withUsageCount(fresh, total);
  for (const a of opts.overrides) {
    if (a.vendor !== undefined) {
      fresh = { ...fresh, attributes: [...fresh.attributes.filter((b) => !(b.vendor === a.vendor && b.vendorName === a.vendorName)), a] };
    } else if (a.tag === Tag.Name || a.tag === Tag.Link) {
      fresh = { ...fresh, attributes: [...fresh.attributes, a] };
    } else {
      fresh = withAttribute(fresh, a.tag, a.value);
    }
  }
  return applyDateTransitions(fresh, opts.now);
}

/** The existing key after a re-key: names moved away, Replacement Object link; State unchanged. */
export function retired(old: ManagedObject, replacementUid: string, now: Date): ManagedObject {
  let prev = withAttribute(old, Tag.Name, undefined);
  prev = {
    ...prev,
    attributes: [
      ...prev.attributes.filter((a) => linkType(a) !== LinkType.ReplacementObjectLink),
      { tag: Tag.Link, value: link(LinkType.ReplacementObjectLink, replacementUid) },
    ],
  };
  return { ...touched(prev, now), revision: old.revision + 1 };
}
