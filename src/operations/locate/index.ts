/** Locate, answered from the store's indexes. */
import type { OperationHandler } from '../types.js';
import locate from './locate.js';

export const locateOperations: readonly OperationHandler<never, never>[] = [locate] as unknown as OperationHandler<never, never>[];
