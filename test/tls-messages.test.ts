/**
 * Message handling over mutual TLS: framing across any split, strict ordering, concurrency,
 * backpressure, and what a framing error or a failing handler costs (one connection).
 */
import { describe, expect, it } from 'vitest';
import type { MessageHandler } from '../src/server/index.js';
import { closed, EchoHandler, frame, reader, sleep, useTlsHarness } from './helpers/pki.js';

const t = useTlsHarness();
const { start, connected } = t;

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

  it('closes a client that stops reading its responses', async () => {
    const body = Buffer.alloc(1024 * 1024 - 8, 0x5a);
    const { port, logs, server } = await start({ handle: async () => frame(body) }, { messageTimeoutMs: 300 });
    const s = await connected(port);
    s.pause(); // never read; a paused client would not notice the close either, so watch the server
    for (let i = 0; i < 20; i++) s.write(frame(Buffer.from([i])));
    const closedLine = (): Record<string, unknown> | undefined => logs.lines().find((l) => l.msg === 'connection closed');
    for (let i = 0; i < 250 && closedLine() === undefined; i++) await sleep(20);
    expect(closedLine()).toMatchObject({ reason: 'write-timeout' });
    expect(server.connectionCount()).toBe(0);
    s.destroy();
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
