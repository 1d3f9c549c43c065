/**
 * Check. KMIP 1.4 §4.10, 2.1 §6.1.4. Checks that the object may be used as the request says:
 * - Cryptographic Usage Mask: every requested bit must be in the object's mask (Incompatible
 *   Cryptographic Usage Mask in 2.x, OASIS BL-M-2-21 / BL-M-3-21; Permission Denied in 1.x);
 * - Usage Limits Count: no more than the object's remaining usage (Usage Limit Exceeded /
 *   Permission Denied);
 * - Lease Time: no longer than the lease the server would grant (Permission Denied).
 * On success the Unique Identifier is returned; on failure the ID Placeholder is emptied
 * ("the server empties the ID placeholder and does not return the Unique Identifier").
 */
import { KmipError } from '../../kmip/errors.js';
import { Operation, ResultReason, Tag } from '../../kmip/generated/index.js';
import { text } from '../../ttlv/build.js';
import { defineOperation } from '../types.js';
import { loadCurrent, requireUsage } from './state.js';
import { leaseSeconds, remainingUsage, usageLimitExceeded } from './usage.js';

interface CheckRequest {
  readonly uid: string | undefined;
  readonly usageLimitsCount: bigint | undefined;
  readonly usageMask: number | undefined;
  readonly leaseTime: number | undefined;
}

export default defineOperation<CheckRequest, { uid: string }>({
  operation: Operation.Check,
  decode(payload) {
    return {
      uid: payload?.text(Tag.UniqueIdentifier),
      usageLimitsCount: payload?.opt(Tag.UsageLimitsCount, 'LongInteger')?.value,
      usageMask: payload?.int(Tag.CryptographicUsageMask),
      leaseTime: payload?.opt(Tag.LeaseTime, 'Interval')?.value,
    };
  },
  async handle(ctx, req) {
    const obj = await loadCurrent(ctx, req.uid);
    try {
      if (req.usageMask !== undefined) requireUsage(obj, req.usageMask, ctx.version);
      if (req.usageLimitsCount !== undefined) {
        const left = remainingUsage(obj);
        if (left !== undefined && req.usageLimitsCount > left) throw usageLimitExceeded(ctx.version, 'Check failed: usage limit');
      }
      if (req.leaseTime !== undefined && req.leaseTime > leaseSeconds(obj)) {
        throw new KmipError(ResultReason.PermissionDenied, 'Check failed: lease time');
      }
    } catch (e) {
      ctx.idPlaceholder = undefined;
      throw e;
    }
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid };
  },
  encode(res) {
    return [text(Tag.UniqueIdentifier, res.uid)];
  },
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
