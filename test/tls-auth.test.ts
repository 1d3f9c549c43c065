/**
 * Mutual TLS on loopback with a throwaway PKI and an echo handler (no KMIP): who gets in, with
 * which protocol and suite, session resumption, and certificate rotation.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { buildCrl, loadIssuer, startKmipServer, type KmipServer } from '../src/server/index.js';
import { captureLog, closed, EchoHandler, frame, makeTestPki, reader, sleep, useTlsHarness, type TestPki } from './helpers/pki.js';

const t = useTlsHarness();
const { start, client, connected } = t;

describe('mutual TLS', () => {
  it('authenticates the client and passes its CN as the principal', async () => {
    const h = new EchoHandler();
    const { port } = await start(h);
    const s = await connected(port);
    const next = reader(s);
    s.write(frame('hello'));
    expect(await next()).toEqual(frame('hello'));
    const alice = new X509Certificate(t.pki.clients.alice!.cert);
    expect(h.peers[0]).toMatchObject({ principal: 'alice', certFingerprint256: alice.fingerprint256, remoteAddress: '127.0.0.1' });
    expect(h.peers[0]!.subject).toContain('CN=alice');
    expect(h.peers[0]!.connId).toMatch(/^c/);
    expect(['TLSv1.3', 'TLSv1.2']).toContain(s.getProtocol());
    s.end();
  });

  it('listens on IPv6 loopback and verifies the server as ::1', async (ctx) => {
    let server: KmipServer;
    try {
      server = await startKmipServer({ host: '::1', port: 0, tls: t.pki.serverTls, handler: new EchoHandler(), log: createLogger({ level: 'silent' }) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL') return ctx.skip(); // no IPv6 on this host
      throw err;
    }
    t.servers.push(server);
    expect(server.address().host).toBe('::1');
    // No servername: Node then checks the certificate against the IP literal (SAN IP:::1).
    const s = await connected(server.address().port, { host: '::1', servername: undefined });
    const next = reader(s);
    s.write(frame('v6'));
    expect(await next()).toEqual(frame('v6'));
    s.end();
  });

  it('negotiates TLS 1.2 with a KMIP cipher suite when the client caps at 1.2', async () => {
    const { port } = await start(new EchoHandler());
    const s = await connected(port, { maxVersion: 'TLSv1.2' });
    expect(s.getProtocol()).toBe('TLSv1.2');
    expect(s.getCipher().name).toBe('ECDHE-ECDSA-AES256-GCM-SHA384');
    s.end();
  });

  describe('with ECDSA and RSA server certificates side by side', () => {
    let dual: TestPki;
    beforeAll(() => (dual = makeTestPki({ clients: ['alice'], serverRsa: true })));
    afterAll(() => dual.cleanup());

    async function serverKeyType(extra: ConnectionOptions): Promise<string | undefined> {
      const tls = { cert: [dual.server.cert, dual.serverRsa!.cert], key: [dual.server.key, dual.serverRsa!.key], ca: dual.ca };
      const server = await startKmipServer({ host: '127.0.0.1', port: 0, tls, handler: new EchoHandler(), log: createLogger({ level: 'silent' }) });
      t.servers.push(server);
      const s = await connected(server.address().port, { ca: dual.ca, ...dual.clients.alice, ...extra });
      const next = reader(s);
      s.write(frame('dual'));
      expect(await next()).toEqual(frame('dual'));
      s.end();
      return s.getPeerX509Certificate()?.publicKey.asymmetricKeyType;
    }

    it.each(['AES128-SHA256', 'AES256-SHA256'])('offers the KMIP 1.x mandatory suite %s with the RSA certificate', async (suite) => {
      expect(await serverKeyType({ maxVersion: 'TLSv1.2', ciphers: suite })).toBe('rsa');
    });

    it('prefers the ECDSA certificate when the client allows it', async () => {
      expect(await serverKeyType({})).toBe('ec');
      expect(await serverKeyType({ maxVersion: 'TLSv1.2' })).toBe('ec');
    });
  });

  it('refuses plain TCP without reaching the handler', async () => {
    const h = new EchoHandler();
    const { port, logs } = await start(h);
    const s = netConnect({ host: '127.0.0.1', port });
    const done = closed(s);
    s.write(frame('plaintext'));
    await done;
    expect(h.peers).toHaveLength(0);
    await sleep(20);
    expect(logs.lines().some((l) => l.msg === 'TLS handshake failed')).toBe(true);
  });

  it('logs a silent TCP hang-up (health check) at info, with its connection id and address', async () => {
    const { port, logs } = await start(new EchoHandler());
    const s = netConnect({ host: '127.0.0.1', port });
    await new Promise<void>((r) => s.once('connect', () => r()));
    const local = s.localPort;
    s.destroy();
    for (let i = 0; i < 100 && !logs.lines().some((l) => String(l.msg).startsWith('client left')); i++) await sleep(20);
    expect(logs.lines().find((l) => l.msg === 'client left during the TLS handshake')).toMatchObject({ level: 30, connId: 'c1', peer: `127.0.0.1:${local}` });
    expect(logs.lines().some((l) => l.level === 40)).toBe(false);
  });

  it('refuses a client without a certificate', async () => {
    const h = new EchoHandler();
    const { port } = await start(h);
    const s = tlsConnect({ host: '127.0.0.1', port, ca: t.pki.ca, servername: 'localhost' });
    const done = closed(s);
    s.once('secureConnect', () => s.write(frame('x'))); // TLS 1.3: the client learns of the refusal after its Finished
    const err = await done;
    expect(err?.message).toMatch(/certificate required|handshake failure/i);
    expect(h.peers).toHaveLength(0);
  });

  it('refuses a client certificate from another CA', async () => {
    const h = new EchoHandler();
    const { port, logs } = await start(h);
    const s = tlsConnect({ host: '127.0.0.1', port, ca: t.pki.ca, ...t.foreign.clients.mallory, servername: 'localhost' });
    const done = closed(s);
    s.once('secureConnect', () => s.write(frame('x')));
    await done; // Node verifies the chain after the handshake and drops the socket without an alert
    expect(h.peers).toHaveLength(0);
    await sleep(20);
    expect(logs.lines().find((l) => l.msg === 'TLS handshake failed')).toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('refuses a revoked client certificate when given the CA\'s CRL', async () => {
    const h = new EchoHandler();
    const issuer = loadIssuer(t.pki.ca, readFileSync(t.pki.paths.ca.key));
    const bob = new X509Certificate(t.pki.clients.bob!.cert);
    const now = Date.now();
    const crl = buildCrl({ revoked: [{ serialNumber: bob.serialNumber, revocationDate: new Date(now - 60_000) }], thisUpdate: new Date(now - 60_000), nextUpdate: new Date(now + 86_400_000), crlNumber: 1 }, issuer);
    const logs = captureLog();
    const server = await startKmipServer({ host: '127.0.0.1', port: 0, tls: { ...t.pki.serverTls, crl }, handler: h, log: logs.log });
    t.servers.push(server);
    const port = server.address().port;
    const s = client(port, {}, 'bob');
    s.once('secureConnect', () => s.write(frame('x')));
    await closed(s);
    await sleep(20);
    expect(logs.lines().find((l) => l.msg === 'TLS handshake failed')).toMatchObject({ code: 'CERT_REVOKED' });
    const a = await connected(port, {}, 'alice'); // not on the list
    const next = reader(a);
    a.write(frame('fine'));
    expect(await next()).toEqual(frame('fine'));
    a.end();
    expect(h.peers.map((p) => p.principal)).toEqual(['alice']);
  });

  it('refuses TLS 1.1', async () => {
    const h = new EchoHandler();
    const { port, logs } = await start(h);
    // SECLEVEL=0 so that the *client* is willing to offer TLS 1.1 and the refusal is the server's.
    const s = client(port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    const err = await closed(s);
    expect(err?.message).toMatch(/protocol version|unsupported protocol/i);
    expect(h.peers).toHaveLength(0);
    await sleep(20);
    const refusal = logs.lines().find((l) => l.msg === 'TLS handshake failed');
    expect(String(refusal?.code)).toMatch(/UNSUPPORTED_PROTOCOL|VERSION/);
  });

  it.each(['TLSv1.3', 'TLSv1.2'] as const)('resumes %s sessions with the same principal', async (version) => {
    const h = new EchoHandler();
    const { port } = await start(h);
    const first = client(port, { maxVersion: version }, 'bob');
    // TLS 1.2 delivers the session during the handshake, TLS 1.3 tickets after it.
    const session = new Promise<Buffer>((resolve) => first.once('session', resolve));
    const next1 = reader(first);
    first.write(frame('one'));
    await next1();
    await session;
    first.end();
    const second = await connected(port, { maxVersion: version, session: await session }, 'bob');
    expect(second.isSessionReused()).toBe(true);
    const next = reader(second);
    second.write(frame('two'));
    await next();
    expect(h.peers.map((p) => p.principal)).toEqual(['bob', 'bob']);
    expect(h.peers[1]!.certFingerprint256).toBe(h.peers[0]!.certFingerprint256);
    second.end();
  });
});

describe('reloadTls()', () => {
  it('serves new connections with the new material; open connections carry on', async () => {
    const { port, server } = await start(new EchoHandler());
    const old = client(port);
    const oldSession = new Promise<Buffer>((r) => old.once('session', r));
    const next = reader(old);
    old.write(frame('before rotation'));
    await next();
    const rotated = makeTestPki({ clients: ['alice'] });
    try {
      expect(() => server.reloadTls({ ...rotated.serverTls, key: t.pki.server.key })).toThrow(); // mismatched key: rejected
      const still = await connected(port, { session: await oldSession }); // ...and the old material is still in force
      expect(still.isSessionReused()).toBe(true);
      still.end();

      server.reloadTls(rotated.serverTls);
      const fresh = await connected(port, { ca: rotated.ca, ...rotated.clients.alice });
      expect(fresh.getPeerX509Certificate()?.fingerprint256).toBe(new X509Certificate(rotated.server.cert).fingerprint256);
      fresh.end();
      const stale = client(port); // old client certificate, old CA: no longer trusted either way
      expect(await closed(stale)).toBeDefined();
      // Nor may a session from before the rotation be resumed to skip the new CA check.
      const resumed = client(port, { session: await oldSession });
      resumed.on('error', () => undefined); // expected: the old CA does not trust the new server certificate
      const outcome = await new Promise<string>((r) => {
        resumed.once('secureConnect', () => r(resumed.isSessionReused() ? 'resumed' : 'full handshake'));
        resumed.once('close', () => r('closed'));
      });
      resumed.destroy();
      expect(outcome).not.toBe('resumed');

      old.write(frame('after rotation'));
      expect(await next()).toEqual(frame('after rotation'));
      old.end();
    } finally {
      rotated.cleanup();
    }
  });
});
