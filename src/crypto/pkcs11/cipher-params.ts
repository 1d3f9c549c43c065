/**
 * Validation of symmetric cipher and MAC requests, shared by the PKCS#11 provider and the
 * in-memory fake (pure: no pkcs11js), so both accept and refuse exactly the same requests.
 * Terms follow KMIP Cryptographic Parameters (KMIP 2.1 §11.3).
 */
import { randomBytes } from 'node:crypto';

import { CryptoError, type SymmetricAlgorithm } from '../provider.js';

/** Block cipher modes offered. CTR is left out: its PKCS#11 parameter is a raw C struct. */
export type CipherMode = 'ECB' | 'CBC' | 'GCM';

/** KMIP Cryptographic Parameters that matter to a symmetric cipher. */
export interface CipherParams {
  readonly mode: CipherMode;
  /** 'PKCS5' is PKCS#5/#7 padding (PKCS#11 *_CBC_PAD); CBC only. Default 'none'. */
  readonly padding?: 'none' | 'PKCS5';
  /** IV or nonce; generated (and returned) when absent on encrypt. */
  readonly iv?: Uint8Array;
  /** GCM additional authenticated data. */
  readonly aad?: Uint8Array;
  /** GCM tag length in bytes, 12..16; default 16. */
  readonly tagLength?: number;
}

export interface EncryptResult {
  readonly data: Uint8Array;
  /** The IV used, when the mode has one (KMIP returns it if the server generated it). */
  readonly iv?: Uint8Array;
  /** GCM authentication tag (KMIP Authenticated Encryption Tag). */
  readonly tag?: Uint8Array;
}

/** Largest input to one call: bounds worker-thread time and the output buffer. */
export const MAX_CIPHER_INPUT_BYTES = 4 * 1024 * 1024;

/** A checked cipher request. */
export interface ResolvedCipher {
  readonly algorithm: 'AES' | 'TDES';
  readonly mode: CipherMode;
  readonly pad: boolean;
  readonly blockSize: number;
  /** Absent for ECB. */
  readonly iv: Buffer | undefined;
  readonly aad: Buffer;
  /** GCM only; 0 otherwise. */
  readonly tagLength: number;
}

function unsupported(msg: string): CryptoError {
  return new CryptoError('UNSUPPORTED', msg);
}

/**
 * Checks a cipher request and settles its IV: the caller's, or (encrypting) a fresh random one;
 * 96 bits for GCM (SP 800-38D §8.2). `tag` is the GCM tag given to a decryption.
 */
export function resolveCipher(
  algorithm: SymmetricAlgorithm,
  p: CipherParams,
  data: Uint8Array,
  direction: 'encrypt' | 'decrypt',
  tag?: Uint8Array,
): ResolvedCipher {
  if (algorithm !== 'AES' && algorithm !== 'TDES') throw unsupported(`${algorithm} is not a block cipher`);
  if (p.mode !== 'ECB' && p.mode !== 'CBC' && p.mode !== 'GCM') throw unsupported(`unsupported block cipher mode ${String(p.mode)}`);
  if (data.length > MAX_CIPHER_INPUT_BYTES) throw unsupported(`data longer than ${MAX_CIPHER_INPUT_BYTES} bytes`);
  const blockSize = algorithm === 'AES' ? 16 : 8;
  const pad = (p.padding ?? 'none') === 'PKCS5';
  if (pad && p.mode !== 'CBC') throw unsupported('padding is only offered with CBC');
  if (p.mode === 'GCM' && algorithm !== 'AES') throw unsupported('GCM needs AES');
  if (p.mode !== 'GCM' && (p.aad !== undefined || p.tagLength !== undefined)) throw unsupported(`${p.mode} takes no AAD or tag`);
  // Without padding, ECB and CBC work on whole blocks only; so does every padded ciphertext.
  if (p.mode !== 'GCM' && (!pad || direction === 'decrypt') && data.length % blockSize !== 0) {
    throw unsupported(`data must be a multiple of ${blockSize} bytes for ${algorithm}-${p.mode} without padding`);
  }

  let tagLength = 0;
  if (p.mode === 'GCM') {
    tagLength = direction === 'decrypt' && tag !== undefined ? tag.length : (p.tagLength ?? 16);
    if (p.tagLength !== undefined && p.tagLength !== tagLength) throw unsupported('GCM tag length does not match the tag');
    if (!Number.isInteger(tagLength) || tagLength < 12 || tagLength > 16) throw unsupported('GCM tag length must be 12..16 bytes');
    if (direction === 'decrypt' && tag === undefined) throw unsupported('GCM decryption needs the authentication tag');
  }

  let iv: Buffer | undefined;
  if (p.mode === 'ECB') {
    if (p.iv !== undefined) throw unsupported('ECB takes no IV');
  } else if (p.iv === undefined) {
    if (direction === 'decrypt') throw unsupported(`${p.mode} decryption needs the IV`);
    iv = randomBytes(p.mode === 'GCM' ? 12 : blockSize);
  } else {
    const ok = p.mode === 'GCM' ? p.iv.length >= 1 && p.iv.length <= 128 : p.iv.length === blockSize;
    if (!ok) throw unsupported(`bad IV length ${p.iv.length} for ${algorithm}-${p.mode}`);
    iv = Buffer.from(p.iv);
  }
  return { algorithm, mode: p.mode, pad, blockSize, iv, aad: Buffer.from(p.aad ?? new Uint8Array(0)), tagLength };
}

/** The hash of an HMAC algorithm (node:crypto name), or UNSUPPORTED. */
export function hmacHash(algorithm: SymmetricAlgorithm): 'sha1' | 'sha256' | 'sha384' | 'sha512' {
  switch (algorithm) {
    case 'HMAC-SHA1':
      return 'sha1';
    case 'HMAC-SHA256':
      return 'sha256';
    case 'HMAC-SHA384':
      return 'sha384';
    case 'HMAC-SHA512':
      return 'sha512';
    default:
      throw unsupported(`${algorithm} is not an HMAC algorithm`);
  }
}

/** Checks MAC input size. */
export function checkMacInput(data: Uint8Array): void {
  if (data.length > MAX_CIPHER_INPUT_BYTES) throw unsupported(`data longer than ${MAX_CIPHER_INPUT_BYTES} bytes`);
}
