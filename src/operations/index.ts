/**
 * The operation table: every handler kmipd has. The dispatcher answers any other operation with
 * Operation Not Supported. Each group registers its handlers in its own index file.
 */
import { attributeOperations } from './attributes/index.js';
import create from './create.js';
import { cryptoOperations } from './crypto/index.js';
import destroy from './destroy.js';
import discoverVersions from './discover-versions.js';
import get from './get.js';
import interop from './interop.js';
import { lifecycleOperations } from './lifecycle/index.js';
import { locateOperations } from './locate/index.js';
import log from './log.js';
import { objectOperations } from './objects/index.js';
import pkcs11 from './pkcs11.js';
import query from './query.js';
import type { OperationHandler } from './types.js';

const core = [discoverVersions, query, create, get, destroy, interop, log, pkcs11] as unknown as OperationHandler<never, never>[];

export const operations: readonly OperationHandler<never, never>[] = [
  ...core,
  ...attributeOperations,
  ...lifecycleOperations,
  ...objectOperations,
  ...locateOperations,
  ...cryptoOperations,
];
