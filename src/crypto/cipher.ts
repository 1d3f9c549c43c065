/**
 * Cryptographic services with keys that stay in the HSM: the optional `CipherProvider` half of a
 * crypto provider, in the terms KMIP's Encrypt, Decrypt, MAC, MAC Verify, Hash and RNG Seed use
 * (KMIP 2.1 §6.1.18, §6.1.12, §6.1.29, §6.1.30, §6.1.23, §6.1.45; Cryptographic Parameters §11.3
 * / 1.4 §3.6).
 *
 * It is a separate interface so that `CryptoProvider` stays as it was: a provider that also
 * implements these methods (the PKCS#11 provider, the in-memory fake) is found with
 * `cipherProviderOf()`, and the operations answer Feature Not Supported for one that does not.
 */
import { CryptoError, type CryptoProvider, type KeyRef, type SymmetricAlgorithm } from './provider.js';

/** Block cipher modes offered (AES; ECB and CBC also for TDES). */
export type CipherMode = 'ECB' | 'CBC' | 'CTR' | 'GCM';

/** KMIP Cryptographic Parameters that matter to a symmetric cipher. */
export interface CipherParams {
  readonly mode: CipherMode;
  /** 'PKCS5' is PKCS#5/#7 padding; ECB and CBC only. Default 'none'. */
  readonly padding?: 'none' | 'PKCS5';
  /** IV, initial counter block or nonce; generated (and returned) when absent on encrypt. */
  readonly iv?: Uint8Array;
  /** GCM additional authenticated data. */
  readonly aad?: Uint8Array;
  /** GCM tag length in bytes, 12..16; default 16. */
  readonly tagLength?: number;
  /** Length in bytes of an IV the server generates (KMIP IV Length); default 12 for GCM, one block otherwise. */
  readonly ivLength?: number;
}

export interface EncryptResult {
  readonly data: Uint8Array;
  /** The IV used, when the mode has one (KMIP returns it if the server generated it). */
  readonly iv?: Uint8Array;
  /** GCM authentication tag (KMIP Authenticated Encryption Tag). */
  readonly tag?: Uint8Array;
}

/**
 * What a MAC is computed with: an HMAC (the key's bytes used as the HMAC key, whatever algorithm
 * the key was registered for), or CMAC with an AES or TDES key (NIST SP 800-38B).
 */
export type MacAlgorithm = 'HMAC-SHA1' | 'HMAC-SHA256' | 'HMAC-SHA384' | 'HMAC-SHA512' | 'CMAC';

/** Hashes offered by Hash (KMIP Hashing Algorithm, 2.1 §11.26). */
export type HashAlgorithm = 'SHA-1' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512';

/** Why a cipher request was refused before it reached the module; the operation maps it to a reason. */
export type CipherProblem =
  | 'algorithm' // the key's algorithm cannot do this (GCM with TDES, CMAC with an HMAC key)
  | 'mode' // a mode or padding we do not offer
  | 'iv' // IV of the wrong length, or an IV where the mode takes none
  | 'missing-iv' // decryption without the IV the mode needs
  | 'tag-length' // GCM tag length outside 12..16 bytes, or not the tag's length
  | 'missing-tag' // GCM decryption without the tag
  | 'data-length'; // not whole blocks without padding, or larger than the bound

/** A request the provider refuses on its parameters (a CryptoError 'UNSUPPORTED' with a reason). */
export class CipherParamError extends CryptoError {
  constructor(
    readonly problem: CipherProblem,
    message: string,
  ) {
    super('UNSUPPORTED', message);
  }
}

