/** Lifecycle operations (Activate, Revoke, Archive, Recover, Check, Obtain Lease, Get Usage Allocation, Re-key, Re-key Key Pair). */
import type { OperationHandler } from '../types.js';
import activate from './activate.js';
import { archive, recover } from './archive.js';
import check from './check.js';
import { getUsageAllocation, obtainLease } from './lease.js';
import rekey from './rekey.js';
import rekeyKeyPair from './rekey-key-pair.js';
import revoke from './revoke.js';

export const lifecycleOperations: readonly OperationHandler<never, never>[] = [
  activate,
  revoke,
  archive,
  recover,
  check,
  obtainLease,
  getUsageAllocation,
  rekey,
  rekeyKeyPair,
] as unknown as OperationHandler<never, never>[];

export {
  applyDateTransitions,
  effectiveState,
  isArchived,
  loadCurrent,
  objectArchived,
  requireUsableState,
  requireUsage,
  storageStatus,
  wrongState,
} from './state.js';
