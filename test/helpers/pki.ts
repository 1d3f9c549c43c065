/**
 * Throwaway PKIs for TLS tests: each call makes a fresh CA + server + clients in a temp dir
 * and returns the PEM contents ready for `tls.connect` / `startKmipServer`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDevPki, type DevKeyType, type DevPki } from '../../src/server/pki/dev-pki.js';

/** PEM of one certificate and its key. */
export interface PemPair {
  cert: string;
  key: string;
}

/** A generated PKI: paths (for Python/openssl) and PEM contents (for Node). */
export interface TestPki {
  paths: DevPki;
  ca: string;
  server: PemPair;
  clients: Record<string, PemPair>;
  /** Server TLS material as `startKmipServer` wants it. */
  serverTls: { cert: string; key: string; ca: string };
  /** Deletes the temp dir. */
  cleanup(): void;
}

/** Generates a fresh PKI in a new temp dir. */
export function makeTestPki(opts: { clients?: string[]; keyType?: DevKeyType } = {}): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'kmipd-pki-'));
  const paths = generateDevPki({ dir, clients: opts.clients ?? ['alice', 'bob'], keyType: opts.keyType });
  const read = (p: string): string => readFileSync(p, 'utf8');
  const clients: Record<string, PemPair> = {};
  for (const [name, p] of Object.entries(paths.clients)) clients[name] = { cert: read(p.cert), key: read(p.key) };
  const ca = read(paths.ca.cert);
  const server = { cert: read(paths.server.cert), key: read(paths.server.key) };
  return {
    paths,
    ca,
    server,
    clients,
    serverTls: { ...server, ca },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
