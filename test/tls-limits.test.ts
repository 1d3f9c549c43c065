/**
 * Limits and lifecycle of the listener: idle and slow-message timeouts, handshake timeout,
 * the connection cap, and graceful close.
 */
import { connect as netConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { MessageHandler } from '../src/server/index.js';
import { closed, EchoHandler, frame, reader, sleep, useTlsHarness } from './helpers/pki.js';

const t = useTlsHarness();
const { start, client, connected } = t;

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

  it('does not count a message in progress as idle time, and restarts the idle clock after it', async () => {
    // The handler takes longer than the idle timeout: the idle timer may fire meanwhile and must
    // do nothing; the full idle period then starts when the response has been written.
    const { port, logs } = await start(new EchoHandler(() => 500), { idleTimeoutMs: 200 });
    const sock = await connected(port);
    const next = reader(sock);
    const gone = closed(sock);
    const t0 = Date.now();
    sock.write(frame('slow'));
    await next();
    const answered = Date.now();
    expect(answered - t0).toBeGreaterThanOrEqual(450);
    await gone;
    expect(Date.now() - answered).toBeGreaterThanOrEqual(150);
    await sleep(20);
    expect(logs.lines().filter((l) => l.msg === 'connection closed').map((l) => l.reason)).toEqual(['idle-timeout']);
  });

  it('holds large requests within the listener-wide byte budget: a second one waits until the first is handled', async () => {
    const h = new EchoHandler();
    const { port } = await start(h, { maxBufferedBytes: 1 << 20, messageTimeoutMs: 60_000, idleTimeoutMs: 60_000 });
    const a = await connected(port);
    const b = await connected(port);
    const [readA, readB] = [reader(a), reader(b)];
    const ma = frame(Buffer.alloc(700 * 1024, 'a'));
    const mb = frame(Buffer.alloc(700 * 1024, 'b'));
    a.write(ma.subarray(0, 100 * 1024)); // its header reserves 700 KiB of the 1 MiB
    await sleep(200);
    b.write(mb); // whole on the wire, but 700 KiB more does not fit: the server stops reading it
    await sleep(500);
    expect(h.peers).toHaveLength(0);
    a.write(ma.subarray(100 * 1024));
    expect((await readA()).equals(ma)).toBe(true);
    expect((await readB()).equals(mb)).toBe(true); // A's reservation returned once it was handled
    expect(h.peers).toHaveLength(2);
    a.end();
    b.end();
  });

  it('returns the byte budget of a connection that closes mid-message', async () => {
    const h = new EchoHandler();
    const { port } = await start(h, { maxBufferedBytes: 1 << 20, messageTimeoutMs: 60_000, idleTimeoutMs: 60_000 });
    const a = await connected(port);
    const b = await connected(port);
    const readB = reader(b);
    a.write(frame(Buffer.alloc(700 * 1024, 'a')).subarray(0, 100 * 1024));
    await sleep(200);
    const mb = frame(Buffer.alloc(700 * 1024, 'b'));
    b.write(mb);
    await sleep(300);
    expect(h.peers).toHaveLength(0);
    a.destroy();
    expect((await readB()).equals(mb)).toBe(true);
    b.end();
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
    for (let i = 0; i < 100 && server.connectionCount() > 1; i++) await sleep(20); // server side of a closes
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
    await sleep(50); // an I/O thread stops listening when its close message arrives
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
