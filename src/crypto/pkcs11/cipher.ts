/**
 * Symmetric crypto with a key object lent by withUnwrappedKey(): block-cipher encrypt/decrypt
 * (AES, TDES) and HMAC, in the terms KMIP's Encrypt/Decrypt/MAC/MAC Verify use (KMIP 2.1
 * §6.1.18, §6.1.12, §6.1.29, §6.1.30). Requests are checked by cipher-params.ts. The C_Encrypt,
 * C_Decrypt, C_Sign and C_Verify steps run on libuv worker threads (the *Async calls); the
 * *Init calls are quick and stay synchronous.
 */
import pkcs11js from 'pkcs11js';
import type { Mechanism } from 'pkcs11js';

import { CryptoError, type SymmetricAlgorithm } from '../provider.js';
import {
  type CipherParams,
  checkMacInput,
  type EncryptResult,
  hmacHash,
  resolveCipher,
  type ResolvedCipher,
} from './cipher-params.js';
import { p11, p11Async } from './ckr.js';
import type { UnwrappedKey } from './pkcs11-provider.js';

const HMAC_MECHANISMS = {
  sha1: pkcs11js.CKM_SHA_1_HMAC,
  sha256: pkcs11js.CKM_SHA256_HMAC,
  sha384: pkcs11js.CKM_SHA384_HMAC,
  sha512: pkcs11js.CKM_SHA512_HMAC,
} as const;

/** The PKCS#11 mechanism of a checked cipher request. */
function cipherMechanism(c: ResolvedCipher): Mechanism {
  const aes = c.algorithm === 'AES';
  switch (c.mode) {
    case 'ECB':
      return { mechanism: aes ? pkcs11js.CKM_AES_ECB : pkcs11js.CKM_DES3_ECB };
    case 'CBC': {
      const mechanism = aes
        ? c.pad
          ? pkcs11js.CKM_AES_CBC_PAD
          : pkcs11js.CKM_AES_CBC
        : c.pad
          ? pkcs11js.CKM_DES3_CBC_PAD
          : pkcs11js.CKM_DES3_CBC;
      return { mechanism, parameter: c.iv as Buffer };
    }
    case 'GCM': {
      const iv = c.iv as Buffer;
      // CK_GCM_PARAMS as in PKCS#11 v2.40 (with ulIvBits), which SoftHSM2 2.6 implements.
      const parameter = { type: pkcs11js.CK_PARAMS_AES_GCM_v240, iv, ivBits: iv.length * 8, aad: c.aad, tagBits: c.tagLength * 8 };
      return { mechanism: pkcs11js.CKM_AES_GCM, parameter };
    }
  }
}

/** Encrypts with the lent key. For GCM the tag is split off the PKCS#11 output (ciphertext||tag). */
export async function encryptWith(key: UnwrappedKey, algorithm: SymmetricAlgorithm, p: CipherParams, data: Uint8Array): Promise<EncryptResult> {
  const c = resolveCipher(algorithm, p, data, 'encrypt');
  p11('crypto', () => key.mod.C_EncryptInit(key.session, cipherMechanism(c), key.handle));
  const out = await p11Async('crypto', () => key.mod.C_EncryptAsync(key.session, Buffer.from(data), Buffer.alloc(data.length + 32)));
  const iv = c.iv ? { iv: Uint8Array.from(c.iv) } : {};
  if (c.mode !== 'GCM') return { data: Uint8Array.from(out), ...iv };
  const cut = out.length - c.tagLength;
  return { data: Uint8Array.from(out.subarray(0, cut)), tag: Uint8Array.from(out.subarray(cut)), ...iv };
}

/**
 * Decrypts with the lent key. A GCM tag that does not verify, or bad CBC padding, is refused by
 * the module and comes back as CryptoError('BAD_KEY').
 */
export async function decryptWith(
  key: UnwrappedKey,
  algorithm: SymmetricAlgorithm,
  p: CipherParams,
  data: Uint8Array,
  tag?: Uint8Array,
): Promise<Uint8Array> {
  const c = resolveCipher(algorithm, p, data, 'decrypt', tag);
  const input = c.mode === 'GCM' ? Buffer.concat([data, tag as Uint8Array]) : Buffer.from(data);
  p11('crypto', () => key.mod.C_DecryptInit(key.session, cipherMechanism(c), key.handle));
  const out = await p11Async('decrypt', () => key.mod.C_DecryptAsync(key.session, input, Buffer.alloc(input.length + 32)));
  return Uint8Array.from(out);
}

/** HMAC of `data` with the lent key (C_Sign with CKM_SHA*_HMAC). */
export async function macWith(key: UnwrappedKey, algorithm: SymmetricAlgorithm, data: Uint8Array): Promise<Uint8Array> {
  const mechanism = HMAC_MECHANISMS[hmacHash(algorithm)];
  checkMacInput(data);
  p11('crypto', () => key.mod.C_SignInit(key.session, { mechanism }, key.handle));
  return Uint8Array.from(await p11Async('crypto', () => key.mod.C_SignAsync(key.session, Buffer.from(data), Buffer.alloc(64))));
}

/** Whether `mac` is the HMAC of `data` (C_Verify: the comparison happens inside the module). */
export async function macVerifyWith(key: UnwrappedKey, algorithm: SymmetricAlgorithm, data: Uint8Array, mac: Uint8Array): Promise<boolean> {
  const mechanism = HMAC_MECHANISMS[hmacHash(algorithm)];
  checkMacInput(data);
  if (mac.length === 0 || mac.length > 64) return false;
  p11('crypto', () => key.mod.C_VerifyInit(key.session, { mechanism }, key.handle));
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
