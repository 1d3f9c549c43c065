/**
 * Symmetric crypto with a key object lent by withUnwrappedKey(): block-cipher encrypt/decrypt
 * (AES ECB/CBC/CTR/GCM, TDES ECB/CBC), HMAC and CMAC, in the terms KMIP's Encrypt/Decrypt/MAC/MAC
 * Verify use (KMIP 2.1 §6.1.18, §6.1.12, §6.1.29, §6.1.30); and Hash and RNG Seed in a borrowed
 * session (§6.1.23, §6.1.45). Requests are checked by cipher-params.ts. The *Init calls and
 * C_SeedRandom are synchronous (pkcs11js has no async *Init). C_Encrypt, C_Decrypt, C_Sign and
 * C_Verify of inputs up to SYNC_MAX_BYTES are synchronous too, larger ones (and C_Digest) run on
 * libuv worker threads (the *Async calls): handing a small job to the pool cost more event-loop
 * time than doing it (SoftHSM2, AES-GCM 64 B: ~33 µs of loop time per operation async against
 * ~18 µs sync; 4 KiB: ~42 against ~26; BENCHMARKS.md, crypto section). Running init and call
 * together on a worker_threads thread was measured too and cost more CPU than it saved.
 *
 * Mechanisms, as SoftHSM2 2.6 lists them (`pkcs11-tool -M`): CKM_AES_ECB/CBC/CBC_PAD/CTR/GCM,
 * CKM_DES3_ECB/CBC/CBC_PAD, CKM_SHA*_HMAC, CKM_AES_CMAC, CKM_DES3_CMAC, CKM_SHA_1..CKM_SHA512.
 */
import pkcs11js from 'pkcs11js';
import type { Handle, Mechanism, PKCS11 } from 'pkcs11js';

import { CipherParamError, HASH_LENGTHS, type HashAlgorithm, MAX_SEED_BYTES } from '../cipher.js';
import { CryptoError, type SymmetricAlgorithm } from '../provider.js';
import {
  addPadding,
  type CipherParams,
  checkMacInput,
  type EncryptResult,
  macKind,
  resolveCipher,
  type ResolvedCipher,
  stripPadding,
} from './cipher-params.js';
import { p11, p11Async } from './ckr.js';
import type { UnwrappedKey } from './pkcs11-provider.js';

/** HMAC mechanisms and their output lengths in bytes. */
const HMAC_MECHANISMS = {
  sha1: { mechanism: pkcs11js.CKM_SHA_1_HMAC, length: 20 },
  sha256: { mechanism: pkcs11js.CKM_SHA256_HMAC, length: 32 },
  sha384: { mechanism: pkcs11js.CKM_SHA384_HMAC, length: 48 },
  sha512: { mechanism: pkcs11js.CKM_SHA512_HMAC, length: 64 },
} as const;

const DIGEST_MECHANISMS: Readonly<Record<HashAlgorithm, number>> = {
  'SHA-1': pkcs11js.CKM_SHA_1,
  'SHA-224': pkcs11js.CKM_SHA224,
  'SHA-256': pkcs11js.CKM_SHA256,
  'SHA-384': pkcs11js.CKM_SHA384,
  'SHA-512': pkcs11js.CKM_SHA512,
};

/**
 * CK_AES_CTR_PARAMS { CK_ULONG ulCounterBits; CK_BYTE cb[16]; } as raw bytes: pkcs11js has no
 * CK_PARAMS_* for it, and passes a Buffer parameter through. CK_ULONG is 8 bytes little-endian
 * on the 64-bit Linux and macOS builds Node runs on (LP64), so the struct is 24 bytes.
 */
function ctrParams(counterBlock: Buffer): Buffer {
  const out = Buffer.alloc(24);
  out.writeBigUInt64LE(128n, 0); // the whole block is the counter, as SP 800-38A and node:crypto
  counterBlock.copy(out, 8);
  return out;
}

