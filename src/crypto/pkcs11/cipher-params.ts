/**
 * Validation of symmetric cipher and MAC requests, shared by the PKCS#11 provider and the
 * in-memory fake (pure: no pkcs11js), so both accept and refuse exactly the same requests.
 * Terms follow KMIP Cryptographic Parameters (KMIP 2.1 §11.3); refusals are CipherParamError.
 */
import { randomBytes } from 'node:crypto';

import {
  type CipherMode,
  type CipherParams,
  CipherParamError,
  type CipherProblem,
  type HashAlgorithm,
  MAX_CIPHER_INPUT_BYTES,
} from '../cipher.js';
import { GCM_IV_BYTES, gcmIvs } from '../gcm-iv.js';
import type { SymmetricAlgorithm } from '../provider.js';

export type { CipherMode, CipherParams, EncryptResult } from '../cipher.js';
export { MAX_CIPHER_INPUT_BYTES } from '../cipher.js';

/** A checked cipher request. */
export interface ResolvedCipher {
  readonly algorithm: 'AES' | 'TDES';
  readonly mode: CipherMode;
  /** PKCS#5/#7 padding: the module's *_CBC_PAD for CBC; added and checked by us for ECB. */
  readonly pad: boolean;
  readonly blockSize: number;
  /** Absent for ECB. */
  readonly iv: Buffer | undefined;
  readonly aad: Buffer;
  /** GCM only; 0 otherwise. */
  readonly tagLength: number;
}

function refuse(problem: CipherProblem, msg: string): CipherParamError {
  return new CipherParamError(problem, msg);
}

/** The AAD of a request without one (never written to: the module only reads it). */
const NO_AAD = Buffer.alloc(0);

const MODES: ReadonlySet<string> = new Set(['ECB', 'CBC', 'CTR', 'GCM']);

/**
 * Checks a cipher request and settles its IV: the caller's, or (encrypting) a fresh one: 96 bits
 * for GCM, unique by construction (gcm-iv.ts, SP 800-38D §8.2.1); one random block for CBC and
 * CTR (the initial counter block, whose whole 128 bits count, SP 800-38A §B.1). `tag` is the GCM tag given to a decryption.
 */
export function resolveCipher(
  algorithm: SymmetricAlgorithm,
  p: CipherParams,
  data: Uint8Array,
  direction: 'encrypt' | 'decrypt',
  tag?: Uint8Array,
): ResolvedCipher {
  if (algorithm !== 'AES' && algorithm !== 'TDES') throw refuse('algorithm', `${algorithm} is not a block cipher`);
  if (!MODES.has(p.mode)) throw refuse('mode', `unsupported block cipher mode ${String(p.mode)}`);
  if (data.length > MAX_CIPHER_INPUT_BYTES) throw refuse('data-length', `data longer than ${MAX_CIPHER_INPUT_BYTES} bytes`);
  const blockSize = algorithm === 'AES' ? 16 : 8;
  const pad = (p.padding ?? 'none') === 'PKCS5';
  if (pad && p.mode !== 'CBC' && p.mode !== 'ECB') throw refuse('mode', 'PKCS#5 padding is only offered with ECB and CBC');
  if ((p.mode === 'GCM' || p.mode === 'CTR') && algorithm !== 'AES') throw refuse('algorithm', `${p.mode} needs AES`);
  if (p.mode !== 'GCM' && (p.aad !== undefined || p.tagLength !== undefined)) throw refuse('mode', `${p.mode} takes no AAD or tag`);
  // Without padding, ECB and CBC work on whole blocks only; so does every padded ciphertext.
  if ((p.mode === 'ECB' || p.mode === 'CBC') && (!pad || direction === 'decrypt') && data.length % blockSize !== 0) {
    throw refuse('data-length', `data must be a multiple of ${blockSize} bytes for ${algorithm}-${p.mode} without padding`);
  }

  let tagLength = 0;
  if (p.mode === 'GCM') {
    if (direction === 'decrypt' && tag === undefined) throw refuse('missing-tag', 'GCM decryption needs the authentication tag');
    tagLength = direction === 'decrypt' && tag !== undefined ? tag.length : (p.tagLength ?? 16);
    if (p.tagLength !== undefined && p.tagLength !== tagLength) throw refuse('tag-length', 'GCM tag length does not match the tag');
    // SP 800-38D §5.2.1.2: 128, 120, 112, 104 or 96 bits (the 32- and 64-bit tags need extra care; not offered).
    if (!Number.isInteger(tagLength) || tagLength < 12 || tagLength > 16) throw refuse('tag-length', 'GCM tag length must be 12..16 bytes');
  }

  let iv: Buffer | undefined;
  if (p.mode === 'ECB') {
    if (p.iv !== undefined) throw refuse('iv', 'ECB takes no IV');
  } else if (p.iv === undefined) {
    if (direction === 'decrypt') throw refuse('missing-iv', `${p.mode} decryption needs the IV`);
    const n = p.ivLength ?? (p.mode === 'GCM' ? 12 : blockSize);
    if (p.mode === 'GCM' ? !Number.isInteger(n) || n < 1 || n > 128 : n !== blockSize) throw refuse('iv', `bad IV length ${n} for ${algorithm}-${p.mode}`);
    // 96-bit GCM IVs: deterministic and unique (gcm-iv.ts, SP 800-38D §8.2.1); others random.
    iv = p.mode === 'GCM' && n === GCM_IV_BYTES ? gcmIvs.next() : randomBytes(n);
  } else {
    const ok = p.mode === 'GCM' ? p.iv.length >= 1 && p.iv.length <= 128 : p.iv.length === blockSize;
    if (!ok) throw refuse('iv', `bad IV length ${p.iv.length} for ${algorithm}-${p.mode}`);
    iv = Buffer.from(p.iv);
  }
  return { algorithm, mode: p.mode, pad, blockSize, iv, aad: p.aad === undefined ? NO_AAD : Buffer.from(p.aad), tagLength };
}

