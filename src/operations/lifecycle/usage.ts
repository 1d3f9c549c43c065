/**
 * Usage limits and leases: the server policy that Check, Obtain Lease and Get Usage Allocation
 * apply (KMIP 1.4 §3.20 Lease Time, §3.21 Usage Limits).
 */
import { KmipError } from '../../kmip/errors.js';
import { ResultReason, Tag } from '../../kmip/generated/index.js';
import { type ProtocolVersion, is2x } from '../../kmip/protocol-version.js';
import { long, struct } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { type ManagedObject, attr, attrNumber, withAttribute } from '../objects.js';

/** Server policy: the lease granted when the object has no Lease Time of its own (seconds). */
export const DEFAULT_LEASE_SECONDS = 3600;

/** The lease the server grants for the object: its Lease Time attribute, else the default. */
export function leaseSeconds(obj: ManagedObject): number {
  const v = attr(obj, Tag.LeaseTime);
  return v?.type === 'Interval' ? v.value : (attrNumber(obj, Tag.LeaseTime) ?? DEFAULT_LEASE_SECONDS);
}

function bigField(node: TtlvNode, tag: number): bigint | undefined {
  if (node.type !== 'Structure') return undefined;
  const c = node.value.find((n) => n.tag === tag);
  if (c?.type === 'LongInteger') return c.value;
  if (c?.type === 'Integer') return BigInt(c.value);
  return undefined;
}

/**
 * Remaining usage allowed by the Usage Limits attribute, or undefined when the object has none
 * (no limit). A Usage Limits without a count has its whole total left (1.4 §3.21: the server
 * sets Usage Limits Count to the total when the client does not).
 */
export function remainingUsage(obj: ManagedObject): bigint | undefined {
  const u = attr(obj, Tag.UsageLimits);
  if (u === undefined) return undefined;
  return bigField(u, Tag.UsageLimitsCount) ?? bigField(u, Tag.UsageLimitsTotal);
}

/** The object with its Usage Limits Count set to `count` (the other fields unchanged). */
export function withUsageCount(obj: ManagedObject, count: bigint): ManagedObject {
  const u = attr(obj, Tag.UsageLimits);
  if (u?.type !== 'Structure') return obj;
  const rest = u.value.filter((n) => n.tag !== Tag.UsageLimitsCount);
  const total = rest.findIndex((n) => n.tag === Tag.UsageLimitsTotal);
  const children = [...rest];
  children.splice(total + 1, 0, long(Tag.UsageLimitsCount, count));
  return withAttribute(obj, Tag.UsageLimits, struct(Tag.UsageLimits, children));
}

/** Usage Limit Exceeded (2.x, 2.1 §11.46); 1.x answers Permission Denied (OASIS TC-51-12). */
export function usageLimitExceeded(version: ProtocolVersion, msg: string): KmipError {
  return new KmipError(is2x(version) ? ResultReason.UsageLimitExceeded : ResultReason.PermissionDenied, msg);
}

/** Usage Limits Total of the object, or undefined. */
export function usageTotal(obj: ManagedObject): bigint | undefined {
  const u = attr(obj, Tag.UsageLimits);
  return u === undefined ? undefined : bigField(u, Tag.UsageLimitsTotal);
}
