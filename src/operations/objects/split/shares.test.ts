/**
 * Secret sharing: the OASIS GF(2^8) parts (TC-SJ-3-20) as known answers, round trips for every
 * method over thresholds 1..n and every subset of a small split, and that fewer parts than the
 * threshold do not give the secret back.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Share, gfMul, isProbablePrime, joinGf256, joinPrime, joinXor, splitGf256, splitPrime, splitXor } from './shares.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (u: Uint8Array): string => Buffer.from(u).toString('hex');
const random = (n: number): Promise<Uint8Array> => Promise.resolve(new Uint8Array(randomBytes(n)));

/** Every k-subset of `items`. */
function subsets<T>(items: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (items.length < k) return [];
  const [h, ...t] = items;
  return [...subsets(t, k - 1).map((s) => [h!, ...s]), ...subsets(t, k)];
}

describe('GF(2^8), polynomial 0x11D', () => {
  it('multiplies as the field does', () => {
    expect(gfMul(2, 0x80)).toBe(0x1d);
    expect(gfMul(0x53, 0)).toBe(0);
    // Every non-zero element has an inverse.
    for (let a = 1; a < 256; a++) {
      let found = false;
      for (let b = 1; b < 256 && !found; b++) found = gfMul(a, b) === 1;
      expect(found).toBe(true);
    }
  });

  it('joins the OASIS TC-SJ-3-20 parts (threshold 2) back to 0102..0f10, from any two', () => {
    const parts: Share[] = [
      { x: 1, y: hex('66c46a7754f94de420c7b1a7fff5ec56') },
      { x: 2, y: hex('cf93d1e2a7e593cd5b8d6247f4e5d49c') },
      { x: 3, y: hex('a855b891f61ad9217240d8ec061e37da') },
      { x: 4, y: hex('803dbad55cdd329fad19d99ae2c5a415') },
    ];
    for (const pair of subsets(parts, 2)) expect(toHex(joinGf256(pair))).toBe('0102030405060708090a0b0c0d0e0f10');
    expect(toHex(joinGf256(parts.slice(0, 1)))).not.toBe('0102030405060708090a0b0c0d0e0f10');
  });

  it.each([
    [1, 1],
    [2, 1],
    [2, 2],
    [5, 3],
    [5, 5],
    [6, 4],
  ])('n = %i, k = %i: every k-subset joins, k-1 parts do not', async (n, k) => {
    const secret = new Uint8Array(randomBytes(32));
    const shares = await splitGf256(secret, n, k, random);
    expect(shares.map((s) => s.x)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    for (const sub of subsets(shares, k)) expect(toHex(joinGf256(sub))).toBe(toHex(secret));
    if (k > 1) {
      // With k-1 parts the result is independent of the secret; it matches by chance with
      // probability 2^-256.
      expect(toHex(joinGf256(shares.slice(0, k - 1)))).not.toBe(toHex(secret));
    }
  });

  it('allows 255 parts and no more', async () => {
    const s = await splitGf256(hex('aa'), 255, 2, random);
    expect(toHex(joinGf256([s[0]!, s[254]!]))).toBe('aa');
    await expect(splitGf256(hex('aa'), 256, 2, random)).rejects.toThrow(RangeError);
  });
});

describe('XOR', () => {
  it.each([1, 2, 4, 9])('%i parts join back only all together', async (n) => {
    const secret = new Uint8Array(randomBytes(24));
    const shares = await splitXor(secret, n, random);
    expect(shares).toHaveLength(n);
    expect(toHex(joinXor(shares))).toBe(toHex(secret));
    if (n > 1) expect(toHex(joinXor(shares.slice(1)))).not.toBe(toHex(secret));
  });
  it('known answer: the parts XOR to the OASIS TC-SJ-4 key', () => {
    const parts = ['35ea4f615686230c7b11538693674e89', '3478ddd2e1f89f2005011d26d9fff37c', 'd429bd9e23e192aa47c4a497d1e8df3f'].map((h, i) => ({ x: i + 1, y: hex(h) }));
    const last = joinXor([...parts, { x: 4, y: hex('0102030405060708090a0b0c0d0e0f10') }]);
    expect(toHex(joinXor([...parts, { x: 4, y: last }]))).toBe('0102030405060708090a0b0c0d0e0f10');
  });
});

describe('prime field', () => {
  // 2^127 - 1 (a Mersenne prime) and 2^521 - 1.
  const p127 = (1n << 127n) - 1n;
  const p521 = (1n << 521n) - 1n;

  it.each([
    [p127, 15, 3, 3],
    [p127, 15, 5, 2],
    [p521, 32, 4, 4],
    [p521, 64, 3, 1],
  ])('p = %s, %i-byte secret, n = %i, k = %i: every k-subset joins', async (p, len, n, k) => {
    const secret = new Uint8Array(randomBytes(len));
    const shares = await splitPrime(secret, p, n, k, random);
    for (const sub of subsets(shares, k)) expect(toHex(joinPrime(sub, p, len))).toBe(toHex(secret));
    if (k > 1) {
      // k-1 parts interpolate to an unrelated field element, which may not even fit `len` bytes.
      let wrong: string;
      try {
        wrong = toHex(joinPrime(shares.slice(0, k - 1), p, len));
      } catch (e) {
        expect(e).toBeInstanceOf(RangeError);
        wrong = 'no fit';
      }
      expect(wrong).not.toBe(toHex(secret));
    }
  });

  it('small field known answer: f(x) = 7 + 3x mod 11 gives parts 10, 2, 5', async () => {
    const coeff = [hex('03')];
    const shares = await splitPrime(hex('07'), 11n, 3, 2, () => Promise.resolve(new Uint8Array([...new Uint8Array(8), ...coeff.shift()!])));
    expect(shares.map((s) => s.y[0])).toEqual([10, 2, 5]);
    expect(joinPrime([shares[1]!, shares[2]!], 11n, 1)[0]).toBe(7);
  });

  it('refuses a secret not below the prime', async () => {
    await expect(splitPrime(hex('0b'), 11n, 3, 2, random)).rejects.toThrow(RangeError);
  });
});

describe('isProbablePrime', () => {
  it('tells primes from composites, Carmichael numbers included', () => {
    for (const p of [2n, 3n, 11n, 251n, 65537n, (1n << 127n) - 1n, (1n << 521n) - 1n]) expect(isProbablePrime(p)).toBe(true);
    for (const c of [0n, 1n, 4n, 561n, 41041n, 3215031751n, (1n << 128n) - 1n, ((1n << 127n) - 1n) * 3n]) expect(isProbablePrime(c)).toBe(false);
  });
});
