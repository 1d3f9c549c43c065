/**
 * Configuration of the PKCS#11 provider. The PIN is a secret: it is never logged, never put in
 * an error message, and describe() leaves it out.
 */

/** Where the HSM is and how to log in to it. */
export interface Pkcs11Config {
  /** Path of the PKCS#11 library (.so). */
  readonly module: string;
  /** CKA token label (CK_TOKEN_INFO.label without its blank padding). */
  readonly tokenLabel: string;
  /** Restrict the token search to this slot id (PKCS#11 CK_SLOT_ID); default: any slot. */
  readonly slot?: number;
  /** User PIN (CKU_USER). */
  readonly pin: string;
  /** CKA_LABEL of the master wrapping key; default 'kmipd-master'. */
  readonly masterKeyLabel?: string;
  /** Number of R/W sessions in the pool; default 4 (libuv's default worker thread count). */
  readonly sessionPoolSize?: number;
}

/** Default CKA_LABEL of the master wrapping key. */
export const DEFAULT_MASTER_KEY_LABEL = 'kmipd-master';

/** Default session pool size; async PKCS#11 calls run on libuv's worker threads (4 by default). */
export const DEFAULT_SESSION_POOL_SIZE = 4;

/** Upper bound on the pool: SoftHSM2 and real HSMs limit sessions per application. */
export const MAX_SESSION_POOL_SIZE = 64;

/** The part of a pino logger the provider uses; pino's Logger satisfies it. */
export interface ProviderLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Options of openPkcs11Provider. */
export interface Pkcs11ProviderOptions {
  readonly log?: ProviderLogger;
  /** Size of each unwrapped-key handle cache (symmetric keys, and private keys for Sign / RSA Decrypt / ECDH); default 64, 0 disables them. */
  readonly keyCacheSize?: number;
  /**
   * Cache of values exported for Get (export-cache.ts): TTL and entry bound. Default: disabled
   * here; the server passes its configured policy (README "Configuration", `keyExportCache`).
   */
  readonly exportCache?: { readonly ttlMs: number; readonly maxEntries: number };
  /**
   * Run key exports (C_UnwrapKey + C_GetAttributeValue + C_DestroyObject) as one job on a worker
   * thread instead of partly on the event loop (export-worker.ts). Default true.
   */
  readonly exportInWorker?: boolean;
  /**
   * Run small single-part encryptions (up to SYNC_MAX_BYTES - 16) with cached keys in batches on
   * a worker thread instead of on the event loop (cipher-worker.ts). Default false.
   */
  readonly cipherInWorker?: boolean;
}
