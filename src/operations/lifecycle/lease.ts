/**
 * Obtain Lease (KMIP 1.4 §4.17, 2.1 §6.1.33) and Get Usage Allocation (1.4 §4.18, 2.1 §6.1.25).
 *
 * Obtain Lease grants the object's lease (its Lease Time, else the server default) to an Active
 * object and returns it with the Last Change Date, so the client can tell whether its cached
 * attributes are current. Any other State gets no lease (OASIS TC-95-12: Permission Denied for a
 * Compromised key at 1.x; Wrong Key Lifecycle State at 2.x).
 *
 * Get Usage Allocation takes the requested Usage Limits Count off the object's remaining usage
 * (Usage Limits, 1.4 §3.21); more than is left is refused (OASIS TC-51-12: Permission Denied at
 * 1.x; Usage Limit Exceeded at 2.x). An object without Usage Limits has no limit. Only an object
 * that may protect data (Active, before its Protect Stop Date) gets an allocation.
 */
import { invalidField, missingData } from '../../kmip/errors.js';
import { Operation, State, Tag } from '../../kmip/generated/index.js';
import { dateTime, interval, text } from '../../ttlv/build.js';
import { objectState, saveObject } from '../objects.js';
import { defineOperation } from '../types.js';
import { dateAttr, loadCurrent, requireUsableState, seconds, touched, wrongState } from './state.js';
import { leaseSeconds, remainingUsage, usageLimitExceeded, withUsageCount } from './usage.js';

type UidRequest = { uid: string | undefined };

export const obtainLease = defineOperation<UidRequest, { uid: string; lease: number; lastChange: bigint }>({
  operation: Operation.ObtainLease,
  decode(payload) {
    return { uid: payload?.text(Tag.UniqueIdentifier) };
  },
  async handle(ctx, req) {
    const obj = await loadCurrent(ctx, req.uid);
    if (objectState(obj) !== State.Active) throw wrongState(ctx.version, 'No lease is given for an object that is not Active');
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid, lease: leaseSeconds(obj), lastChange: dateAttr(obj, Tag.LastChangeDate) ?? seconds(ctx.now) };
  },
  encode(res) {
    return [text(Tag.UniqueIdentifier, res.uid), interval(Tag.LeaseTime, res.lease), dateTime(Tag.LastChangeDate, res.lastChange)];
  },
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});

export const getUsageAllocation = defineOperation<UidRequest & { count: bigint }, { uid: string }>({
  operation: Operation.GetUsageAllocation,
  decode(payload) {
    const count = payload?.opt(Tag.UsageLimitsCount, 'LongInteger')?.value;
    if (count === undefined) throw missingData('Get Usage Allocation needs a Usage Limits Count');
    if (count <= 0n) throw invalidField('Usage Limits Count must be positive');
    return { uid: payload?.text(Tag.UniqueIdentifier), count };
  },
  async handle(ctx, req) {
    const obj = await loadCurrent(ctx, req.uid);
    // The allocation is for applying protection: only an Active object before its Protect Stop
    // Date may do that (1.4 §3.22, §3.26).
    requireUsableState(ctx.version, obj, 'protect', ctx.now);
    const left = remainingUsage(obj);
    if (left !== undefined) {
      if (req.count > left) throw usageLimitExceeded(ctx.version, 'Unable to allocate the requested amount');
      saveObject(ctx, { ...touched(withUsageCount(obj, left - req.count), ctx.now), revision: obj.revision + 1 });
    }
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid };
  },
  encode(res) {
    return [text(Tag.UniqueIdentifier, res.uid)];
  },
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
