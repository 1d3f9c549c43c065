/** The network layer: mutual-TLS KMIP listener, connection lifecycle, dev PKI. */
export type { KmipServer, KmipServerOptions, MessageHandler, PeerIdentity, ServerLimits, ServerTlsMaterial } from './types.js';
export { DEFAULT_SERVER_LIMITS, startKmipServer } from './tls-server.js';
export { TLS12_CIPHERS, TLS13_CIPHERS } from './tls-policy.js';
export { generateDevPki, type DevKeyType, type DevPki, type DevPkiOptions, type CertKeyPaths } from './pki/dev-pki.js';
export { buildCrl, type CrlProfile, type RevokedEntry } from './pki/crl-builder.js';
export { loadIssuer } from './pki/x509-builder.js';
