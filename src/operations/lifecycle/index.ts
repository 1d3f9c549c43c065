/** Lifecycle operations (Activate, Revoke, Archive, Recover, Check, Obtain Lease, Get Usage Allocation, Re-key). */
import type { OperationHandler } from '../types.js';

export const lifecycleOperations: readonly OperationHandler<never, never>[] = [];
