/**
 * The crypto provider, in KMIP terms. Handlers and the dispatcher talk to this interface only;
 * src/crypto/pkcs11/ is its PKCS#11 implementation (the only importer of pkcs11js), and a
 * test fake can stand in for unit tests.
 *
 * Key material model (CONVENTIONS.md §4): keys are generated inside the HSM. An extractable key
 * leaves the HSM only wrapped under the non-extractable master key (`wrapped`), and that blob is
 * what the object store keeps. A key created non-extractable stays in the token as a persistent
 * object (`resident`) and is referred to by its CKA_ID; it never leaves the HSM.
 */

/**
 * 'GENERIC-SECRET': a key of an algorithm the cryptographic module does not implement (IDEA,
 * CAST5, ...), generated in the module as a generic secret of the right length so that it can be
 * stored and served like any other key; it is never used for a cryptographic operation.
 */
export type SymmetricAlgorithm = 'AES' | 'TDES' | 'HMAC-SHA1' | 'HMAC-SHA256' | 'HMAC-SHA384' | 'HMAC-SHA512' | 'GENERIC-SECRET';

export type KeyRef =
  | {
      readonly kind: 'wrapped';
      /** Wrapping mechanism used under the master key, e.g. 'CKM_AES_KEY_WRAP_PAD'. */
      readonly mechanism: string;
      /** Label of the master key that wrapped it (for rotation of the master key later). */
      readonly masterKeyLabel: string;
      readonly blob: Uint8Array;
      /**
       * Length of the key value in bytes (optional; absent in refs made before it existed).
       * Needed because some modules (SoftHSM2 2.6) do not strip RFC 5649 padding on unwrap,
       * so a key whose length is not a multiple of 8 bytes comes back zero-padded.
       */
      readonly valueLength?: number;
    }
  | {
      readonly kind: 'resident';
      /** CKA_ID of the persistent token object, hex. */
      readonly id: string;
    };

export interface GenerateSymmetricKeyRequest {
  readonly algorithm: SymmetricAlgorithm;
  readonly lengthBits: number;
  /** False: the key is created CKA_EXTRACTABLE=false and stays resident in the token. */
  readonly extractable: boolean;
}

/** Options of CryptoProvider.exportKeyMaterial. */
export interface ExportOptions {
  /**
   * The managed object's Unique Identifier, when the caller (Get) allows the value to be served
   * from the provider's key export cache, if one is configured: the provider may then return a
   * value exported from the very same wrapped blob within the cache's TTL, and must forget it
   * when forgetExported() names the object.
   */
  readonly cacheAs?: string;
}

export interface CryptoProvider {
  /** Generates a symmetric key in the HSM. Rejects unsupported algorithm/length with KMIP-mappable errors. */
  generateSymmetricKey(req: GenerateSymmetricKeyRequest): Promise<KeyRef>;
  /** Imports client-supplied key material (Register) and returns it wrapped under the master key. */
  importSymmetricKey(algorithm: SymmetricAlgorithm, material: Uint8Array): Promise<KeyRef>;
  /**
   * Returns the plaintext key bytes, for a client entitled to them (Get). A resident,
   * non-extractable key throws a `CryptoError` with code 'NOT_EXTRACTABLE'.
   */
  exportKeyMaterial(ref: KeyRef, algorithm: SymmetricAlgorithm, opts?: ExportOptions): Promise<Uint8Array>;
  /**
   * Forgets any exported value cached for these objects (see ExportOptions.cacheAs). The
   * dispatcher calls it after every commit that writes them, whatever the operation.
   */
  forgetExported?(uids: readonly string[]): void;
  /** Removes a resident key from the token (Destroy). A no-op for wrapped keys. */
  destroyKey(ref: KeyRef): Promise<void>;
  /** Random bytes from the HSM's RNG. */
  randomBytes(length: number): Promise<Uint8Array>;
  /** Describes the module and token, for Query Server Information and logs; never the PIN. */
  describe(): { readonly module: string; readonly tokenLabel: string; readonly manufacturer: string; readonly model: string };
  close(): Promise<void>;
}

/** Crypto-layer failure with a reason the dispatcher maps to a KMIP Result Reason. */
export type CryptoErrorCode =
  | 'NOT_EXTRACTABLE' // -> Not Extractable (1.4+) / Permission Denied
  | 'UNSUPPORTED' // -> Feature Not Supported / Invalid Field (algorithm, length, mechanism)
  | 'BAD_KEY' // -> Cryptographic Failure (unwrap failed, wrong size)
  | 'HSM_UNAVAILABLE' // -> Protection Storage Unavailable / General Failure
  | 'HSM_ERROR'; // -> Cryptographic Failure; `ckr` holds the PKCS#11 return code

export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
    /** PKCS#11 CKR_* return code, when the failure came from the module. */
    readonly ckr?: number,
  ) {
    super(message);
  }
}
