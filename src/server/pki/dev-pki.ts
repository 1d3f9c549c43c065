/**
 * The development PKI: one CA, a server certificate for localhost / 127.0.0.1 / ::1, and one
 * client certificate per name (CN = name, the KMIP principal). Called by `certs/gen-dev-pki.ts`,
 * by `kmipd start` when the default certificate files are missing, and by the test helpers.
 *
 * Idempotent: files that exist are kept unless `force`; a new CA re-issues every leaf so the
 * directory never mixes certificates from two CAs. Private keys are written with mode 0600.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { buildCrl } from './crl-builder.js';
import { buildCertificate, loadIssuer, type Issuer } from './x509-builder.js';

/** Key algorithm for every key of the PKI. P-256 is the default; RSA serves TLS_RSA_* suites. */
export type DevKeyType = 'ec' | 'rsa';

/** Options of {@link generateDevPki}. */
export interface DevPkiOptions {
  /** Output directory (created if missing). */
  dir: string;
  /** Client certificate names; each becomes CN and file stem. Default `['alice', 'bob']`. */
  clients?: string[];
  /** Re-create every file even if it exists. */
  force?: boolean;
  /** Default `'ec'` (ECDSA P-256). */
  keyType?: DevKeyType;
  /**
   * Also issue `server-rsa.crt`/`server-rsa.key`: a second server certificate with an RSA key,
   * served next to the main one so clients limited to the KMIP 1.x mandatory
   * TLS_RSA_WITH_AES_*_CBC_SHA256 suites can connect too. Default false.
   */
  serverRsa?: boolean;
}

/** A certificate and its private key, as file paths. */
export interface CertKeyPaths {
  cert: string;
  key: string;
}

/** Where {@link generateDevPki} left everything, and which files it wrote this time. */
export interface DevPki {
  dir: string;
  ca: CertKeyPaths;
  server: CertKeyPaths;
  /** Present when `serverRsa` was asked for. */
  serverRsa?: CertKeyPaths;
  clients: Record<string, CertKeyPaths>;
  /** Paths written by this call (empty when everything already existed). */
  written: string[];
}

const DEFAULT_CLIENTS = ['alice', 'bob'];
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const RESERVED = new Set(['ca', 'server', 'server-rsa']);
const DAY_MS = 86_400_000;
const ORG = 'kmipd development PKI';

function newKeyPair(keyType: DevKeyType): { privateKey: KeyObject; publicKey: KeyObject } {
  return keyType === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

function writeKey(path: string, key: KeyObject, written: string[]): void {
  writeFileSync(path, key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  chmodSync(path, 0o600); // mode above applies only when the file is created
  written.push(path);
}

function writeCert(path: string, pem: string, written: string[]): void {
  writeFileSync(path, pem, { mode: 0o644 });
  written.push(path);
}

const pairExists = (p: CertKeyPaths): boolean => existsSync(p.cert) && existsSync(p.key);

/** Validity window: starts five minutes back to tolerate clock skew between hosts. */
function validity(days: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - 5 * 60_000), notAfter: new Date(now + days * DAY_MS) };
}

/** Creates (or completes) the development PKI in `opts.dir`. Synchronous file I/O: runs once at start-up. */
export function generateDevPki(opts: DevPkiOptions): DevPki {
  const { dir, force = false, keyType = 'ec' } = opts;
  const clients = opts.clients ?? DEFAULT_CLIENTS;
  for (const c of clients) {
    if (!CLIENT_NAME.test(c) || RESERVED.has(c)) {
      throw new Error(`invalid client name ${JSON.stringify(c)}: use letters, digits, '.', '_' or '-', not ${[...RESERVED].join('/')}`);
    }
  }
  mkdirSync(dir, { recursive: true });
  const paths = (stem: string): CertKeyPaths => ({ cert: join(dir, `${stem}.crt`), key: join(dir, `${stem}.key`) });
  const result: DevPki = { dir, ca: paths('ca'), server: paths('server'), clients: {}, written: [] };
  const written = result.written;

  let issuer: Issuer;
  let caIsNew = false;
  if (!force && pairExists(result.ca)) {
    try {
      issuer = loadIssuer(readFileSync(result.ca.cert), readFileSync(result.ca.key));
    } catch (err) {
      throw new Error(`${result.ca.key} / ${result.ca.cert}: ${(err as Error).message}`);
    }
  } else {
    if (!force && (existsSync(result.ca.cert) || existsSync(result.ca.key))) {
      throw new Error(`${dir} has only one of ca.crt / ca.key; remove it or use --force`);
    }
    const kp = newKeyPair(keyType);
    const caName = { commonName: 'kmipd dev CA', organization: ORG };
    issuer = { name: caName, ...kp };
    const pem = buildCertificate({ subject: caName, isCa: true, ...validity(3650) }, kp.publicKey, issuer);
    writeKey(result.ca.key, kp.privateKey, written);
    writeCert(result.ca.cert, pem, written);
    caIsNew = true;
  }

  const issueLeaf = (p: CertKeyPaths, profile: Parameters<typeof buildCertificate>[0], leafKeyType = keyType): void => {
    if (!force && !caIsNew && pairExists(p)) return;
    const kp = newKeyPair(leafKeyType);
    writeKey(p.key, kp.privateKey, written);
    writeCert(p.cert, buildCertificate(profile, kp.publicKey, issuer), written);
  };

  const serverProfile = {
    subject: { commonName: 'localhost', organization: ORG },
    isCa: false,
    extendedKeyUsage: ['serverAuth' as const],
    altNames: ['localhost', '127.0.0.1', '::1'],
    ...validity(825),
  };
  issueLeaf(result.server, serverProfile);
  if (opts.serverRsa) {
    result.serverRsa = paths('server-rsa');
    issueLeaf(result.serverRsa, serverProfile, 'rsa');
  }
  for (const c of clients) {
    const p = paths(c);
    result.clients[c] = p;
    issueLeaf(p, { subject: { commonName: c, organization: ORG }, isCa: false, extendedKeyUsage: ['clientAuth'], ...validity(825) });
  }
  return result;
}

/**
 * Writes `<dir>/ca.crl`, signed by the dev CA, revoking exactly the named clients' current
 * certificates (the list replaces any earlier one). Serve it with `KMIPD_TLS_CRL=<dir>/ca.crl`;
 * `kill -HUP` a running kmipd to pick up changes. Valid for 30 days.
 * @returns the CRL path
 */
export function revokeDevClients(dir: string, names: string[]): string {
  const issuer = loadIssuer(readFileSync(join(dir, 'ca.crt')), readFileSync(join(dir, 'ca.key')));
  const now = Date.now();
  const revoked = names.map((n) => {
    const file = join(dir, `${n}.crt`);
    if (!CLIENT_NAME.test(n) || RESERVED.has(n) || !existsSync(file)) throw new Error(`no client certificate ${file}`);
    return { serialNumber: new X509Certificate(readFileSync(file)).serialNumber, revocationDate: new Date(now) };
  });
  const path = join(dir, 'ca.crl');
  // Seconds since the epoch keep cRLNumber increasing across runs without stored state.
  const crl = buildCrl({ revoked, thisUpdate: new Date(now - 5 * 60_000), nextUpdate: new Date(now + 30 * DAY_MS), crlNumber: Math.floor(now / 1000) }, issuer);
  writeFileSync(path, crl, { mode: 0o644 });
  return path;
}
