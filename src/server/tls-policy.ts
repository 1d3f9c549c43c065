/**
 * The TLS policy of the KMIP listener (KMIP Profiles, Basic Authentication Suite; see
 * shared/reference/kmip-spec-notes.md §9): TLS 1.2 and 1.3 only, mutual authentication, and
 * cipher suites that cover both the 1.x reading (the two mandatory TLS_RSA_WITH_AES_*_CBC_SHA256
 * suites plus the ECDHE CBC-SHA256/384 and GCM suites) and the 2.x reading (TLS 1.3 with
 * AES-GCM and ChaCha20-Poly1305).
 */
import type { TlsOptions } from 'node:tls';

/** TLS 1.2 suites in preference order (OpenSSL names); forward-secret AEAD first. */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES256-GCM-SHA384', // TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
  'ECDHE-ECDSA-AES128-GCM-SHA256', // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
  'ECDHE-RSA-AES256-GCM-SHA384', // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
  'ECDHE-RSA-AES128-GCM-SHA256', // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
  'ECDHE-ECDSA-AES256-SHA384', // TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384
  'ECDHE-ECDSA-AES128-SHA256', // TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256
  'ECDHE-RSA-AES256-SHA384', // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384
  'ECDHE-RSA-AES128-SHA256', // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256
  'AES256-SHA256', // TLS_RSA_WITH_AES_256_CBC_SHA256 (KMIP 1.x mandatory; needs an RSA server key)
  'AES128-SHA256', // TLS_RSA_WITH_AES_128_CBC_SHA256 (KMIP 1.x mandatory; needs an RSA server key)
] as const;

/** TLS 1.3 suites (KMIP 2.x names TLS13-AES-256-GCM-SHA384 and TLS13-CHACHA20-POLY1305-SHA256). */
export const TLS13_CIPHERS = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'] as const;

/** How long a TLS session (ticket or cached id) may be resumed: appliances reconnect per operation. */
export const SESSION_TIMEOUT_S = 300;

/** The fixed part of the `tls.createServer` options; certificates are added by the caller. */
export function tlsPolicyOptions(handshakeTimeoutMs: number): TlsOptions {
  return {
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    // Node splits TLS 1.3 names (TLS_*) out of this list into the 1.3 suite setting.
    ciphers: [...TLS13_CIPHERS, ...TLS12_CIPHERS].join(':'),
    honorCipherOrder: true,
    requestCert: true,
    rejectUnauthorized: true,
    handshakeTimeout: handshakeTimeoutMs,
    sessionTimeout: SESSION_TIMEOUT_S,
  };
}

/**
 * A bounded in-memory TLS session-id cache for TLS 1.2 clients that resume by id rather than
 * by ticket (tickets are on by default in Node and need no state). Oldest entries go first.
 */
export class TlsSessionCache {
  private readonly sessions = new Map<string, { data: Buffer; expires: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly ttlMs = SESSION_TIMEOUT_S * 1000,
  ) {}

  set(id: Buffer, data: Buffer): void {
    const key = id.toString('hex');
    this.sessions.delete(key);
    this.sessions.set(key, { data, expires: Date.now() + this.ttlMs });
    if (this.sessions.size > this.maxEntries) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
  }

  get(id: Buffer): Buffer | undefined {
    const key = id.toString('hex');
    const entry = this.sessions.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires < Date.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return entry.data;
  }

  /** Forgets every session (after a certificate or CA change). */
  clear(): void {
    this.sessions.clear();
  }

  get size(): number {
    return this.sessions.size;
  }
}
