/**
 * The shape of kmipd's configuration, after defaults, config file, environment and command
 * line have been merged and validated by `loadConfig`.
 */

/** pino level names, plus `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Connection and message limits of the TLS listener. Each bounds what one client can hold. */
export interface LimitsConfig {
  /** Connections open at once; further ones are refused before the handshake. */
  maxConnections: number;
  /** A TCP connection must finish the TLS handshake within this time. */
  handshakeTimeoutMs: number;
  /** A connection with no request in progress and no bytes received is closed after this. */
  idleTimeoutMs: number;
  /**
   * Once the first byte of a message arrives, the whole message must arrive within this; a
   * client that stops reading our responses gets the same allowance (slow-loris guards).
   */
  messageTimeoutMs: number;
  /** Largest message (header + body) accepted; a larger declared length closes the connection. */
  maxMessageBytes: number;
  /**
   * Bytes of large requests (over 64 KiB) held at once across all connections of the listener;
   * beyond it, connections wait before reading more of a large message (server/byte-budget.ts).
   */
  maxBufferedBytes: number;
  /**
   * A streamed Encrypt / Decrypt (Init Indicator ... Final Indicator) with no part for this long
   * is abandoned and its HSM session released (operations/crypto/cipher-streams.ts).
   */
  streamIdleTimeoutMs: number;
}

/** PKCS#11 settings. All unset means: the embedded SoftHSM2 token under `dataDir`. */
export interface Pkcs11Config {
  module?: string;
  tokenLabel?: string;
  slot?: number;
  /** The user PIN (from `pin`, `pinFile`, KMIPD_PKCS11_PIN or KMIPD_PKCS11_PIN_FILE). Never logged; see `redactedConfig`. */
  pin?: string;
  /** Run small encryptions with cached keys in batches on a worker thread (src/crypto/pkcs11/cipher-worker.ts); default false. */
  cipherInWorker?: boolean;
}

/** Complete, validated configuration. Paths are absolute. */
export interface KmipdConfig {
  listen: { host: string; port: number };
  /**
   * Run the TLS listener on a thread of its own (src/server/threaded-server.ts), so that TLS
   * and socket work leave the dispatching event loop. Default false (see `ioThreadEnabled`).
   */
  ioThread?: boolean;
  dataDir: string;
  tls: {
    certFile: string;
    keyFile: string;
    caFile: string;
    /**
     * Optional second server certificate with an RSA key, served alongside the main one for
     * clients limited to the KMIP 1.x mandatory TLS_RSA_WITH_AES_*_CBC_SHA256 suites.
     * Set both or neither.
     */
    rsaCertFile?: string;
    rsaKeyFile?: string;
    /** Optional CRL (PEM) of the client CA; revoked client certificates are refused. SIGHUP re-reads it. */
    crlFile?: string;
  };
  pkcs11: Pkcs11Config;
  log: { level: LogLevel };
  limits: LimitsConfig;
  keyExportCache: KeyExportCacheConfig;
}

/**
 * The key export cache: values of wrapped keys exported for Get, kept in process memory for a
 * short time so repeated Gets of one key skip the HSM (src/crypto/pkcs11/export-cache.ts; the
 * policy and its default are explained in README "Configuration"). 0 in either field disables it.
 */
export interface KeyExportCacheConfig {
  /** How long an exported value may be kept, from its export (ms, at most 60000). */
  ttlMs: number;
  /** Most keys kept at once (at most 65536). */
  maxEntries: number;
}
