/**
 * Server-chosen 96-bit GCM IVs (SP 800-38D §8.2.1): fixed field || 32-bit invocation counter,
 * never repeating within a source, a new random fixed field when the counter is used up.
 */
import { describe, expect, it } from 'vitest';

import { GCM_IV_BYTES, GcmIvSource, gcmIvs } from './gcm-iv.js';
import { resolveCipher } from './pkcs11/cipher-params.js';

describe('GCM IV source', () => {
  it('gives 96-bit IVs that never repeat, one fixed field and an incrementing invocation field', () => {
    const src = new GcmIvSource();
    const seen = new Set<string>();
    const fixed = new Set<string>();
    let misplaced = 0;
    for (let i = 0; i < 100_000; i++) {
      const iv = src.next();
      if (iv.length !== GCM_IV_BYTES || iv.readUInt32BE(8) !== i) misplaced += 1;
      seen.add(iv.toString('hex'));
      fixed.add(iv.subarray(0, 8).toString('hex'));
    }
    expect(misplaced).toBe(0);
    expect(seen.size).toBe(100_000);
    expect(fixed.size).toBe(1);
  });

  it('draws a new fixed field when the 32-bit counter is used up, so no IV comes back', () => {
    const src = new GcmIvSource(2 ** 32 - 2);
    const a = src.next();
    const b = src.next();
    const c = src.next(); // counter exhausted: new fixed field, counter 0
    expect(a.readUInt32BE(8)).toBe(2 ** 32 - 2);
    expect(b.readUInt32BE(8)).toBe(2 ** 32 - 1);
    expect(c.readUInt32BE(8)).toBe(0);
    expect(src.draws).toBe(2);
    expect(c.subarray(0, 8).equals(a.subarray(0, 8))).toBe(false);
    expect(new Set([a, b, c].map((x) => x.toString('hex'))).size).toBe(3);
  });

  it('refuses a start counter outside 32 bits', () => {
    expect(() => new GcmIvSource(2 ** 32)).toThrow(RangeError);
    expect(() => new GcmIvSource(-1)).toThrow(RangeError);
  });

  it('is what an Encrypt without IV gets for 96-bit GCM; other IV lengths and modes stay random', () => {
    const data = new Uint8Array(16);
    const first = resolveCipher('AES', { mode: 'GCM' }, data, 'encrypt').iv!;
    const second = resolveCipher('AES', { mode: 'GCM' }, data, 'encrypt').iv!;
    expect(first.length).toBe(12);
    // Same process-wide source: same fixed field, next invocation value.
    expect(second.subarray(0, 8).equals(first.subarray(0, 8))).toBe(true);
    expect(second.readUInt32BE(8)).toBe(first.readUInt32BE(8) + 1);
    expect(gcmIvs.next().readUInt32BE(8)).toBe(first.readUInt32BE(8) + 2);
    // A 128-bit GCM IV and a CBC IV are random, not from the counter.
    expect(resolveCipher('AES', { mode: 'GCM', ivLength: 16 }, data, 'encrypt').iv!.length).toBe(16);
    const cbc1 = resolveCipher('AES', { mode: 'CBC' }, data, 'encrypt').iv!;
    const cbc2 = resolveCipher('AES', { mode: 'CBC' }, data, 'encrypt').iv!;
    expect(cbc1.length).toBe(16);
    expect(cbc1.equals(cbc2)).toBe(false);
    // A caller's IV is used as given.
    const mine = Buffer.alloc(12, 7);
    expect(resolveCipher('AES', { mode: 'GCM', iv: mine }, data, 'encrypt').iv!.equals(mine)).toBe(true);
  });
});
