/**
 * Re-key (symmetric keys). KMIP 1.4 §4.4, 2.1 §6.1.45. A new key is generated in the HSM with the
 * existing key's algorithm and length and a new Unique Identifier; the existing key keeps its
 * identifier and its State. Attributes follow the spec's Re-key table:
 * - copied from the existing key: everything the client set (Cryptographic Usage Mask, custom /
 *   vendor attributes, Object Group, Contact Information, ...), Links other than the replacement
 *   links;
 * - Name: the existing key's names move to the new key (they are removed from the existing one),
 *   plus any Name in the request (OASIS TC-REKEY-1-14);
 * - Initial Date and Last Change Date: now; Digest, Fresh, Lease Time, Destroy / Compromise /
 *   Archive dates, Revocation Reason: not copied;
 * - Usage Limits: Total copied, Count reset to the Total;
 * - dates: without Offset, Activation, Process Start, Protect Stop and Deactivation Date are copied;
 *   with Offset, Activation Date = Initial Date + Offset and each other date keeps its distance from
 *   the Activation Date (AT2 = IT2 + Offset, CT2 = AT2 + (CT1 - AT1), ...);
 * - State: Pre-Active, or what the new dates make it (see state.ts);
 * - Link: Replaced Object on the new key -> existing key; Replacement Object on the existing key
 *   -> new key.
 * Attributes in the request (Template-Attribute / Attributes) override the copied ones; those only
 * the server sets are refused as in Create, and the algorithm and length cannot change.
 */
