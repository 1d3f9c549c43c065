/**
 * Locate. KMIP 1.4 §4.9, 2.1 §6.1.27. Finds the requesting principal's objects that match every
 * attribute in the request, answered from the store's secondary indexes (terms.ts):
 * - each attribute is an equality condition on its index term; two instances of a Date-Time
 *   attribute are an inclusive range (2.1 §6.1.27: "two instances ... a range");
 * - Name matches by Name Value (any Name Type), vendor / custom attributes (x-, y-) by value;
 * - State matches the effective State (date-driven transitions applied, lifecycle/state.ts);
 * - Cryptographic Usage Mask matches objects that have at least the requested bits (2.1 §6.1.27);
 * - Operation Policy Name (1.x) "default" also matches objects that name no policy, since they
 *   fall under the server's default policy (1.4 §3.18; PyKMIP's suite relies on it);
 * - a Structure attribute other than Name (Link, Cryptographic Parameters, ...) needs the object to
 *   have that attribute (index) and then a same-tag attribute holding every given field (checked
 *   on the few candidates);
 * - Storage Status Mask: on-line objects by default; Archival Storage asks for archived objects
 *   (Archive), Destroyed Storage (2.x) for destroyed ones;
 * - Object Group Member: Group Member Fresh adds Fresh = True; Group Member Default returns the
 *   group's default object, which we define as its most recent member (the first in our order);
 * - Offset Items (1.3+) skips, Maximum Items caps; Located Items (1.3+, 2.x), the count before
 *   both, is returned when the request had Offset Items (as the OASIS TC-OFFSET vectors show).
 * Order: ascending Unique Identifier, and uids are made to sort newest first (objects.ts newUid),
 * so results list the most recently created objects first, stable across calls.
 * Objects staged earlier in the same request (batch) are seen too. The first uid found becomes the
 * ID Placeholder (2.1 §6.1.27).
 */
import { type Attribute, decodeRequestAttributes } from '../../kmip/attributes.js';
import { invalidField } from '../../kmip/errors.js';
import { ObjectGroupMember, Operation, StorageStatusMask, Tag } from '../../kmip/generated/index.js';
import { atLeast } from '../../kmip/protocol-version.js';
import { encodeIndexString } from '../../store/index-keys.js';
import { termMatches } from '../../store/locate.js';
import type { IndexCondition, StoredObject } from '../../store/object-store.js';
import { int, text } from '../../ttlv/build.js';
import { encodeTtlv } from '../../ttlv/encode.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { applyDateTransitions } from '../lifecycle/state.js';
import { objectCacheFor } from '../object-cache.js';
import { deserializeObject } from '../objects.js';
import { type RequestContext, defineOperation } from '../types.js';
import { STORAGE_ARCHIVED, STORAGE_DESTROYED, STORAGE_ONLINE, attributeField, encodeAttributeValue } from './terms.js';

/** Storage Status Mask bits and their `storage` index terms (KMIP 2.1 §12.3). */
const STORAGE: readonly (readonly [number, Uint8Array])[] = [
  [StorageStatusMask.OnLineStorage, STORAGE_ONLINE],
  [StorageStatusMask.ArchivalStorage, STORAGE_ARCHIVED],
  [StorageStatusMask.DestroyedStorage, STORAGE_DESTROYED],
];

interface LocateRequest {
  readonly maximumItems?: number;
  readonly offsetItems?: number;
  readonly storageStatusMask?: number;
  readonly objectGroupMember?: number;
  readonly attributes: Attribute[];
}

interface LocateResponse {
  /** Total matches before paging, reported only when the request paged (see encode). */
  readonly located?: number;
  readonly uids: string[];
}

/** A filter checked on candidate objects after the index lookup. */
type Residual = Attribute;

function nonNegative(v: number | undefined, what: string): number | undefined {
  if (v !== undefined && v < 0) throw invalidField(`${what} must not be negative`);
  return v;
}

/**
 * Attributes whose values most objects share: their conditions are marked `broad`, so the store
 * checks them per candidate of a more selective condition (a Name, a custom attribute) instead of
 * walking their index ranges (src/store/locate.ts). The owner and storage-status conditions
 * Locate adds itself are broad too.
 */
const BROAD_TAGS: ReadonlySet<number> = new Set([
  Tag.ObjectType,
  Tag.CryptographicAlgorithm,
  Tag.CryptographicLength,
  Tag.KeyFormatType,
  Tag.Fresh,
  Tag.OperationPolicyName,
]);

/** Index conditions and residual checks for the request's attributes. */
export function buildConditions(attributes: readonly Attribute[]): { conditions: IndexCondition[]; residual: Residual[] } {
  const conditions: IndexCondition[] = [];
  const residual: Residual[] = [];
  const byField = new Map<string, Attribute[]>();
  for (const a of attributes) {
    const f = attributeField(a);
    byField.set(f, [...(byField.get(f) ?? []), a]);
  }
  for (const [field, list] of byField) {
    const dates = list.filter((a) => a.value.type === 'DateTime' || a.value.type === 'DateTimeExtended');
    if (dates.length === 2 && list.length === 2) {
      // Two instances of a date attribute: the inclusive range between them.
      const [a, b] = dates.map((d) => encodeAttributeValue(d.tag, d.value)!) as [Uint8Array, Uint8Array];
      const [from, to] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
      conditions.push({ field, from, to });
      continue;
    }
    for (const a of list) {
      // KMIP 2.1 §6.1.27: a Cryptographic Usage Mask matches when the candidate has every
      // requested bit (mask AND candidate == mask), so it is checked on the candidates.
      // State is kept as last written and advanced by its dates when read (lifecycle/state.ts), so
      // a State filter is checked on the candidates against the effective State.
      const onCandidates = a.vendor === undefined && (a.tag === Tag.CryptographicUsageMask || a.tag === Tag.State);
      if ((a.value.type === 'Structure' && a.tag !== Tag.Name) || onCandidates) {
        conditions.push({ field });
        residual.push(a);
        continue;
      }
      const v = encodeAttributeValue(a.tag, a.value);
      if (v === undefined) {
        conditions.push({ field });
        residual.push(a);
      } else {
        conditions.push(a.vendor === undefined && BROAD_TAGS.has(a.tag) ? { field, equals: v, broad: true } : { field, equals: v });
      }
    }
  }
  return { conditions, residual };
}

