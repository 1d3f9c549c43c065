import { afterEach, describe, expect, it, vi } from 'vitest';
import { TlsSessionCache, tlsPolicyOptions } from './tls-policy.js';

describe('TlsSessionCache', () => {
  afterEach(() => vi.useRealTimers());
  const id = (n: number): Buffer => Buffer.from([n]);

  it('returns stored sessions and evicts the oldest beyond capacity', () => {
    const c = new TlsSessionCache(2, 60_000);
    c.set(id(1), Buffer.from('a'));
    c.set(id(2), Buffer.from('b'));
    c.set(id(3), Buffer.from('c'));
    expect(c.get(id(1))).toBeUndefined();
    expect(c.get(id(2))?.toString()).toBe('b');
    expect(c.get(id(3))?.toString()).toBe('c');
    expect(c.size).toBe(2);
  });

  it('forgets sessions after their lifetime', () => {
    vi.useFakeTimers();
    const c = new TlsSessionCache(10, 1_000);
    c.set(id(1), Buffer.from('a'));
    vi.advanceTimersByTime(999);
    expect(c.get(id(1))).toBeDefined();
    vi.advanceTimersByTime(2);
    expect(c.get(id(1))).toBeUndefined();
    expect(c.size).toBe(0);
  });
});

describe('tlsPolicyOptions', () => {
  it('requires verified client certificates and TLS >= 1.2, and offers the KMIP suites', () => {
    const o = tlsPolicyOptions(5000);
    expect(o).toMatchObject({ requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2', handshakeTimeout: 5000 });
    for (const s of ['AES128-SHA256', 'AES256-SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
      expect(o.ciphers?.split(':')).toContain(s);
    }
  });
});
