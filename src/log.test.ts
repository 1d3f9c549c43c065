import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { connectionLogger, createLogger, lazyChild } from './log.js';

function capture(): { lines: () => Record<string, unknown>[]; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    stream,
    lines: () => chunks.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes JSON lines at or above the level', () => {
    const out = capture();
    const log = createLogger({ level: 'info', destination: out.stream });
    log.debug('hidden');
    log.info({ n: 1 }, 'shown');
    const lines = out.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, msg: 'shown', n: 1, service: 'kmipd' });
    expect(typeof lines[0]!.time).toBe('string');
  });

  it('censors PINs, passwords and key material at several depths', () => {
    const out = capture();
    const log = createLogger({ level: 'info', destination: out.stream });
    log.info({ pin: '1111', config: { pkcs11: { pin: '2222' } }, a: { b: { password: 'pw3333' } }, keyMaterial: 'k4444' }, 'cfg');
    const text = JSON.stringify(out.lines());
    for (const secret of ['1111', '2222', 'pw3333', 'k4444']) expect(text).not.toContain(secret);
    expect(out.lines()[0]).toMatchObject({ pin: '[redacted]', config: { pkcs11: { pin: '[redacted]' } } });
  });

  it('serializes errors by allow-list, dropping attached payloads', () => {
    const out = capture();
    const log = createLogger({ level: 'info', destination: out.stream });
    const err = Object.assign(new Error('boom'), { code: 'E_X', payload: Buffer.from('secret-bytes') });
    log.error({ err }, 'failed');
    const line = out.lines()[0]!;
    expect(line.err).toMatchObject({ type: 'Error', message: 'boom', code: 'E_X' });
    expect(JSON.stringify(line)).not.toContain('payload');
    expect(JSON.stringify(line)).not.toContain('secret-bytes');
  });

  it('keeps only identity fields of a peer', () => {
    const out = capture();
    const log = createLogger({ level: 'info', destination: out.stream });
    log.info({ peer: { principal: 'alice', remoteAddress: '127.0.0.1', cert: { raw: 'DER' } } }, 'peer');
    expect(out.lines()[0]!.peer).toEqual({ principal: 'alice', remoteAddress: '127.0.0.1' });
  });

  it('binds connId, peer and client on connection children', () => {
    const out = capture();
    const log = createLogger({ level: 'info', destination: out.stream });
    const conn = connectionLogger(log, { connId: 'c7', peer: '127.0.0.1:5000' });
    conn.child({ client: 'alice' }).info('hello');
    expect(out.lines()[0]).toMatchObject({ connId: 'c7', peer: '127.0.0.1:5000', client: 'alice', msg: 'hello' });
  });
});

describe('lazyChild', () => {
  it('writes the same lines as a pino child, bindings included, nested', () => {
    const out = capture();
    const log = createLogger({ level: 'info', destination: out.stream });
    const conn = lazyChild(log, { connId: 'c1', client: 'alice' });
    const item = lazyChild(conn, { op: 10 });
    item.warn({ n: 2 }, 'item line');
    conn.info('conn line');
    expect(out.lines()).toEqual([
      expect.objectContaining({ level: 40, connId: 'c1', client: 'alice', op: 10, n: 2, msg: 'item line' }),
      expect.objectContaining({ level: 30, connId: 'c1', client: 'alice', msg: 'conn line' }),
    ]);
  });

  it('does not build the child for disabled levels, and still redacts when it does', () => {
    const out = capture();
    const log = createLogger({ level: 'warn', destination: out.stream });
    let built = 0;
    const counting = new Proxy(log, {
      get(t, p) {
        if (p === 'child') built++;
        return Reflect.get(t, p, t) as unknown;
      },
    });
    const item = lazyChild(lazyChild(counting, { connId: 'c2' }), { op: 1 });
    item.info({ x: 1 }, 'hidden');
    item.debug('hidden too');
    expect(item.isLevelEnabled('info')).toBe(false);
    expect(item.level).toBe('warn');
    expect(built).toBe(0);
    item.error({ pin: '9999', nested: { password: 'pw' } }, 'shown');
    expect(built).toBeGreaterThan(0); // pino children inherit from their parent, so the count is not one per child
    const lines = out.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ connId: 'c2', op: 1, pin: '[redacted]', nested: { password: '[redacted]' } });
  });
});
