/** Cryptographic services (Encrypt, Decrypt, Sign, Signature Verify, MAC, MAC Verify, Hash, RNG). */
import type { OperationHandler } from '../types.js';

export const cryptoOperations: readonly OperationHandler<never, never>[] = [];
