/** Object operations beyond symmetric Create/Get/Destroy (Register, Create Key Pair, Re-key Key Pair). */
import type { OperationHandler } from '../types.js';

export const objectOperations: readonly OperationHandler<never, never>[] = [];