/**
 * Largest input a single-part cipher or MAC call processes synchronously on the event loop. A
 * 4 KiB AES block-cipher or HMAC call takes SoftHSM2 ~10-25 µs, less than the event-loop cost of
 * dispatching it to a libuv thread; TDES, the slowest cipher offered, ~150 µs at this size.
 */
export const SYNC_MAX_BYTES = 4096;

/**
 * Whether encryptWith/decryptWith/macWith/macVerifyWith of `dataBytes` of input return a value
 * rather than a promise: the module's input (plus up to a block of padding, or a GCM tag of at
 * most 16 bytes) stays within SYNC_MAX_BYTES.
 */
export function runsSynchronously(dataBytes: number): boolean {
  return dataBytes + 16 <= SYNC_MAX_BYTES;
}

/** A plain Uint8Array over part of a buffer (no copy), as the provider interface hands out. */
function view(b: Buffer, from = 0, to = b.length): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset + from, to - from);
}

/** The PKCS#11 mechanism of a checked cipher request. ECB padding is ours (there is no CKM_*_ECB_PAD). */
export function cipherMechanism(c: ResolvedCipher): Mechanism {
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
    case 'CTR':
      return { mechanism: pkcs11js.CKM_AES_CTR, parameter: ctrParams(c.iv as Buffer) };
    case 'GCM': {
      const iv = c.iv as Buffer;
      // CK_GCM_PARAMS as in PKCS#11 v2.40 (with ulIvBits), which SoftHSM2 2.6 implements.
      const parameter = { type: pkcs11js.CK_PARAMS_AES_GCM_v240, iv, ivBits: iv.length * 8, aad: c.aad, tagBits: c.tagLength * 8 };
      return { mechanism: pkcs11js.CKM_AES_GCM, parameter };
    }
  }
}

/** A Buffer over the same memory (no copy): pkcs11js takes Buffers only. */
function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length);
}

/**
 * Encrypts with the lent key. For GCM the tag is split off the PKCS#11 output (ciphertext||tag).
 * Synchronous (a value, not a promise) for inputs up to SYNC_MAX_BYTES, so the provider can
 * answer a small request without a promise hop per layer.
 */
export function encryptWith(key: UnwrappedKey, algorithm: SymmetricAlgorithm, p: CipherParams, data: Uint8Array): EncryptResult | Promise<EncryptResult> {
  const e = prepareEncrypt(algorithm, p, data);
  // Empty input: pkcs11js would pass a NULL pointer (CKR_ARGUMENTS_BAD), so finish the operation
  // at once; C_EncryptFinal then yields the GCM tag, or a whole padding block for CBC-PAD.
  p11('crypto', () => key.mod.C_EncryptInit(key.session, e.mechanism, key.handle));
  if (e.input.length === 0) return e.finish(p11('crypto', () => key.mod.C_EncryptFinal(key.session, Buffer.alloc(e.outLength))));
  if (e.input.length <= SYNC_MAX_BYTES) return e.finish(p11('crypto', () => key.mod.C_Encrypt(key.session, e.input, Buffer.alloc(e.outLength))));
  // A worker thread reads the input: give it a copy of its own.
  const copy = Buffer.from(e.input);
  return p11Async('crypto', () => key.mod.C_EncryptAsync(key.session, copy, Buffer.alloc(e.outLength))).then(e.finish);
}

/** A checked single-part encryption, ready for C_EncryptInit + C_Encrypt wherever they run. */
export interface PreparedEncrypt {
  readonly mechanism: Mechanism;
  /** The module's input: the request's bytes (not a copy), or them padded for ECB. */
  readonly input: Buffer;
  /** Output buffer length to give C_Encrypt. */
  readonly outLength: number;
  /** The result from the module's output. */
  finish(out: Buffer): EncryptResult;
}