/** Whether `have` holds every field of `want` (a structure filter) or equals it (others). */
function covers(want: TtlvNode, have: TtlvNode): boolean {
  if (want.type === 'Structure' && have.type === 'Structure') {
    return want.value.every((w) => have.value.some((h) => h.tag === w.tag && covers(w, h)));
  }
  return encodeTtlv({ ...want, tag: 0x420000 }).equals(encodeTtlv({ ...have, tag: 0x420000 }));
}

function matches(want: Attribute, have: Attribute): boolean {
  if (attributeField(want) !== attributeField(have)) return false;
  if (want.tag === Tag.CryptographicUsageMask && want.vendor === undefined) {
    return want.value.type === 'Integer' && have.value.type === 'Integer' && (want.value.value & have.value.value) === want.value.value;
  }
  return covers(want.value, have.value);
}

function residualMatch(ctx: RequestContext, stored: StoredObject, residual: readonly Residual[]): boolean {
  // Through the decoded-object cache, which is exact for the stored bytes just read (object-cache.ts).
  const obj = applyDateTransitions(objectCacheFor(ctx.store).load(stored, deserializeObject), ctx.now);
  return residual.every((r) => obj.attributes.some((a) => matches(r, a)));
}

/** Uids the store finds, reconciled with what this request has staged (puts and deletes). */
async function find(ctx: RequestContext, conditions: readonly IndexCondition[], residual: readonly Residual[]): Promise<string[]> {
  const staged = ctx.tx.changes();
  const found = await ctx.store.locate(conditions);
  const out = new Set<string>(found);
  for (const uid of staged.delete) out.delete(uid);
  for (const p of staged.put) {
    out.delete(p.uid);
    if (conditions.every((c) => p.index.some((t) => termMatches(t, c)))) out.add(p.uid);
  }
  let uids = [...out];
  if (staged.put.length > 0 || staged.delete.length > 0) uids.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  if (residual.length > 0) {
    const kept: string[] = [];
    for (const uid of uids) {
      const obj = await ctx.tx.get(uid);
      if (obj !== undefined && residualMatch(ctx, obj, residual)) kept.push(uid);
    }
    uids = kept;
  }
  return uids;
}

export default defineOperation<LocateRequest, LocateResponse>({
  operation: Operation.Locate,
  decode(payload) {
    if (payload === undefined) return { attributes: [] };
    return {
      maximumItems: nonNegative(payload.int(Tag.MaximumItems), 'Maximum Items'),
      offsetItems: nonNegative(payload.int(Tag.OffsetItems), 'Offset Items'),
      storageStatusMask: payload.int(Tag.StorageStatusMask),
      objectGroupMember: payload.enum(Tag.ObjectGroupMember),
      attributes: decodeRequestAttributes(payload),
    };
  },
  async handle(ctx, req) {
    const { conditions, residual } = buildConditions(req.attributes);
    conditions.push({ field: 'owner', equals: encodeIndexString(ctx.principal), broad: true });
    if (req.objectGroupMember === ObjectGroupMember.GroupMemberFresh) {
      conditions.push({ field: attributeField({ tag: Tag.Fresh }), equals: Uint8Array.of(1), broad: true });
    }
    const mask = req.storageStatusMask || StorageStatusMask.OnLineStorage;
    const statuses = STORAGE.filter(([bit]) => (mask & bit) !== 0).map(([, term]) => term);
    let all: string[];
    if (statuses.length === STORAGE.length) all = await find(ctx, conditions, residual);
    else {
      // One index lookup per requested storage status, merged in uid order.
      const parts = await Promise.all(statuses.map((s) => find(ctx, [...conditions, { field: 'storage', equals: s, broad: true }], residual)));
      all = parts.flat().sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    }
    if (req.objectGroupMember === ObjectGroupMember.GroupMemberDefault) all = all.slice(0, 1);
    const offset = req.offsetItems ?? 0;
    const uids = all.slice(offset, req.maximumItems === undefined ? undefined : offset + req.maximumItems);
    if (uids[0] !== undefined) ctx.idPlaceholder = uids[0];
    return { ...(req.offsetItems !== undefined ? { located: all.length } : {}), uids };
  },
  encode(res, ctx) {
    const out: TtlvNode[] = [];
    // Located Items (1.3+) accompanies requests with Offset Items, as in the OASIS vectors
    // (TC-OFFSET-1: present with Offset Items; absent with Maximum Items alone, TC-CREG-2).
    if (res.located !== undefined && atLeast(ctx.version, 1, 3)) out.push(int(Tag.LocatedItems, res.located));
    for (const uid of res.uids) out.push(text(Tag.UniqueIdentifier, uid));
    return out;
  },
  uids: (_req, res) => res?.uids ?? [],
});
