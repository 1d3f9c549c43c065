/** Locate, answered from the store's indexes. */
import type { OperationHandler } from '../types.js';

export const locateOperations: readonly OperationHandler<never, never>[] = [];
