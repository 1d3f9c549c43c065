/** Cryptographic services (Encrypt, Decrypt, MAC, MAC Verify, Hash, RNG Retrieve, RNG Seed). */
import type { OperationHandler } from '../types.js';
import decrypt from './decrypt.js';
import deriveKey from './derive-key.js';
import encrypt from './encrypt.js';
import hash from './hash.js';
import { mac, macVerify } from './mac.js';
import { rngRetrieve, rngSeed } from './rng.js';
import sign from './sign.js';
import signatureVerify from './signature-verify.js';

export const cryptoOperations: readonly OperationHandler<never, never>[] = [
  encrypt,
  decrypt,
  mac,
  macVerify,
  hash,
  rngRetrieve,
  rngSeed,
  sign,
  signatureVerify,
  deriveKey,
] as unknown as OperationHandler<never, never>[];