/** Checks the request, settles the IV (resolveCipher) and builds the mechanism. */
export function prepareEncrypt(algorithm: SymmetricAlgorithm, p: CipherParams, data: Uint8Array): PreparedEncrypt {
  const c = resolveCipher(algorithm, p, data, 'encrypt');
  // The module only reads the input: the request's own bytes are passed, not a copy.
  const input = c.mode === 'ECB' && c.pad ? addPadding(data, c.blockSize) : asBuffer(data);
  return { mechanism: cipherMechanism(c), input, outLength: input.length + 32, finish: (out) => encrypted(c, out) };
}

/** The result of an encryption from the module's output (fresh and ours alone: views, not copies). */
function encrypted(c: ResolvedCipher, out: Buffer): EncryptResult {
  // c.iv is this request's own (resolveCipher copies a caller's IV, draws a fresh one otherwise);
  // handed out as is when it has its ArrayBuffer to itself (a generated GCM IV), else copied.
  const iv = c.iv ? { iv: c.iv.byteLength === c.iv.buffer.byteLength ? view(c.iv) : Uint8Array.from(c.iv) } : {};
  if (c.mode !== 'GCM') return { data: view(out), ...iv };
  const cut = out.length - c.tagLength;
  return { data: view(out, 0, cut), tag: view(out, cut), ...iv };
}

/**
 * Decrypts with the lent key. A GCM tag that does not verify, or bad padding, comes back as
 * CryptoError('BAD_KEY'). Synchronous for inputs up to SYNC_MAX_BYTES (see encryptWith).
 */
export function decryptWith(
  key: UnwrappedKey,
  algorithm: SymmetricAlgorithm,
  p: CipherParams,
  data: Uint8Array,
  tag?: Uint8Array,
): Uint8Array | Promise<Uint8Array> {
  const c = resolveCipher(algorithm, p, data, 'decrypt', tag);
  const input = c.mode === 'GCM' ? Buffer.concat([data, tag as Uint8Array]) : data.length > SYNC_MAX_BYTES ? Buffer.from(data) : asBuffer(data);
  const mechanism = cipherMechanism(c);
  const outLength = input.length + 32;
  p11('crypto', () => key.mod.C_DecryptInit(key.session, mechanism, key.handle));
  if (input.length === 0) return decrypted(c, p11('decrypt', () => key.mod.C_DecryptFinal(key.session, Buffer.alloc(outLength))));
  if (input.length <= SYNC_MAX_BYTES) return decrypted(c, p11('decrypt', () => key.mod.C_Decrypt(key.session, input, Buffer.alloc(outLength))));
  return p11Async('decrypt', () => key.mod.C_DecryptAsync(key.session, input, Buffer.alloc(outLength))).then((out) => decrypted(c, out));
}

function decrypted(c: ResolvedCipher, out: Buffer): Uint8Array {
  if (c.mode === 'ECB' && c.pad) {
    const plain = stripPadding(out, c.blockSize);
    if (plain === undefined) {
      out.fill(0);
      throw new CryptoError('BAD_KEY', 'decryption failed: bad padding');
    }
    return Uint8Array.from(plain);
  }
  return view(out);
}

/** MAC mechanism of an algorithm and its output length: CKM_SHA*_HMAC, or CKM_AES_CMAC / CKM_DES3_CMAC. */
function macMechanism(algorithm: SymmetricAlgorithm): { mechanism: number; length: number } {
  const k = macKind(algorithm);
  if (k.kind === 'hmac') return HMAC_MECHANISMS[k.hash];
  return k.cipher === 'AES' ? { mechanism: pkcs11js.CKM_AES_CMAC, length: 16 } : { mechanism: pkcs11js.CKM_DES3_CMAC, length: 8 };
}

