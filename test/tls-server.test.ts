/**
 * The mutual-TLS listener on loopback with a throwaway PKI and a test handler (no KMIP):
 * authentication, framing, ordering, limits, timeouts and graceful close.
 */
import { X509Certificate } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { Writable } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../src/log.js';
import { startKmipServer, type KmipServer, type MessageHandler, type PeerIdentity, type ServerLimits } from '../src/server/index.js';
import { makeTestPki, type TestPki } from './helpers/pki.js';

let pki: TestPki;
let foreign: TestPki; // same names, different CA
beforeAll(() => {
  pki = makeTestPki();
  foreign = makeTestPki({ clients: ['mallory'] });
});
afterAll(() => {
  pki.cleanup();
  foreign.cleanup();
});

/** A frame with a valid KMIP header (Request Message, Structure) around `body` padded to 8. */
function frame(body: Buffer | string, tag = 0x420078): Buffer {
  const b = Buffer.from(body);
  const padded = Buffer.concat([b, Buffer.alloc((8 - (b.length % 8)) % 8)]);
  const h = Buffer.alloc(8);
  h.writeUIntBE(tag, 0, 3);
  h[3] = 0x01;
  h.writeUInt32BE(padded.length, 4);
  return Buffer.concat([h, padded]);
}

/** Test handler: echoes, records peers, optional delay, tracks concurrency. */
class EchoHandler implements MessageHandler {
  readonly peers: PeerIdentity[] = [];
  active = 0;
  maxActive = 0;
  constructor(private readonly delayMs: (msg: Buffer) => number = () => 0) {}
  async handle(message: Buffer, peer: PeerIdentity): Promise<Buffer> {
    this.peers.push(peer);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    const ms = this.delayMs(message);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    this.active--;
    return Buffer.from(message);
  }
}

interface LogCapture {
  log: Logger;
  lines: () => Record<string, unknown>[];
}
function captureLog(): LogCapture {
  const chunks: string[] = [];
  const stream = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c.toString()), cb()) });
  return {
    log: createLogger({ level: 'debug', destination: stream }),
    lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const servers: KmipServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close(100)));
});

async function start(handler: MessageHandler, limits: Partial<ServerLimits> = {}, logs = captureLog()): Promise<{ server: KmipServer; port: number; logs: LogCapture }> {
  const server = await startKmipServer({ host: '127.0.0.1', port: 0, tls: pki.serverTls, handler, log: logs.log, limits });
  servers.push(server);
  return { server, port: server.address().port, logs };
}

function client(port: number, extra: ConnectionOptions = {}, who: 'alice' | 'bob' = 'alice'): TLSSocket {
  return tlsConnect({ host: '127.0.0.1', port, ca: pki.ca, ...pki.clients[who], servername: 'localhost', ...extra });
}

function connected(port: number, extra: ConnectionOptions = {}, who: 'alice' | 'bob' = 'alice'): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = client(port, extra, who);
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves with the socket's error (if any) once it has closed. */
function closed(s: { once(e: 'close', f: () => void): unknown; on(e: 'error', f: (err: Error) => void): unknown }): Promise<Error | undefined> {
  let error: Error | undefined;
  s.on('error', (e) => (error = e));
  return new Promise((resolve) => s.once('close', () => resolve(error)));
}

