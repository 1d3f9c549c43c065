/**
 * Checks and templates around C_UnwrapKey of keys wrapped under the master key.
 */
import pkcs11js from 'pkcs11js';
import type { Template } from 'pkcs11js';

import { CryptoError, type KeyRef, type SymmetricAlgorithm } from '../provider.js';
import { type AlgorithmSpec, usageAttributes } from './algorithms.js';
import { HMAC_GENERATE_MAX_BITS, HMAC_IMPORT_MAX_BYTES, plausibleLength } from './key-lengths.js';

/** Largest blob we hand to the HSM: the largest key plus RFC 5649 padding and integrity block. */
const MAX_BLOB_BYTES = Math.max(HMAC_IMPORT_MAX_BYTES, HMAC_GENERATE_MAX_BITS / 8) + 16;

/** Rejects blobs that cannot be RFC 3394/5649 output before they reach the HSM. */
export function checkBlob(ref: KeyRef & { kind: 'wrapped' }): void {
  const n = ref.blob.length;
  if (n < 16 || n > MAX_BLOB_BYTES || n % 8 !== 0) {
    throw new CryptoError('BAD_KEY', 'wrapped key blob has an impossible length');
  }
}

/**
 * Template for the object C_UnwrapKey creates. 'export': extractable and not sensitive, so
 * CKA_VALUE can be read (Get), and destroyed right after. 'use': sensitive, non-extractable,
 * with the algorithm's usage flags (all off when `usage` is false), for the handle cache. Both
 * are private session objects.
 */
export function unwrapTemplate(spec: AlgorithmSpec, purpose: 'export' | 'use', usage = true): Template {
  const exporting = purpose === 'export';
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: spec.keyType },
    { type: pkcs11js.CKA_TOKEN, value: false },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: !exporting },
    { type: pkcs11js.CKA_EXTRACTABLE, value: exporting },
    ...usageAttributes(spec, !exporting && usage),
  ];
}

/**
 * The key value from an unwrapped CKA_VALUE. SoftHSM2 2.6 leaves RFC 5649 zero padding on
 * unwrap, so a value longer than the recorded length must end in zeros and is cut back; any
 * other mismatch means the blob is not the key it claims to be.
 */
export function fitValue(value: Buffer, ref: KeyRef & { kind: 'wrapped' }, algorithm: SymmetricAlgorithm): Buffer {
  const want = ref.valueLength;
  if (want !== undefined) {
    if (value.length < want || value.length - want >= 8) throw badLength();
    for (let i = want; i < value.length; i++) if (value[i] !== 0) throw badLength();
    const out = Buffer.from(value.subarray(0, want));
    if (!plausibleLength(algorithm, out.length)) throw badLength();
    return out;
  }
  if (!plausibleLength(algorithm, value.length)) throw badLength();
  return Buffer.from(value);
}

function badLength(): CryptoError {
  return new CryptoError('BAD_KEY', 'unwrapped key has the wrong length for its algorithm');
}

/**
 * Cache key of an unwrapped object: algorithm (it sets the key type) plus what identifies the key.
 * The wrapped blob itself stands for the key (it is ciphertext under a non-extractable master key,
 * so the string reveals nothing, and checkBlob() bounds it to 528 bytes): cheaper per request than
 * hashing it, and exact rather than collision-free by assumption.
 */
export function cacheKey(ref: KeyRef, algorithm: SymmetricAlgorithm): string {
  if (ref.kind === 'resident') return `${algorithm}:resident:${ref.id}`;
  // The blob as latin1 (one char per byte, exact, cheaper than base64); the label's length
  // keeps a label with ':' from running into the blob.
  const blob = Buffer.from(ref.blob.buffer, ref.blob.byteOffset, ref.blob.length).toString('latin1');
  return `${algorithm}:${ref.mechanism}:${ref.masterKeyLabel.length}:${ref.masterKeyLabel}:${blob}`;
}
