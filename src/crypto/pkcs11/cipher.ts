/**
 * Symmetric crypto with a key object lent by withUnwrappedKey(): block-cipher encrypt/decrypt
 * (AES, TDES) and HMAC, in the terms KMIP's Encrypt/Decrypt/MAC/MAC Verify use (KMIP 2.1
 * §6.1.18, §6.1.12, §6.1.29, §6.1.30; Cryptographic Parameters §11.3). The C_Encrypt, C_Decrypt,
 * C_Sign and C_Verify steps run on libuv worker threads (the *Async calls); the *Init calls are
 * quick and stay synchronous.
 */
import { randomBytes } from 'node:crypto';

import pkcs11js from 'pkcs11js';
import type { Mechanism } from 'pkcs11js';

import { CryptoError, type SymmetricAlgorithm } from '../provider.js';
import { p11, p11Async } from './ckr.js';
import type { UnwrappedKey } from './pkcs11-provider.js';

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

const HMAC_MECHANISMS: Partial<Record<SymmetricAlgorithm, number>> = {
  'HMAC-SHA1': pkcs11js.CKM_SHA_1_HMAC,
  'HMAC-SHA256': pkcs11js.CKM_SHA256_HMAC,
  'HMAC-SHA384': pkcs11js.CKM_SHA384_HMAC,
  'HMAC-SHA512': pkcs11js.CKM_SHA512_HMAC,
};

function unsupported(msg: string): CryptoError {
  return new CryptoError('UNSUPPORTED', msg);
}

function checkInput(data: Uint8Array): void {
  if (data.length > MAX_CIPHER_INPUT_BYTES) throw unsupported(`data longer than ${MAX_CIPHER_INPUT_BYTES} bytes`);
}

/** The PKCS#11 mechanism for a cipher request, and the IV it uses. */
function cipherMechanism(algorithm: SymmetricAlgorithm, p: CipherParams, iv: Buffer | undefined): Mechanism {
  if (algorithm !== 'AES' && algorithm !== 'TDES') throw unsupported(`${algorithm} is not a block cipher`);
  const aes = algorithm === 'AES';
  const pad = (p.padding ?? 'none') === 'PKCS5';
  if (pad && p.mode !== 'CBC') throw unsupported(`padding is only offered with CBC`);
  switch (p.mode) {
    case 'ECB':
      return { mechanism: aes ? pkcs11js.CKM_AES_ECB : pkcs11js.CKM_DES3_ECB };
    case 'CBC': {
      const mechanism = aes ? (pad ? pkcs11js.CKM_AES_CBC_PAD : pkcs11js.CKM_AES_CBC) : pad ? pkcs11js.CKM_DES3_CBC_PAD : pkcs11js.CKM_DES3_CBC;
      return { mechanism, parameter: iv as Buffer };
    }
    case 'GCM': {
      if (!aes) throw unsupported('GCM needs AES');
      const tagLength = p.tagLength ?? 16;
      if (!Number.isInteger(tagLength) || tagLength < 12 || tagLength > 16) throw unsupported('GCM tag length must be 12..16 bytes');
      // CK_GCM_PARAMS as in PKCS#11 v2.40 (with ulIvBits), which SoftHSM2 2.6 implements.
      const parameter = {
        type: pkcs11js.CK_PARAMS_AES_GCM_v240,
        iv: iv as Buffer,
        ivBits: (iv as Buffer).length * 8,
        aad: Buffer.from(p.aad ?? new Uint8Array(0)),
        tagBits: tagLength * 8,
      };
      return { mechanism: pkcs11js.CKM_AES_GCM, parameter };
    }
    default:
      throw unsupported(`unsupported block cipher mode ${String(p.mode)}`);
  }
}

/** The IV a request uses: the caller's (checked), a fresh random one, or none (ECB). */
function ivFor(algorithm: SymmetricAlgorithm, p: CipherParams, encrypting: boolean): Buffer | undefined {
  if (p.mode === 'ECB') {
    if (p.iv !== undefined) throw unsupported('ECB takes no IV');
    return undefined;
  }
  const block = algorithm === 'TDES' ? 8 : 16;
  if (p.iv === undefined) {
    if (!encrypting) throw unsupported(`${p.mode} decryption needs the IV`);
    return randomBytes(p.mode === 'GCM' ? 12 : block); // SP 800-38D §8.2: 96-bit GCM IVs
  }
  const ok = p.mode === 'GCM' ? p.iv.length >= 1 && p.iv.length <= 128 : p.iv.length === block;
  if (!ok) throw unsupported(`bad IV length ${p.iv.length} for ${algorithm}-${p.mode}`);
  return Buffer.from(p.iv);
}