/** Reads whole frames off a socket (chunks joined only once a frame is complete). */
function reader(s: TLSSocket): (timeoutMs?: number) => Promise<Buffer> {
  let chunks: Buffer[] = [];
  let have = 0;
  const ready: Buffer[] = [];
  let waiter: (() => void) | undefined;
  s.on('data', (c: Buffer) => {
    chunks.push(c);
    have += c.length;
    for (;;) {
      if (have < 8) break;
      if (chunks[0]!.length < 8) chunks = [Buffer.concat(chunks)];
      const need = 8 + chunks[0]!.readUInt32BE(4);
      if (have < need) break;
      const all = Buffer.concat(chunks);
      ready.push(all.subarray(0, need));
      chunks = all.length > need ? [all.subarray(need)] : [];
      have -= need;
    }
    waiter?.();
  });
  return async (timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (ready.length === 0) {
      if (Date.now() > deadline) throw new Error('no response in time');
      await new Promise<void>((r) => {
        waiter = r;
        setTimeout(r, 50);
      });
    }
    return ready.shift()!;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('mutual TLS', () => {
  it('authenticates the client and passes its CN as the principal', async () => {
    const h = new EchoHandler();
    const { port } = await start(h);
    const s = await connected(port);
    const next = reader(s);
    s.write(frame('hello'));
    expect(await next()).toEqual(frame('hello'));
    const alice = new X509Certificate(pki.clients.alice!.cert);
    expect(h.peers[0]).toMatchObject({ principal: 'alice', certFingerprint256: alice.fingerprint256, remoteAddress: '127.0.0.1' });
    expect(h.peers[0]!.subject).toContain('CN=alice');
    expect(h.peers[0]!.connId).toMatch(/^c/);
    expect(['TLSv1.3', 'TLSv1.2']).toContain(s.getProtocol());
    s.end();
  });

  it('listens on IPv6 loopback and verifies the server as ::1', async (ctx) => {
    let server: KmipServer;
    try {
      server = await startKmipServer({ host: '::1', port: 0, tls: pki.serverTls, handler: new EchoHandler(), log: createLogger({ level: 'silent' }) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL') return ctx.skip(); // no IPv6 on this host
      throw err;
    }
    servers.push(server);
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

  describe('with an RSA server key', () => {
    let rsa: TestPki;
    beforeAll(() => (rsa = makeTestPki({ clients: ['alice'], keyType: 'rsa' })));
    afterAll(() => rsa.cleanup());

    it.each(['AES128-SHA256', 'AES256-SHA256'])('offers the KMIP 1.x mandatory suite %s', async (suite) => {
      const server = await startKmipServer({ host: '127.0.0.1', port: 0, tls: rsa.serverTls, handler: new EchoHandler(), log: createLogger({ level: 'silent' }) });
      servers.push(server);
      const s = await connected(server.address().port, { ca: rsa.ca, ...rsa.clients.alice, maxVersion: 'TLSv1.2', ciphers: suite });
      expect(s.getCipher().name).toBe(suite);
      const next = reader(s);
      s.write(frame('rsa'));
      expect(await next()).toEqual(frame('rsa'));
      s.end();
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

  it('refuses a client without a certificate', async () => {
    const h = new EchoHandler();
    const { port } = await start(h);
    const s = tlsConnect({ host: '127.0.0.1', port, ca: pki.ca, servername: 'localhost' });
    const done = closed(s);
    s.once('secureConnect', () => s.write(frame('x'))); // TLS 1.3: the client learns of the refusal after its Finished
    const err = await done;
    expect(err?.message).toMatch(/certificate required|handshake failure/i);
    expect(h.peers).toHaveLength(0);
  });

  it('refuses a client certificate from another CA', async () => {
    const h = new EchoHandler();
    const { port, logs } = await start(h);
    const s = tlsConnect({ host: '127.0.0.1', port, ca: pki.ca, ...foreign.clients.mallory, servername: 'localhost' });
    const done = closed(s);
    s.once('secureConnect', () => s.write(frame('x')));
    await done; // Node verifies the chain after the handshake and drops the socket without an alert
    expect(h.peers).toHaveLength(0);
    await sleep(20);
    expect(logs.lines().find((l) => l.msg === 'TLS handshake failed')).toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
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

describe('messages', () => {
  it('answers several messages on one connection strictly in order, one at a time', async () => {
    // Later messages are faster: a concurrent server would answer them first.
    const h = new EchoHandler((m) => 60 - m.readUInt8(8) * 10);
    const { port } = await start(h);
    const s = await connected(port);
    const next = reader(s);
    const msgs = [0, 1, 2, 3, 4, 5].map((i) => frame(Buffer.from([i, 0xaa])));
    s.write(Buffer.concat(msgs)); // pipelined in one write
    for (const m of msgs) expect(await next()).toEqual(m);
    expect(h.maxActive).toBe(1);
    s.end();
  });

  it('stops reading while the client does not read its responses (backpressure)', async () => {
    let handled = 0;
    const body = Buffer.alloc(1024 * 1024 - 8, 0x5a); // 1 MiB responses
    const h: MessageHandler = {
      handle: async (m) => {
        handled++;
        const r = frame(body);
        r[8] = m[8]!; // which request this answers
        return r;
      },
    };
    const { port } = await start(h);
    const s = await connected(port);
    const msgs = Array.from({ length: 40 }, (_, i) => frame(Buffer.from([i])));
    for (const m of msgs) s.write(m);
    await sleep(500); // the client reads nothing meanwhile
    // Kernel and TLS buffers hold a few MiB at most; a server ignoring backpressure would
    // have handled all 40 (40 MiB queued in memory).
    expect(handled).toBeLessThan(20);
    const next = reader(s); // now drain everything, in order
    for (let i = 0; i < msgs.length; i++) {
      const r = await next(10_000);
      expect(r.length).toBe(1024 * 1024);
      expect(r[8]).toBe(i);
    }
    expect(handled).toBe(40);
    s.end();
  });

  it('serves 50 concurrent connections', async () => {
    const h = new EchoHandler(() => 5);
    const { port, server } = await start(h);
    const sockets = await Promise.all(Array.from({ length: 50 }, (_, i) => connected(port, {}, i % 2 ? 'alice' : 'bob')));
    expect(server.connectionCount()).toBe(50);
    await Promise.all(
      sockets.map(async (s, i) => {
        const next = reader(s);
        for (let k = 0; k < 3; k++) {
          const m = frame(`conn ${i} msg ${k}`);
          s.write(m);
          expect(await next(10_000)).toEqual(m);
        }
      }),
    );
    expect(h.peers).toHaveLength(150);
    sockets.forEach((s) => s.end());
  });

  it('reassembles a message sent in 1-byte chunks', async () => {
    const h = new EchoHandler();
    const { port } = await start(h);
    const s = await connected(port);
    const next = reader(s);
    const m = frame('split into single bytes, one TLS record each');
    for (const byte of m) {
      s.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    expect(await next()).toEqual(m);
    expect(h.peers).toHaveLength(1);
    s.end();
  });

  it('reassembles messages however the stream is split', async () => {
    const h = new EchoHandler();
    const { port } = await start(h);
    const s = await connected(port);
    const next = reader(s);
    const msgs = [frame(''), frame('a'), frame('b'.repeat(300)), frame('c'.repeat(17)), frame('d'.repeat(4000))];
    const stream = Buffer.concat(msgs);
    for (const seed of [1, 2, 3, 4, 5]) {
      // Deterministic pseudo-random cut points (LCG), cutting headers and bodies alike.
      let x = seed;
      const cuts: { to: number; pause: boolean }[] = [];
      for (let at = 0; at < stream.length; ) {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        at += 1 + (x % 97);
        cuts.push({ to: Math.min(at, stream.length), pause: x % 3 === 0 });
      }
      let from = 0;
      for (const { to, pause } of cuts) {
        s.write(stream.subarray(from, to));
        from = to;
        if (pause) await new Promise((r) => setImmediate(r)); // let some pieces arrive on their own
      }
      for (const m of msgs) expect(await next()).toEqual(m);
    }
    s.end();
  });

  it('closes a connection declaring an oversized message, and keeps serving others', async () => {
    const h = new EchoHandler();
    const { port, logs } = await start(h, { maxMessageBytes: 1024 });
    const good = await connected(port);
    const bad = await connected(port);
    const badClosed = closed(bad);
    const header = frame('');
    header.writeUInt32BE(0x7ffffff8, 4);
    bad.write(header);
    await badClosed;
    const next = reader(good);
    good.write(frame('still here'));
    expect(await next()).toEqual(frame('still here'));
    const warn = logs.lines().find((l) => l.msg === 'framing lost; closing connection');
    expect(warn).toMatchObject({ framing: { code: 'TOO_LARGE' }, client: 'alice' });
    await sleep(20);
    expect(logs.lines().find((l) => l.msg === 'connection closed' && l.connId === warn?.connId)).toMatchObject({ reason: 'framing-error' });
    expect(h.peers).toHaveLength(1);
    good.end();
  });

  it('closes the connection on bytes that are not a TTLV message', async () => {
    const h = new EchoHandler();
    const { port, logs } = await start(h);
    const s = await connected(port);
    const next = reader(s);
    const done = closed(s);
    s.write(frame('ok'));
    expect(await next()).toEqual(frame('ok'));
    s.write('GET / HTTP/1.1\r\n\r\n');
    await done;
    expect(h.peers).toHaveLength(1);
    expect(logs.lines().find((l) => l.msg === 'framing lost; closing connection')).toMatchObject({ framing: { code: 'BAD_TAG' } });
  });

  it('closes the connection when the handler returns something other than bytes', async () => {
    const h = { handle: async () => undefined as unknown as Buffer };
    const { port, logs } = await start(h);
    const s = await connected(port);
    const done = closed(s);
    s.write(frame('x'));
    await done;
    expect(logs.lines().find((l) => l.msg === 'message handler failed; closing connection')).toMatchObject({ err: { type: 'TypeError' } });
  });

  it('closes the connection, not the process, when the handler throws', async () => {
    const h: MessageHandler = {
      handle: async (m) => {
        if (m.includes('boom')) throw new Error('handler bug');
        return m;
      },
    };
    const { port, logs } = await start(h);
    const s = await connected(port);
    const done = closed(s);
    s.write(frame('boom'));
    await done;
    const other = await connected(port);
    const next = reader(other);
    other.write(frame('fine'));
    expect(await next()).toEqual(frame('fine'));
    const err = logs.lines().find((l) => l.msg === 'message handler failed; closing connection');
    expect(err).toMatchObject({ err: { message: 'handler bug' }, bytes: 16 });
    expect(logs.lines().find((l) => l.msg === 'connection closed' && l.connId === err?.connId)).toMatchObject({ reason: 'handler-error' });
    expect(JSON.stringify(logs.lines())).not.toContain(Buffer.from('boom').toString('hex'));
    other.end();
  });
});

describe('limits and timeouts', () => {
  it('closes an idle connection, but not one that keeps sending', async () => {
    const { port, logs } = await start(new EchoHandler(), { idleTimeoutMs: 300 });
    const idle = await connected(port);
    const idleClosed = closed(idle);
    const busy = await connected(port);
    const next = reader(busy);
    let busyClosed = false;
    busy.once('close', () => (busyClosed = true));
    const t0 = Date.now();
    for (let i = 0; i < 6; i++) {
      busy.write(frame(`tick ${i}`));
      await next();
      await sleep(100);
    }
    await idleClosed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(busyClosed).toBe(false);
    await sleep(20);
    expect(logs.lines().filter((l) => l.msg === 'connection closed').map((l) => l.reason)).toEqual(['idle-timeout']);
    busy.end();
  });

  it('closes a client that starts a message and does not finish it', async () => {
    const h = new EchoHandler();
    const { port, logs } = await start(h, { messageTimeoutMs: 300, idleTimeoutMs: 60_000 });
    const s = await connected(port);
    const done = closed(s);
    const t0 = Date.now();
    s.write(frame('never completed').subarray(0, 12));
    await done;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(h.peers).toHaveLength(0);
    await sleep(20);
    expect(logs.lines().find((l) => l.msg === 'connection closed')).toMatchObject({ reason: 'message-timeout' });
  });

  it('closes a client that trickles a message too slowly, even though bytes keep coming', async () => {
    const h = new EchoHandler();
    const { port } = await start(h, { messageTimeoutMs: 400, idleTimeoutMs: 60_000 });
    const s = await connected(port);
    let isClosed = false;
    const done = closed(s).then(() => (isClosed = true));
    const m = frame('x'.repeat(200));
    const t0 = Date.now();
    for (let i = 0; i < m.length && !isClosed; i++) {
      s.write(m.subarray(i, i + 1));
      await sleep(20); // 208 bytes at 50 B/s: about 4 s for the whole message
    }
    await done;
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(h.peers).toHaveLength(0);
  });

  it('refuses connections beyond maxConnections', async () => {
    const { port, server, logs } = await start(new EchoHandler(), { maxConnections: 2 });
    const a = await connected(port);
    const b = await connected(port);
    const c = client(port);
    let handshook = false;
    c.once('secureConnect', () => (handshook = true));
    await closed(c);
    expect(handshook).toBe(false);
    expect(server.connectionCount()).toBe(2);
    expect(logs.lines().some((l) => l.msg === 'connection refused: too many connections')).toBe(true);
    const aClosed = closed(a);
    a.end();
    await aClosed;
    await sleep(50);
    const d = await connected(port); // a slot freed up
    d.end();
    b.end();
  });

  it('refuses a client that does not finish the handshake in time', async () => {
    const { port, logs } = await start(new EchoHandler(), { handshakeTimeoutMs: 300 });
    const s = netConnect({ host: '127.0.0.1', port });
    const t0 = Date.now();
    await closed(s);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    await sleep(20);
    expect(logs.lines().some((l) => l.msg === 'TLS handshake failed' && String(l.code).includes('TIMEOUT'))).toBe(true);
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
      expect(() => server.reloadTls({ ...rotated.serverTls, key: pki.server.key })).toThrow(); // mismatched key: rejected
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

describe('close()', () => {
  it('waits for an in-flight request, answers it, then closes', async () => {
    let started!: () => void;
    const inHandler = new Promise<void>((r) => (started = r));
    const h: MessageHandler = {
      handle: async (m) => {
        started();
        await sleep(300);
        return m;
      },
    };
    const { port, server } = await start(h);
    const s = await connected(port);
    const next = reader(s);
    const done = closed(s);
    s.write(frame('slow'));
    await inHandler;
    const closing = server.close(5_000);
    const refused = netConnect({ host: '127.0.0.1', port });
    expect(await closed(refused)).toMatchObject({ code: 'ECONNREFUSED' });
    expect(await next()).toEqual(frame('slow'));
    await done;
    await closing;
    expect(server.connectionCount()).toBe(0);
  });

  it('destroys connections still busy when the grace period ends', async () => {
    const h: MessageHandler = { handle: () => new Promise(() => {}) };
    const { port, server } = await start(h);
    const s = await connected(port);
    const done = closed(s);
    s.write(frame('forever'));
    await sleep(50);
    const t0 = Date.now();
    await server.close(200);
    expect(Date.now() - t0).toBeLessThan(2_000);
    await done;
  });
});
