/**
 * The operation table: every handler kmipd has. The dispatcher answers any other operation with
 * Operation Not Supported. New operations are added here and nowhere else.
 */
import create from './create.js';
import destroy from './destroy.js';
import discoverVersions from './discover-versions.js';
import get from './get.js';
import query from './query.js';
import type { OperationHandler } from './types.js';

export const operations: readonly OperationHandler<never, never>[] = [
  discoverVersions,
  query,
  create,
  get,
  destroy,
] as unknown as OperationHandler<never, never>[];