/** Encrypts with the lent key. For GCM the tag is split off the PKCS#11 output (ciphertext||tag). */
export async function encryptWith(key: UnwrappedKey, algorithm: SymmetricAlgorithm, p: CipherParams, data: Uint8Array): Promise<EncryptResult> {
  checkInput(data);
  const iv = ivFor(algorithm, p, true);
  const mechanism = cipherMechanism(algorithm, p, iv);
  p11('crypto', () => key.mod.C_EncryptInit(key.session, mechanism, key.handle));
  const out = await p11Async('crypto', () => key.mod.C_EncryptAsync(key.session, Buffer.from(data), Buffer.alloc(data.length + 32)));
  if (p.mode !== 'GCM') return { data: Uint8Array.from(out), ...(iv ? { iv: Uint8Array.from(iv) } : {}) };
  const tagLength = p.tagLength ?? 16;
  return {
    data: Uint8Array.from(out.subarray(0, out.length - tagLength)),
    tag: Uint8Array.from(out.subarray(out.length - tagLength)),
    iv: Uint8Array.from(iv as Buffer),
  };
}

/**
 * Decrypts with the lent key. A GCM tag that does not verify, or bad CBC padding, comes back
 * from the module as CKR_ENCRYPTED_DATA_INVALID and so as CryptoError('BAD_KEY').
 */
export async function decryptWith(
  key: UnwrappedKey,
  algorithm: SymmetricAlgorithm,
  p: CipherParams,
  data: Uint8Array,
  tag?: Uint8Array,
): Promise<Uint8Array> {
  checkInput(data);
  if (p.mode === 'GCM' && (tag === undefined || tag.length !== (p.tagLength ?? tag.length))) {
    throw unsupported('GCM decryption needs the authentication tag');
  }
  const params = p.mode === 'GCM' ? { ...p, tagLength: (tag as Uint8Array).length } : p;
  const iv = ivFor(algorithm, params, false);
  const mechanism = cipherMechanism(algorithm, params, iv);
  const input = p.mode === 'GCM' ? Buffer.concat([data, tag as Uint8Array]) : Buffer.from(data);
  p11('crypto', () => key.mod.C_DecryptInit(key.session, mechanism, key.handle));
  const out = await p11Async('decrypt', () => key.mod.C_DecryptAsync(key.session, input, Buffer.alloc(input.length + 32)));
  return Uint8Array.from(out);
}

function hmacMechanism(algorithm: SymmetricAlgorithm): Mechanism {
  const mechanism = HMAC_MECHANISMS[algorithm];
  if (mechanism === undefined) throw unsupported(`${algorithm} is not an HMAC algorithm`);
  return { mechanism };
}

/** HMAC of `data` with the lent key (C_Sign with CKM_SHA*_HMAC). */
export async function macWith(key: UnwrappedKey, algorithm: SymmetricAlgorithm, data: Uint8Array): Promise<Uint8Array> {
  checkInput(data);
  p11('crypto', () => key.mod.C_SignInit(key.session, hmacMechanism(algorithm), key.handle));
  return Uint8Array.from(await p11Async('crypto', () => key.mod.C_SignAsync(key.session, Buffer.from(data), Buffer.alloc(64))));
}

/** Whether `mac` is the HMAC of `data` (C_Verify: constant-time compare inside the module). */
export async function macVerifyWith(key: UnwrappedKey, algorithm: SymmetricAlgorithm, data: Uint8Array, mac: Uint8Array): Promise<boolean> {
  checkInput(data);
  if (mac.length === 0 || mac.length > 64) return false;
  p11('crypto', () => key.mod.C_VerifyInit(key.session, hmacMechanism(algorithm), key.handle));
  try {
    return await p11Async('crypto', () => key.mod.C_VerifyAsync(key.session, Buffer.from(data), Buffer.from(mac)));
  } catch (err) {
    // PKCS#11 v2.40 §5.13: a wrong MAC or MAC length is an answer, not a failure.
    if (err instanceof CryptoError && (err.ckr === pkcs11js.CKR_SIGNATURE_INVALID || err.ckr === pkcs11js.CKR_SIGNATURE_LEN_RANGE)) {
      return false;
    }
    throw err;
  }
}
