/**
 * The Key Format Type of a key pair the server generates (Create Key Pair, Re-key Key Pair): the
 * value of its Key Format Type attribute, the format Get serves it in when the client names none,
 * and the format its Digest is computed over.
 *
 * KMIP 2.1 §4.26 (Table 81, as 2.0): "Keys have a default Key Format Type that SHALL be produced by
 * KMIP servers"; for RSA Private and Public Keys it is PKCS#1. OASIS AKLC-M-1-20/-21 read Key
 * Format Type PKCS_1 back for both halves of a generated RSA pair, and the Digest of every AKLC
 * vector (1.3 to 2.1) names PKCS_1. The HSM export and the store keep PKCS#8 / X.509 (SPKI); Get
 * converts (objects/key-conversion.ts). Other algorithms keep PKCS#8 / X.509.
 */
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { CryptographicAlgorithm, KeyFormatType } from '../../kmip/generated/index.js';

export interface PairFormats {
  /** The stored (HSM export / SPKI) formats. */
  readonly stored: { readonly privateKey: number; readonly publicKey: number };
  /** The Key Format Type attribute of each half. */
  readonly served: { readonly privateKey: number; readonly publicKey: number };
}

const STORED = { privateKey: KeyFormatType.PKCS_8, publicKey: KeyFormatType.X_509 };

export function pairFormats(algorithm: number | undefined): PairFormats {
  if (algorithm === CryptographicAlgorithm.RSA) return { stored: STORED, served: { privateKey: KeyFormatType.PKCS_1, publicKey: KeyFormatType.PKCS_1 } };
  return { stored: STORED, served: STORED };
}

/** SHA-256 of an SPKI public key in the served format (PKCS#1 RSAPublicKey for RSA). */
export function publicKeyDigest(algorithm: number | undefined, spki: Uint8Array): Buffer {
  if (pairFormats(algorithm).served.publicKey !== KeyFormatType.PKCS_1) return createHash('sha256').update(spki).digest();
  const pkcs1 = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'der', type: 'pkcs1' });
  return createHash('sha256').update(pkcs1).digest();
}

/**
 * SHA-256 of a PKCS#8 private key in the served format (PKCS#1 RSAPrivateKey for RSA). The caller
 * zeroes `pkcs8`; the PKCS#1 copy made here is zeroed before returning.
 */
export function privateKeyDigest(algorithm: number | undefined, pkcs8: Uint8Array): Buffer {
  if (pairFormats(algorithm).served.privateKey !== KeyFormatType.PKCS_1) return createHash('sha256').update(pkcs8).digest();
  const pkcs1 = createPrivateKey({ key: Buffer.from(pkcs8.buffer, pkcs8.byteOffset, pkcs8.byteLength), format: 'der', type: 'pkcs8' }).export({ format: 'der', type: 'pkcs1' });
  try {
    return createHash('sha256').update(pkcs1).digest();
  } finally {
    pkcs1.fill(0);
  }
}