/** MAC of `data` with the lent key (C_Sign with an HMAC or CMAC mechanism); synchronous up to SYNC_MAX_BYTES. */
export function macWith(key: UnwrappedKey, algorithm: SymmetricAlgorithm, data: Uint8Array): Uint8Array | Promise<Uint8Array> {
  const { mechanism, length } = macMechanism(algorithm);
  checkMacInput(data);
  p11('crypto', () => key.mod.C_SignInit(key.session, { mechanism }, key.handle));
  if (data.length === 0) return view(p11('crypto', () => key.mod.C_SignFinal(key.session, Buffer.alloc(length))));
  if (data.length <= SYNC_MAX_BYTES) return view(p11('crypto', () => key.mod.C_Sign(key.session, asBuffer(data), Buffer.alloc(length))));
  return p11Async('crypto', () => key.mod.C_SignAsync(key.session, Buffer.from(data), Buffer.alloc(length))).then((out) => view(out));
}

/**
 * Whether `mac` is the MAC of `data` (C_Verify: the comparison happens inside the module);
 * synchronous up to SYNC_MAX_BYTES.
 */
export function macVerifyWith(key: UnwrappedKey, algorithm: SymmetricAlgorithm, data: Uint8Array, mac: Uint8Array): boolean | Promise<boolean> {
  const { mechanism, length } = macMechanism(algorithm);
  checkMacInput(data);
  // A truncated or overlong MAC is not the MAC: no module call needed (and SoftHSM2 would refuse it).
  if (mac.length !== length) return false;
  p11('crypto', () => key.mod.C_VerifyInit(key.session, { mechanism }, key.handle));
  try {
    if (data.length === 0) return p11('crypto', () => key.mod.C_VerifyFinal(key.session, Buffer.from(mac)));
    if (data.length <= SYNC_MAX_BYTES) return p11('crypto', () => key.mod.C_Verify(key.session, asBuffer(data), Buffer.from(mac)));
  } catch (err) {
    return verifyAnswer(err);
  }
  return p11Async('crypto', () => key.mod.C_VerifyAsync(key.session, Buffer.from(data), Buffer.from(mac))).catch(verifyAnswer);
}

/** PKCS#11 v2.40 §5.13: a wrong MAC or MAC length is an answer (false), not a failure. */
function verifyAnswer(err: unknown): false {
  if (err instanceof CryptoError && (err.ckr === pkcs11js.CKR_SIGNATURE_INVALID || err.ckr === pkcs11js.CKR_SIGNATURE_LEN_RANGE)) return false;
  throw err;
}

/** Message digest inside the module (C_Digest). */
export async function digestIn(mod: PKCS11, session: Handle, algorithm: HashAlgorithm, data: Uint8Array): Promise<Uint8Array> {
  const mechanism = DIGEST_MECHANISMS[algorithm];
  if (mechanism === undefined) throw new CipherParamError('algorithm', `unsupported hash ${String(algorithm)}`);
  checkMacInput(data);
  p11('crypto', () => mod.C_DigestInit(session, { mechanism }));
  const size = HASH_LENGTHS[algorithm];
  const out = await p11Async('crypto', () =>
    data.length === 0 ? mod.C_DigestFinalAsync(session, Buffer.alloc(size)) : mod.C_DigestAsync(session, Buffer.from(data), Buffer.alloc(size)),
  );
  return Uint8Array.from(out);
}

/**
 * Mixes seed material into the module's RNG (C_SeedRandom). A module without a seedable RNG
 * answers CKR_RANDOM_SEED_NOT_SUPPORTED or CKR_RANDOM_NO_RNG, reported as UNSUPPORTED.
 */
export function seedIn(mod: PKCS11, session: Handle, seed: Uint8Array): number {
  if (seed.length === 0) return 0;
  const used = seed.subarray(0, MAX_SEED_BYTES);
  try {
    p11('random', () => mod.C_SeedRandom(session, Buffer.from(used)));
  } catch (err) {
    if (err instanceof CryptoError && (err.ckr === pkcs11js.CKR_RANDOM_SEED_NOT_SUPPORTED || err.ckr === pkcs11js.CKR_RANDOM_NO_RNG)) {
      throw new CryptoError('UNSUPPORTED', 'the cryptographic module does not accept seed material');
    }
    throw err;
  }
  return used.length;
}