import { type Attribute, decodeRequestAttributes } from '../../kmip/attributes.js';
import { KmipError, featureNotSupported, invalidField } from '../../kmip/errors.js';
import { KeyFormatType, LinkType, ObjectType, Operation, ResultReason, State, Tag } from '../../kmip/generated/index.js';
import { is2x } from '../../kmip/protocol-version.js';
import { dateTime, enm, struct, text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { type ManagedObject, attrNumber, newUid, saveObject, withAttribute } from '../objects.js';
import { defineOperation } from '../types.js';
import { applyDateTransitions, dateAttr, loadCurrent, seconds, touched } from './state.js';
import { usageTotal, withUsageCount } from './usage.js';

interface ReKeyRequest {
  readonly uid: string | undefined;
  readonly offset: number | undefined;
  readonly attributes: Attribute[];
}

/** Set by the server only (1.4 §3 / 2.1 §4 "Initially set by: Server"); refused in the request. */
const SERVER_ONLY = new Set<number>([
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
function linkType(a: Attribute): number | undefined {
  if (a.vendor !== undefined || a.tag !== Tag.Link || a.value.type !== 'Structure') return undefined;
  const t = a.value.value.find((c) => c.tag === Tag.LinkType);
  return t?.type === 'Enumeration' ? t.value : undefined;
}

function isReplacementLink(a: Attribute): boolean {
  const t = linkType(a);
  return t === LinkType.ReplacementObjectLink || t === LinkType.ReplacedObjectLink;
}

function link(type: number, uid: string): TtlvNode {
  return struct(Tag.Link, [enm(Tag.LinkType, type), text(Tag.LinkedObjectIdentifier, uid)]);
}

/** The new key's lifecycle dates from the existing key's (see the header). */
function newDates(old: ManagedObject, offset: number | undefined, now: bigint): TtlvNode[] {
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

export default defineOperation<ReKeyRequest, { uid: string }>({
  operation: Operation.ReKey,
  decode(payload) {
    return {
      uid: payload?.text(Tag.UniqueIdentifier),
      offset: payload?.opt(Tag.Offset, 'Interval')?.value,
      attributes: payload === undefined ? [] : decodeRequestAttributes(payload),
    };
  },
  async handle(ctx, req) {
    for (const a of req.attributes) {
      if (a.vendor === undefined && SERVER_ONLY.has(a.tag)) {
        throw new KmipError(is2x(ctx.version) ? ResultReason.ReadOnlyAttribute : ResultReason.InvalidField, 'Attribute is set by the server');
      }
    }
    const old = await loadCurrent(ctx, req.uid);
    if (old.objectType !== ObjectType.SymmetricKey) {
      // Re-key Key Pair re-keys asymmetric keys (1.4 §4.5); 1.x gets Invalid Field from the batch layer.
      throw new KmipError(ResultReason.InvalidObjectType, 'Re-key applies to symmetric keys');
    }
    if (old.key === undefined) throw featureNotSupported('Re-key needs a key generated or held by the HSM');
    const length = attrNumber(old, Tag.CryptographicLength);
    if (length === undefined) throw featureNotSupported('The existing key has no Cryptographic Length');
    for (const tag of [Tag.CryptographicAlgorithm, Tag.CryptographicLength]) {
      const want = attrNumber({ attributes: req.attributes }, tag);
      if (want !== undefined && want !== attrNumber(old, tag)) throw invalidField('Re-key keeps the algorithm and length of the existing key');
    }

    const ref = await ctx.crypto.generateSymmetricKey({
      algorithm: old.key.algorithm,
      lengthBits: length,
      extractable: old.key.ref.kind !== 'resident',
    });
    const uid = newUid(ctx.now);
    const now = seconds(ctx.now);

    const copied = old.attributes.filter((a) => a.vendor !== undefined || (!NOT_COPIED.has(a.tag) && !isReplacementLink(a)));
    const names = old.attributes.filter((a) => a.vendor === undefined && a.tag === Tag.Name);
    const serverSet: TtlvNode[] = [
      text(Tag.UniqueIdentifier, uid),
      enm(Tag.State, State.PreActive),
      dateTime(Tag.InitialDate, now),
      dateTime(Tag.LastChangeDate, now),
      enm(Tag.KeyFormatType, KeyFormatType.Raw),
      link(LinkType.ReplacedObjectLink, old.uid),
      ...newDates(old, req.offset, now),
    ];
    if (is2x(ctx.version)) serverSet.push(dateTime(Tag.OriginalCreationDate, now));
    let fresh: ManagedObject = {
      uid,
      owner: old.owner,
      revision: 1,
      objectType: ObjectType.SymmetricKey,
      attributes: [...copied, ...names, ...serverSet.map((value) => ({ tag: value.tag, value }))],
      key: { ref, algorithm: old.key.algorithm },
    };
    // Usage Limits: a fresh allowance (Count = Total).
    const total = usageTotal(fresh);
    if (total !== undefined) fresh = withUsageCount(fresh, total);
    // Request attributes override the copied ones; Name and Link add (they are multi-valued).
    for (const a of req.attributes) {
      if (a.vendor !== undefined) {
        fresh = { ...fresh, attributes: [...fresh.attributes.filter((b) => !(b.vendor === a.vendor && b.vendorName === a.vendorName)), a] };
      } else if (a.tag === Tag.Name || a.tag === Tag.Link) {
        fresh = { ...fresh, attributes: [...fresh.attributes, a] };
      } else {
        fresh = withAttribute(fresh, a.tag, a.value);
      }
    }
    saveObject(ctx, applyDateTransitions(fresh, ctx.now));

    // The existing key: names moved away, Replacement Object link to the new key; State unchanged.
    let prev = withAttribute(old, Tag.Name, undefined);
    prev = { ...prev, attributes: [...prev.attributes.filter((a) => linkType(a) !== LinkType.ReplacementObjectLink), { tag: Tag.Link, value: link(LinkType.ReplacementObjectLink, uid) }] };
    saveObject(ctx, { ...touched(prev, ctx.now), revision: old.revision + 1 });

    ctx.idPlaceholder = uid;
    return { uid };
  },
  encode(res) {
    return [text(Tag.UniqueIdentifier, res.uid)];
  },
  uids: (req, res) => (res ? [...(req.uid ? [req.uid] : []), res.uid] : req.uid ? [req.uid] : []),
});
