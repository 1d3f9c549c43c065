/**
 * Key derivation by encryption inside the HSM (KMIP Derive Key, Derivation Method ENCRYPT): the
 * derived key is the leading bytes of the Derivation Data encrypted with the base key, made as a
 * transient object in the module and stored wrapped under the master key, so that its value never
 * enters this process. A provider offers it when its module has a derive mechanism that gives
 * exactly those bytes (pkcs11/encrypt-derive.ts: CKM_AES_CBC_ENCRYPT_DATA, CKM_DES3_CBC_ENCRYPT_DATA).
 */
import type { WrappedDerivedKey } from './asymmetric.js';
import type { CipherParams } from './cipher.js';
import type { CryptoProvider, KeyRef } from './provider.js';

export interface EncryptDeriveRequest {
  /** The Cryptographic Parameters, as Encrypt takes them (checked the same way). */
  readonly params: CipherParams;
  /** The Derivation Data (the client's; not secret), before any padding. */
  readonly data: Uint8Array;
  /** Bytes of the derived key: the leading `length` bytes of the ciphertext. */
  readonly length: number;
}

export interface EncryptDeriveProvider {
  /**
   * The derived key wrapped under the master key, or undefined when the module cannot make these
   * exact bytes inside (the caller then encrypts with `encrypt` and stores the result itself).
   * Parameters `encrypt` would refuse are refused with the same errors.
   */
  encryptDeriveWrapped(ref: KeyRef, algorithm: 'AES' | 'TDES', req: EncryptDeriveRequest): Promise<WrappedDerivedKey | undefined>;
}

/** The provider's in-HSM ENCRYPT derivation, or undefined when it has none. */
export function encryptDeriveProviderOf(p: CryptoProvider): (CryptoProvider & EncryptDeriveProvider) | undefined {
  const o = p as unknown as Record<string, unknown>;
  return typeof o['encryptDeriveWrapped'] === 'function' ? (p as CryptoProvider & EncryptDeriveProvider) : undefined;
}
