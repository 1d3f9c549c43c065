/** Cryptographic services (Encrypt, Decrypt, MAC, MAC Verify, Hash, RNG Retrieve, RNG Seed). */
import type { OperationHandler } from '../types.js';
import decrypt from './decrypt.js';
import encrypt from './encrypt.js';
import hash from './hash.js';
import { mac, macVerify } from './mac.js';
import { rngRetrieve, rngSeed } from './rng.js';

export const cryptoOperations: readonly OperationHandler<never, never>[] = [
  encrypt,
  decrypt,
  mac,
  macVerify,
  hash,
  rngRetrieve,
  rngSeed,
] as unknown as OperationHandler<never, never>[];
