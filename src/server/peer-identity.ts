/**
 * Derives the KMIP principal from a verified client certificate. KMIP itself leaves the mapping
 * of TLS identities to principals to the server (KMIP 2.1 §10.3 defers to the profiles); like
 * PyKMIP and Cosmian KMS we use the subject Common Name, falling back to the first subjectAltName.
 */
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { PeerIdentity } from './types.js';

/** First value of a subjectaltname string such as `DNS:svc.example, IP Address:10.0.0.1`. */
function firstAltName(san: string | undefined): string | undefined {
  if (san === undefined || san === '') return undefined;
  const first = san.split(',')[0]?.trim() ?? '';
  const colon = first.indexOf(':');
  const value = colon >= 0 ? first.slice(colon + 1).trim() : first;
  return value === '' ? undefined : value;
}

/** `C=..,O=..,CN=..` in certificate order, for logs and audit. */
function subjectString(cert: PeerCertificate): string {
  return Object.entries(cert.subject ?? {})
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(',');
}

/** The parts of an identity that depend on the certificate only. */
type CertIdentity = Pick<PeerIdentity, 'principal' | 'certFingerprint256' | 'subject'>;

/**
 * Identities derived from certificates seen recently, by SHA-256 fingerprint of the whole
 * certificate. The mapping is a pure function of the certificate (trust was decided by the TLS
 * handshake before), so entries never go stale; the bound only caps memory. A client reconnecting
 * (or resuming its TLS session) then costs a fingerprint lookup instead of getPeerCertificate()'s
 * full decode of the certificate into a JS object and the subject formatting.
 */
const MAX_CACHED_IDENTITIES = 1024;
const identities = new Map<string, CertIdentity>();

/**
 * The identity of an authorised TLS peer, or `undefined` when the certificate names nobody
 * (no single CN and no subjectAltName) so the connection cannot be attributed and must be closed.
 * A certificate with several CNs is treated as having none: picking one would be arbitrary.
 */
export function peerIdentity(socket: TLSSocket, connId: string): PeerIdentity | undefined {
  const remoteAddress = socket.remoteAddress ?? 'unknown';
  const fingerprint = typeof socket.getPeerX509Certificate === 'function' ? socket.getPeerX509Certificate()?.fingerprint256 : undefined;
  const known = fingerprint === undefined ? undefined : identities.get(fingerprint);
  if (known !== undefined) return { ...known, remoteAddress, connId };
  const derived = fromCertificate(socket.getPeerCertificate());
  if (derived === undefined) return undefined;
  if (fingerprint !== undefined && fingerprint === derived.certFingerprint256) {
    if (identities.size >= MAX_CACHED_IDENTITIES) identities.delete(identities.keys().next().value as string);
    identities.set(fingerprint, derived);
  }
  return { ...derived, remoteAddress, connId };
}

function fromCertificate(cert: PeerCertificate | null | undefined): CertIdentity | undefined {
  if (cert === null || typeof cert !== 'object' || cert.fingerprint256 === undefined) return undefined;
  const cn = cert.subject?.CN;
  const principal = (typeof cn === 'string' && cn !== '' ? cn : undefined) ?? firstAltName(cert.subjectaltname);
  if (principal === undefined) return undefined;
  return { principal, certFingerprint256: cert.fingerprint256, subject: subjectString(cert) };
}