/** The cryptographic services a provider may implement besides `CryptoProvider`. */
export interface CipherProvider {
  /** Encrypts with a key that stays in the HSM. `algorithm` is the key's (AES or TDES). */
  encrypt(ref: KeyRef, algorithm: SymmetricAlgorithm, params: CipherParams, data: Uint8Array): Promise<EncryptResult>;
  /** Decrypts; a GCM tag or padding that does not check out is CryptoError 'BAD_KEY'. */
  decrypt(ref: KeyRef, algorithm: SymmetricAlgorithm, params: CipherParams, data: Uint8Array, tag?: Uint8Array): Promise<Uint8Array>;
  /**
   * MAC of `data`. `algorithm` is the key's algorithm as the MAC sees it: an HMAC-* algorithm
   * (the key's bytes are the HMAC key), or AES / TDES for CMAC.
   */
  mac(ref: KeyRef, algorithm: SymmetricAlgorithm, data: Uint8Array): Promise<Uint8Array>;
  /** Whether `mac` is the MAC of `data`; a wrong MAC is `false`, not an error. */
  macVerify(ref: KeyRef, algorithm: SymmetricAlgorithm, data: Uint8Array, mac: Uint8Array): Promise<boolean>;
  /** Message digest (KMIP Hash). */
  digest(algorithm: HashAlgorithm, data: Uint8Array): Promise<Uint8Array>;
  /**
   * Mixes `seed` into the RNG (KMIP RNG Seed); resolves to the number of bytes used. A module
   * that does not take seed material rejects with CryptoError 'UNSUPPORTED'.
   */
  seedRandom(seed: Uint8Array): Promise<number>;
}

/**
 * One multi-part encryption or decryption kept running inside the module between requests (KMIP
 * 1.3+ streaming Encrypt / Decrypt: Init Indicator, Correlation Value, Final Indicator). Each part's
 * output is what the module releases for it: whole blocks for ECB and CBC (CBC-PAD decryption
 * holds the last block back for the padding), everything for CTR and GCM encryption, nothing
 * before the tag is checked for GCM decryption.
 */
export interface CipherStream {
  /** The IV, counter block or nonce in use (generated by the module's RNG when the request had none). */
  readonly iv: Uint8Array | undefined;
  /** Feeds one part; resolves to the output released for it (possibly empty). */
  update(data: Uint8Array): Promise<Uint8Array>;
  /**
   * Feeds the last part and ends the operation; GCM encryption also yields the tag, and GCM
   * decryption checks `tag` (a tag that does not verify is CryptoError 'BAD_KEY'). The stream's
   * module resources are released whatever happens.
   */
  final(data: Uint8Array, tag?: Uint8Array): Promise<EncryptResult>;
  /** Abandons the operation and releases its module resources. Idempotent. */
  abort(): void;
}

/** A provider that can keep a cipher running across requests. */
export interface CipherStreamProvider {
  /**
   * Starts a multi-part encryption or decryption with a key that stays in the HSM. Rejects with
   * CipherParamError for the same requests `encrypt`/`decrypt` refuse, and with
   * CryptoError 'HSM_UNAVAILABLE' when too many are open.
   */
  openCipherStream(ref: KeyRef, algorithm: SymmetricAlgorithm, params: CipherParams, direction: 'encrypt' | 'decrypt'): Promise<CipherStream>;
}

/** The provider's multi-part cipher service, or undefined when it has none. */
export function cipherStreamProviderOf(p: CryptoProvider): (CryptoProvider & CipherStreamProvider) | undefined {
  return typeof (p as unknown as Record<string, unknown>)['openCipherStream'] === 'function' ? (p as CryptoProvider & CipherStreamProvider) : undefined;
}

const CIPHER_METHODS = ['encrypt', 'decrypt', 'mac', 'macVerify', 'digest', 'seedRandom'] as const;

/** Providers already examined by cipherProviderOf (it runs once per cryptographic request). */
const cipherCapable = new WeakMap<CryptoProvider, boolean>();

/** The provider's cipher services, or undefined when it has none (the operations then answer Feature Not Supported). */
export function cipherProviderOf(p: CryptoProvider): (CryptoProvider & CipherProvider) | undefined {
  let ok = cipherCapable.get(p);
  if (ok === undefined) {
    const o = p as unknown as Record<string, unknown>;
    ok = CIPHER_METHODS.every((m) => typeof o[m] === 'function');
    cipherCapable.set(p, ok);
  }
  return ok ? (p as CryptoProvider & CipherProvider) : undefined;
}

/** Largest input to one cipher, MAC or hash call: bounds worker-thread time and output buffers. */
export const MAX_CIPHER_INPUT_BYTES = 4 * 1024 * 1024;

/** Largest seed RNG Seed passes to the module. */
export const MAX_SEED_BYTES = 4096;

/** Output length of each hash, in bytes. */
export const HASH_LENGTHS: Readonly<Record<HashAlgorithm, number>> = {
  'SHA-1': 20,
  'SHA-224': 28,
  'SHA-256': 32,
  'SHA-384': 48,
  'SHA-512': 64,
};
