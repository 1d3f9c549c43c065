/**
 * The development PKI: certificate contents checked by node:crypto and by the openssl CLI
 * (an independent ASN.1 parser and verifier), idempotence, --force, key modes, and the CLI.
 */
import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCrl } from '../src/server/pki/crl-builder.js';
import { generateDevPki } from '../src/server/pki/dev-pki.js';
import { loadIssuer } from '../src/server/pki/x509-builder.js';

const run = promisify(execFile);
const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const temps: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'kmipd-devpki-'));
  temps.push(d);
  return d;
};
afterEach(() => temps.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const cert = (p: string): X509Certificate => new X509Certificate(readFileSync(p));

describe('generateDevPki', () => {
  it.each(['ec', 'rsa'] as const)('issues a CA, a server and client certificates (%s)', async (keyType) => {
    const pki = generateDevPki({ dir: temp(), keyType });
    const ca = cert(pki.ca.cert);
    const server = cert(pki.server.cert);
    const alice = cert(pki.clients.alice!.cert);
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca) && server.verify(ca.publicKey)).toBe(true);
    expect(alice.checkIssued(ca) && alice.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(server.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // serverAuth
    expect(alice.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // clientAuth
    expect(alice.subject).toContain('CN=alice');
    expect(cert(pki.clients.bob!.cert).subject).toContain('CN=bob');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkIP('::1')).toBe('::1');
    expect(server.publicKey.asymmetricKeyType).toBe(keyType);
    if (keyType === 'ec') expect(server.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(server.checkPrivateKey(createPrivateKey(readFileSync(pki.server.key)))).toBe(true);
    for (const p of [pki.ca.key, pki.server.key, pki.clients.alice!.key]) expect(statSync(p).mode & 0o777).toBe(0o600);
    // openssl's strict X.509 checks and purpose checks, independent of our DER writer.
    const { stdout } = await run('openssl', ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', pki.ca.cert, pki.server.cert]);
    expect(stdout).toContain(': OK');
    const client = await run('openssl', ['verify', '-x509_strict', '-purpose', 'sslclient', '-CAfile', pki.ca.cert, pki.clients.alice!.cert]);
    expect(client.stdout).toContain(': OK');
    await expect(run('openssl', ['verify', '-purpose', 'sslserver', '-CAfile', pki.ca.cert, pki.clients.alice!.cert])).rejects.toThrow();
  });

  it('keeps existing files, completes missing ones, and re-issues everything on force', () => {
    const dir = temp();
    const first = generateDevPki({ dir });
    expect(first.written).toHaveLength(8);
    const caPem = readFileSync(first.ca.cert, 'utf8');
    const alicePem = readFileSync(first.clients.alice!.cert, 'utf8');
    expect(generateDevPki({ dir }).written).toEqual([]);

    unlinkSync(first.clients.bob!.key);
    const repaired = generateDevPki({ dir, clients: ['alice', 'bob', 'carol'] });
    expect(repaired.written.sort()).toEqual([first.clients.bob!.cert, first.clients.bob!.key, join(dir, 'carol.crt'), join(dir, 'carol.key')].sort());
    expect(cert(join(dir, 'carol.crt')).checkIssued(cert(first.ca.cert))).toBe(true);
    expect(readFileSync(first.clients.alice!.cert, 'utf8')).toBe(alicePem);

    const forced = generateDevPki({ dir, force: true });
    expect(forced.written).toHaveLength(8);
    expect(readFileSync(first.ca.cert, 'utf8')).not.toBe(caPem);
    expect(cert(forced.clients.alice!.cert).checkIssued(cert(forced.ca.cert))).toBe(true);
  });

  it('issues from a CA it did not make, keeping its subject byte for byte', async () => {
    const dir = temp();
    const ca = join(dir, 'ca.crt');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', ca, '-days', '30', '-subj', '/C=DE/O=Acme Corp/OU=Security/CN=Acme Root CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
    const pki = generateDevPki({ dir, clients: ['alice'] });
    expect(pki.written).not.toContain(ca);
    expect(cert(pki.server.cert).issuer).toBe(cert(ca).subject);
    const { stdout } = await run('openssl', ['verify', '-x509_strict', '-CAfile', ca, pki.server.cert, pki.clients.alice!.cert]);
    expect(stdout.match(/: OK/g)).toHaveLength(2);
  });

  it('adds an RSA server certificate under the same CA on request', async () => {
    const pki = generateDevPki({ dir: temp(), clients: [], serverRsa: true });
    const rsa = cert(pki.serverRsa!.cert);
    expect(rsa.publicKey.asymmetricKeyType).toBe('rsa');
    expect(cert(pki.server.cert).publicKey.asymmetricKeyType).toBe('ec');
    expect(rsa.checkIssued(cert(pki.ca.cert)) && rsa.verify(cert(pki.ca.cert).publicKey)).toBe(true);
    expect(rsa.subjectAltName).toBe(cert(pki.server.cert).subjectAltName);
    const { stdout } = await run('openssl', ['x509', '-in', pki.serverRsa!.cert, '-noout', '-ext', 'keyUsage']);
    expect(stdout).toContain('Key Encipherment'); // the TLS_RSA_* key exchange encrypts to this key
    expect(statSync(pki.serverRsa!.key).mode & 0o777).toBe(0o600);
  });

  it('builds CRLs that openssl verifies and reads back', async () => {
    const dir = temp();
    const pki = generateDevPki({ dir, clients: ['alice', 'bob'] });
    const bob = cert(pki.clients.bob!.cert);
    const now = Date.now();
    const crlFile = join(dir, 'ca.crl');
    const issuer = loadIssuer(readFileSync(pki.ca.cert), readFileSync(pki.ca.key));
    writeFileSync(crlFile, buildCrl({ revoked: [{ serialNumber: bob.serialNumber, revocationDate: new Date(now) }], thisUpdate: new Date(now), nextUpdate: new Date(now + 86_400_000), crlNumber: 7 }, issuer));
    const text = await run('openssl', ['crl', '-in', crlFile, '-CAfile', pki.ca.cert, '-noout', '-text']);
    expect(text.stderr + text.stdout).toMatch(/verify OK/);
    expect(text.stdout).toContain(`Serial Number: ${bob.serialNumber}`);
    expect(text.stdout).toMatch(/X509v3 CRL Number:\s+7/);
    await expect(run('openssl', ['verify', '-crl_check', '-CAfile', pki.ca.cert, '-CRLfile', crlFile, pki.clients.bob!.cert])).rejects.toThrow(/revoked/);
    const ok = await run('openssl', ['verify', '-crl_check', '-CAfile', pki.ca.cert, '-CRLfile', crlFile, pki.clients.alice!.cert]);
    expect(ok.stdout).toContain(': OK');
    // An empty CRL leaves revokedCertificates out altogether (RFC 5280 §5.1.2.6).
    writeFileSync(crlFile, buildCrl({ revoked: [], thisUpdate: new Date(now), nextUpdate: new Date(now + 86_400_000), crlNumber: 8 }, issuer));
    expect((await run('openssl', ['crl', '-in', crlFile, '-CAfile', pki.ca.cert, '-noout', '-text'])).stdout).toContain('No Revoked Certificates');
  });

  it('refuses a half-present CA and bad client names', () => {
    const dir = temp();
    writeFileSync(join(dir, 'ca.crt'), 'x');
    expect(() => generateDevPki({ dir })).toThrow(/only one of ca.crt \/ ca.key/);
    for (const bad of ['ca', 'server', 'server-rsa', '../evil', '', 'a b']) {
      expect(() => generateDevPki({ dir: temp(), clients: [bad] })).toThrow(/invalid client name/);
    }
  });

  it('runs as a script with --dir and repeated --client', async () => {
    const dir = temp();
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'certs/gen-dev-pki.ts'), '--dir', dir, '--client', 'hsm-admin', '--client', 'app1'], { cwd: ROOT });
    expect(stdout).toContain(`dev PKI in ${dir}`);
    expect(cert(join(dir, 'hsm-admin.crt')).subject).toContain('CN=hsm-admin');
    expect(cert(join(dir, 'app1.crt')).subject).toContain('CN=app1');
    await expect(run(process.execPath, ['--import', 'tsx', join(ROOT, 'certs/gen-dev-pki.ts'), '--dir', dir, '--key-type', 'dsa'], { cwd: ROOT })).rejects.toThrow(/--key-type must be ec or rsa/);
    const revoke = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'certs/gen-dev-pki.ts'), '--dir', dir, '--revoke', 'app1'], { cwd: ROOT });
    expect(revoke.stdout).toContain(`wrote ${join(dir, 'ca.crl')} revoking app1`);
    await expect(run('openssl', ['verify', '-crl_check', '-CAfile', join(dir, 'ca.crt'), '-CRLfile', join(dir, 'ca.crl'), join(dir, 'app1.crt')])).rejects.toThrow(/revoked/);
    const other = await run('openssl', ['verify', '-crl_check', '-CAfile', join(dir, 'ca.crt'), '-CRLfile', join(dir, 'ca.crl'), join(dir, 'hsm-admin.crt')]);
    expect(other.stdout).toContain(': OK');
  });
});
