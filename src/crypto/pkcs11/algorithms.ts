/**
 * KMIP symmetric algorithms in PKCS#11 terms: key type, generation mechanism, and what an
 * object of the key may be used for. Accepted lengths are in key-lengths.ts.
 */
import pkcs11js from 'pkcs11js';
import type { Template } from 'pkcs11js';

import { CryptoError, type SymmetricAlgorithm } from '../provider.js';

export interface AlgorithmSpec {
  readonly keyType: number;
  readonly genMechanism: number;
  /** What an unwrapped or resident object of this key may do. */
  readonly usage: 'cipher' | 'mac';
}

const SPECS: Readonly<Record<SymmetricAlgorithm, AlgorithmSpec>> = {
  AES: { keyType: pkcs11js.CKK_AES, genMechanism: pkcs11js.CKM_AES_KEY_GEN, usage: 'cipher' },
  TDES: { keyType: pkcs11js.CKK_DES3, genMechanism: pkcs11js.CKM_DES3_KEY_GEN, usage: 'cipher' },
  // Generic secrets: SoftHSM2 and most HSMs run every CKM_SHA*_HMAC with CKK_GENERIC_SECRET.
  'HMAC-SHA1': { keyType: pkcs11js.CKK_GENERIC_SECRET, genMechanism: pkcs11js.CKM_GENERIC_SECRET_KEY_GEN, usage: 'mac' },
  'HMAC-SHA256': { keyType: pkcs11js.CKK_GENERIC_SECRET, genMechanism: pkcs11js.CKM_GENERIC_SECRET_KEY_GEN, usage: 'mac' },
  'HMAC-SHA384': { keyType: pkcs11js.CKK_GENERIC_SECRET, genMechanism: pkcs11js.CKM_GENERIC_SECRET_KEY_GEN, usage: 'mac' },
  'HMAC-SHA512': { keyType: pkcs11js.CKK_GENERIC_SECRET, genMechanism: pkcs11js.CKM_GENERIC_SECRET_KEY_GEN, usage: 'mac' },
  // Keys of algorithms the module does not implement: stored and served only (provider.ts).
  'GENERIC-SECRET': { keyType: pkcs11js.CKK_GENERIC_SECRET, genMechanism: pkcs11js.CKM_GENERIC_SECRET_KEY_GEN, usage: 'mac' },
};

/** The PKCS#11 description of an algorithm; UNSUPPORTED for anything else. */
export function specOf(algorithm: SymmetricAlgorithm): AlgorithmSpec {
  const spec = (SPECS as Record<string, AlgorithmSpec | undefined>)[algorithm];
  if (!spec) throw new CryptoError('UNSUPPORTED', `unsupported algorithm ${String(algorithm)}`);
  return spec;
}

/** CKA_ENCRYPT/DECRYPT or CKA_SIGN/VERIFY, as the algorithm needs (v2.40 §4.7 secret keys). */
export function usageAttributes(spec: AlgorithmSpec, enabled: boolean): Template {
  return spec.usage === 'cipher'
    ? [
        { type: pkcs11js.CKA_ENCRYPT, value: enabled },
        { type: pkcs11js.CKA_DECRYPT, value: enabled },
      ]
    : [
        { type: pkcs11js.CKA_SIGN, value: enabled },
        { type: pkcs11js.CKA_VERIFY, value: enabled },
      ];
}

/** The wrap mechanisms we know, by the name a KeyRef records. */
export const WRAP_MECHANISMS: Readonly<Record<string, number>> = {
  // RFC 5649, any key length. Preferred.
  CKM_AES_KEY_WRAP_PAD: pkcs11js.CKM_AES_KEY_WRAP_PAD,
  // RFC 3394, key lengths that are multiples of 8 bytes only.
  CKM_AES_KEY_WRAP: pkcs11js.CKM_AES_KEY_WRAP,
};