/** PKCS#7 padding to whole blocks (RFC 5652 §6.3), for ECB, which PKCS#11 has no *_PAD for. */
export function addPadding(data: Uint8Array, blockSize: number): Buffer {
  const n = blockSize - (data.length % blockSize);
  return Buffer.concat([data, Buffer.alloc(n, n)]);
}

/** Strips PKCS#7 padding; undefined when it is malformed (the caller answers a cryptographic failure). */
export function stripPadding(data: Buffer, blockSize: number): Buffer | undefined {
  const n = data.length > 0 ? (data[data.length - 1] as number) : 0;
  if (n < 1 || n > blockSize || n > data.length) return undefined;
  let bad = 0;
  for (let i = data.length - n; i < data.length; i++) bad |= (data[i] as number) ^ n;
  return bad === 0 ? data.subarray(0, data.length - n) : undefined;
}

export type HmacHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** How a MAC request with this algorithm is computed: HMAC with a hash, or CMAC with a block cipher. */
export function macKind(algorithm: SymmetricAlgorithm): { kind: 'hmac'; hash: HmacHash } | { kind: 'cmac'; cipher: 'AES' | 'TDES' } {
  switch (algorithm) {
    case 'HMAC-SHA1':
      return { kind: 'hmac', hash: 'sha1' };
    case 'HMAC-SHA256':
      return { kind: 'hmac', hash: 'sha256' };
    case 'HMAC-SHA384':
      return { kind: 'hmac', hash: 'sha384' };
    case 'HMAC-SHA512':
      return { kind: 'hmac', hash: 'sha512' };
    case 'AES':
    case 'TDES':
      return { kind: 'cmac', cipher: algorithm };
    default:
      throw refuse('algorithm', `${String(algorithm)} cannot compute a MAC`);
  }
}

/** The hash of an HMAC algorithm (node:crypto name); CipherParamError for anything else. */
export function hmacHash(algorithm: SymmetricAlgorithm): HmacHash {
  const k = macKind(algorithm);
  if (k.kind !== 'hmac') throw refuse('algorithm', `${algorithm} is not an HMAC algorithm`);
  return k.hash;
}

/** Checks MAC, hash and seed input size. */
export function checkMacInput(data: Uint8Array): void {
  if (data.length > MAX_CIPHER_INPUT_BYTES) throw refuse('data-length', `data longer than ${MAX_CIPHER_INPUT_BYTES} bytes`);
}

/** node:crypto name of a hash. */
export function nodeHashName(algorithm: HashAlgorithm): string {
  switch (algorithm) {
    case 'SHA-1':
      return 'sha1';
    case 'SHA-224':
      return 'sha224';
    case 'SHA-256':
      return 'sha256';
    case 'SHA-384':
      return 'sha384';
    case 'SHA-512':
      return 'sha512';
    default:
      throw refuse('algorithm', `unsupported hash ${String(algorithm)}`);
  }
}
