import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeIndexInt64, encodeIndexDate, encodeIndexInt64, encodeIndexString, encodeIndexUint32 } from './index-keys.js';

const order = (a: bigint | number | string, b: bigint | number | string): number => (a < b ? -1 : a > b ? 1 : 0);
const cmp = (a: Buffer, b: Buffer): number => Math.sign(Buffer.compare(a, b));

describe('order-preserving index encodings', () => {
  it('int64: byte order is numeric order, across the sign, and it round-trips', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (a, b) => {
        expect(cmp(encodeIndexInt64(a), encodeIndexInt64(b))).toBe(order(a, b));
        expect(decodeIndexInt64(encodeIndexInt64(a))).toBe(a);
      }),
    );
    expect(encodeIndexInt64(-1n).toString('hex')).toBe('7fffffffffffffff');
    expect(encodeIndexInt64(0n).toString('hex')).toBe('8000000000000000');
    expect(() => encodeIndexInt64(1n << 63n)).toThrow(RangeError);
  });

  it('uint32: fixed-width big-endian', () => {
    fc.assert(fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), (a, b) => {
      expect(cmp(encodeIndexUint32(a), encodeIndexUint32(b))).toBe(order(a, b));
    }));
    expect(encodeIndexUint32(0x01020304).toString('hex')).toBe('01020304');
    expect(() => encodeIndexUint32(-1)).toThrow(RangeError);
    expect(() => encodeIndexUint32(2 ** 32)).toThrow(RangeError);
  });

  it('dates order chronologically, including before 1970', () => {
    expect(cmp(encodeIndexDate(-86400n), encodeIndexDate(0n))).toBe(-1);
    expect(cmp(encodeIndexDate(1_700_000_000n), encodeIndexDate(1_700_000_001n))).toBe(-1);
  });

  it('strings order by code point (UTF-8 byte order), not UTF-16 units', () => {
    // U+FF61 sorts below U+1F600 by code point, above it by UTF-16 code unit.
    expect(cmp(encodeIndexString('\uff61'), encodeIndexString('\u{1f600}'))).toBe(-1);
    expect(cmp(encodeIndexString('ab'), encodeIndexString('abc'))).toBe(-1);
    expect(() => encodeIndexString('\udc00')).toThrow(TypeError);
  });
});
