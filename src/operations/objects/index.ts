/** Object operations beyond symmetric Create/Get/Destroy (Register, Create Key Pair, Re-key Key Pair). */
import type { OperationHandler } from '../types.js';
import createKeyPair from './create-key-pair.js';
import { exportOp, importOp } from './import-export.js';
import register from './register.js';
import { createSplitKey, joinSplitKey } from './split-key.js';

// Register (KMIP 1.4 §4.3, 2.1 §6.1.43).
const registerOperations = [register] as unknown as OperationHandler<never, never>[];
// Create Key Pair (KMIP 1.4 §4.2, 2.1 §6.1.13).
const keyPairOperations = [createKeyPair] as unknown as OperationHandler<never, never>[];

// Create Split Key / Join Split Key (KMIP 1.4 §4.38-4.39, 2.1 §6.1.14, §6.1.27).
const splitOperations = [createSplitKey, joinSplitKey] as unknown as OperationHandler<never, never>[];

// Import / Export (KMIP 1.4 §4.28-4.29, 2.1 §6.1.22, §6.1.24).
const importExportOperations = [importOp, exportOp] as unknown as OperationHandler<never, never>[];

export const objectOperations: readonly OperationHandler<never, never>[] = [
  ...registerOperations,
  ...keyPairOperations,
  ...splitOperations,
  ...importExportOperations,
];
