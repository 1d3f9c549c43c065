/** Attribute operations (Get Attributes, Get Attribute List, Add / Set / Modify / Delete Attribute). */
import type { OperationHandler } from '../types.js';

export const attributeOperations: readonly OperationHandler<never, never>[] = [];
