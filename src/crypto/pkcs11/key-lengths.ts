/**
 * Key sizes we accept per algorithm. Pure (no pkcs11js), so the in-memory fake provider applies
 * exactly the same rules as the HSM provider.
 */
import { CryptoError, type SymmetricAlgorithm } from '../provider.js';

/** Every algorithm the providers implement. */
export const SYMMETRIC_ALGORITHMS: readonly SymmetricAlgorithm[] = [
  'AES',
  'TDES',
  'HMAC-SHA1',
  'HMAC-SHA256',
  'HMAC-SHA384',
  'HMAC-SHA512',
  'GENERIC-SECRET',
];

/**
 * Smallest HMAC key we generate: the hash output length (RFC 2104 §3 advises no less, and
 * SoftHSM2 refuses shorter keys for CKM_SHA*_HMAC: its minKeySize is the output length).
 */
export const HMAC_GENERATE_MIN_BITS: Readonly<Record<string, number>> = {
  'HMAC-SHA1': 160,
  'HMAC-SHA256': 256,
  'HMAC-SHA384': 384,
  'HMAC-SHA512': 512,
};
/** Largest HMAC key we generate; SoftHSM2's CKM_SHA*_HMAC maxKeySize is 512 bytes. */
export const HMAC_GENERATE_MAX_BITS = 4096;
/**
 * HMAC keys a client registers are theirs (RFC 4231 uses a 4-byte key); we only cap the size.
 * Keys shorter than the hash output can be stored and returned, but SoftHSM2 will not MAC with them.
 */
export const HMAC_IMPORT_MAX_BYTES = 512;

/** UNSUPPORTED unless the algorithm is one we implement. */
export function checkAlgorithm(algorithm: SymmetricAlgorithm): void {
  if (!SYMMETRIC_ALGORITHMS.includes(algorithm)) {
    throw new CryptoError('UNSUPPORTED', `unsupported algorithm ${String(algorithm)}`);
  }
}

/**
 * Key size in bytes for a KMIP Cryptographic Length in bits, or CryptoError('UNSUPPORTED').
 * TDES: KMIP counts the 168 effective bits or the 192 stored bits; both mean a 24-byte
 * three-key DES3 key (PKCS#11 v2.40 CKK_DES3). Two-key TDES (112/128) is not offered.
 */
export function generateLengthBytes(algorithm: SymmetricAlgorithm, lengthBits: number): number {
  checkAlgorithm(algorithm);
  const bad = (): CryptoError =>
    new CryptoError('UNSUPPORTED', `unsupported cryptographic length ${lengthBits} for ${algorithm}`);
  if (!Number.isSafeInteger(lengthBits)) throw bad();
  switch (algorithm) {
    case 'AES':
      if (lengthBits === 128 || lengthBits === 192 || lengthBits === 256) return lengthBits / 8;
      throw bad();
    case 'TDES':
      if (lengthBits === 168 || lengthBits === 192) return 24;
      throw bad();
    case 'GENERIC-SECRET':
      // Each algorithm's own lengths are checked by the caller (operations/create.ts).
      if (lengthBits % 8 === 0 && lengthBits >= 8 && lengthBits <= HMAC_GENERATE_MAX_BITS) return lengthBits / 8;
      throw bad();
    default:
      if (lengthBits % 8 === 0 && lengthBits >= (HMAC_GENERATE_MIN_BITS[algorithm] ?? Infinity) && lengthBits <= HMAC_GENERATE_MAX_BITS) {
        return lengthBits / 8;
      }
      throw bad();
  }
}

/** Checks the size of client-supplied key material; UNSUPPORTED when it cannot be that key. */
export function checkImportLength(algorithm: SymmetricAlgorithm, bytes: number): void {
  if (!plausibleLength(algorithm, bytes)) {
    throw new CryptoError('UNSUPPORTED', `unsupported key material length ${bytes * 8} bits for ${algorithm}`);
  }
}

/** Whether a key value of this many bytes can be a key of the algorithm. */
export function plausibleLength(algorithm: SymmetricAlgorithm, bytes: number): boolean {
  checkAlgorithm(algorithm);
  if (algorithm === 'AES') return bytes === 16 || bytes === 24 || bytes === 32;
  if (algorithm === 'TDES') return bytes === 24;
  return bytes >= 1 && bytes <= HMAC_IMPORT_MAX_BYTES;
}
