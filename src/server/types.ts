/**
 * The contract between the network layer and the KMIP layers above it. The server knows
 * nothing of KMIP: it frames whole TTLV messages, hands each to a {@link MessageHandler} with
 * the authenticated peer, and writes back the bytes it returns.
 */
import type { Logger } from '../log.js';

/** Who is on the other end of a connection, from the verified client certificate. */
export interface PeerIdentity {
  /** The KMIP principal: client certificate subject CN, else its first subjectAltName value. */
  principal: string;
  /** SHA-256 fingerprint of the client certificate, colon-separated hex (as Node reports it). */
  certFingerprint256: string;
  /** The certificate subject as a one-line string, e.g. `O=Example,CN=alice`. */
  subject: string;
  /** Remote IP address (no port). */
  remoteAddress: string;
  /** Server-unique connection id, also bound to the connection's logger. */
  connId: string;
}

/** Turns one request message into one response message. Implemented by the dispatcher. */
export interface MessageHandler {
  /**
   * @param message exactly one whole TTLV message (8-byte header + body)
   * @returns the response message bytes. Bad KMIP should be answered, not thrown: a throw
   *   is logged (without bytes) and closes the connection.
   */
  handle(message: Buffer, peer: PeerIdentity): Promise<Buffer>;
}

/** Limits applied per listener; each bounds what one client can hold or stall. */
export interface ServerLimits {
  /** Connections open at once, handshaking ones included; further ones are dropped on accept. */
  maxConnections: number;
  /** TLS handshake must complete within this. */
  handshakeTimeoutMs: number;
  /** Close a connection that is between messages (nothing buffered, nothing in progress) this long. */
  idleTimeoutMs: number;
  /**
   * A message whose first byte has arrived must be complete within this, and a response must
   * be taken off our write buffer within it (slow-loris guards, reading and writing).
   */
  messageTimeoutMs: number;
  /** Largest message (header + body); a larger declared length closes the connection. */
  maxMessageBytes: number;
  /** Bytes of large requests held at once across the listener's connections (byte-budget.ts). */
  maxBufferedBytes: number;
}

/** PEM material for the listener. */
export interface ServerTlsMaterial {
  /**
   * Server certificate chain (PEM), or several chains with keys of different types (e.g. ECDSA
   * and RSA), in the same order as `key`; OpenSSL picks the one the negotiated suite needs.
   */
  cert: string | Buffer | (string | Buffer)[];
  /** Server private key (PEM), or one per entry of `cert`. */
  key: string | Buffer | (string | Buffer)[];
  /** CA certificate(s) that client certificates must chain to (PEM). Only these are trusted. */
  ca: string | Buffer;
  /** Certificate revocation list(s) of the client CA (PEM); a revoked client certificate is refused. */
  crl?: string | Buffer;
}

/** Options of `startKmipServer`. */
export interface KmipServerOptions {
  host: string;
  /** 0 picks a free port; see {@link KmipServer.address}. */
  port: number;
  tls: ServerTlsMaterial;
  handler: MessageHandler;
  log: Logger;
  /** Missing fields take the defaults of `DEFAULT_SERVER_LIMITS`. */
  limits?: Partial<ServerLimits>;
  /**
   * TLS session ticket keys (48 bytes). Listeners that serve the same clients share them so that
   * a ticket one issued resumes on another; default: random per listener.
   */
  ticketKeys?: Buffer;
  /**
   * Counts open connections against `limits.maxConnections` when that cap is shared with other
   * listeners (another thread's); default: this listener's own count.
   */
  connectionGate?: ConnectionGate;
  /** Prefix of this listener's connection ids, so that ids stay unique across listeners (default `c`). */
  connIdPrefix?: string;
}

/** A connection cap shared between listeners: a slot is taken on accept and given back on close. */
export interface ConnectionGate {
  /** Takes a slot; false when all `limits.maxConnections` are taken. */
  tryAcquire(): boolean;
  release(): void;
  /** Slots taken now. */
  count(): number;
}

/** A running listener. */
export interface KmipServer {
  /** The bound address (the real port when 0 was asked for). */
  address(): { host: string; port: number };
  /**
   * Stops accepting, lets requests already received finish (up to `graceMs`, default 10 s),
   * then destroys whatever is left. Resolves when every connection is closed.
   */
  close(graceMs?: number): Promise<void>;
  /** Open connections, including ones still in the TLS handshake. */
  connectionCount(): number;
  /**
   * Swaps certificate, key and trusted CAs for new connections (certificate rotation without a
   * restart); open connections keep theirs. Throws, keeping the old material, if the new
   * material does not load (e.g. key and certificate do not match). New session ticket keys
   * (`ticketKeys`, default random) and an empty session cache: no earlier session resumes.
   */
  reloadTls(tls: ServerTlsMaterial, ticketKeys?: Buffer): void;
}
