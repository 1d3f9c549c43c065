import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AUDIT_RANGE,
  auditKey,
  escapeIndexValue,
  indexKey,
  indexRange,
  indexValuePrefix,
  objectKey,
  parseIndexKey,
  prefixRange,
  seqFromAuditKey,
  uidFromObjectKey,
} from './keys.js';

const inRange = (key: Buffer, r: { gte: Buffer; lt: Buffer }): boolean => Buffer.compare(key, r.gte) >= 0 && Buffer.compare(key, r.lt) < 0;
const bytes = fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a));
// Bias towards the bytes the escaping is about.
const edgyBytes = fc.array(fc.constantFrom(0x00, 0x01, 0x02, 0x61, 0xfe, 0xff), { maxLength: 8 }).map((a) => Buffer.from(a));
const value = fc.oneof(bytes, edgyBytes);
const uid = fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme' });

describe('index value escaping', () => {
  it('preserves bytewise order', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(Math.sign(Buffer.compare(escapeIndexValue(a), escapeIndexValue(b)))).toBe(Math.sign(Buffer.compare(a, b)));
      }),
    );
  });

  it('never lets an equality scan see another value, even a prefix or extension of it', () => {
    fc.assert(
      fc.property(value, value, uid, (a, b, u) => {
        fc.pre(!a.equals(b));
        const key = indexKey('name', b, u);
        expect(inRange(key, prefixRange(indexValuePrefix('name', a)))).toBe(false);
        expect(inRange(key, prefixRange(indexValuePrefix('name', b)))).toBe(true);
      }),
    );
  });

  it('puts exactly the values within [from, to] into a range scan', () => {
    fc.assert(
      fc.property(value, value, value, uid, (from, to, v, u) => {
        const key = indexKey('f', v, u);
        const expected = Buffer.compare(v, from) >= 0 && Buffer.compare(v, to) <= 0;
        expect(inRange(key, indexRange('f', from, to))).toBe(expected);
        expect(inRange(key, indexRange('f', undefined, to))).toBe(Buffer.compare(v, to) <= 0);
        expect(inRange(key, indexRange('f', from, undefined))).toBe(Buffer.compare(v, from) >= 0);
        expect(inRange(key, indexRange('f'))).toBe(true);
        expect(inRange(key, indexRange('g'))).toBe(false);
        expect(inRange(key, indexRange('ff'))).toBe(false);
      }),
    );
  });

  it('parses keys back into value and uid', () => {
    fc.assert(
      fc.property(value, uid, (v, u) => {
        const { value: pv, uid: pu } = parseIndexKey('name', indexKey('name', v, u));
        expect(pv.equals(v)).toBe(true);
        expect(pu.toString('utf8')).toBe(u);
      }),
    );
  });

  it('rejects fields that would make the layout ambiguous', () => {
    expect(() => indexKey('a\0b', Buffer.from('x'), 'u')).toThrow(TypeError);
    expect(() => indexKey('', Buffer.from('x'), 'u')).toThrow(TypeError);
  });
});

describe('object and audit keys', () => {
  it('round-trip uids, and reject ones that do not survive UTF-8', () => {
    expect(uidFromObjectKey(objectKey('ключ-1'))).toBe('ключ-1');
    expect(() => objectKey('')).toThrow(TypeError);
    expect(() => objectKey('\ud800')).toThrow(TypeError);
  });

  it('order audit keys by seq with a fixed width', () => {
    expect(Buffer.compare(auditKey(255), auditKey(256))).toBe(-1);
    expect(Buffer.compare(auditKey(9), auditKey(10))).toBe(-1);
    expect(seqFromAuditKey(auditKey(2 ** 40 + 3))).toBe(2 ** 40 + 3);
    expect(inRange(auditKey(Number.MAX_SAFE_INTEGER), AUDIT_RANGE)).toBe(true);
    expect(() => auditKey(1.5)).toThrow(RangeError);
  });

  it('write the audit seq as a 64-bit big-endian integer after the prefix', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 2 ** 32 + 5 }), fc.maxSafeNat()), (seq) => {
        const want = Buffer.alloc(10);
        want.write('a\0', 'latin1');
        want.writeBigUInt64BE(BigInt(seq), 2);
        expect(auditKey(seq).equals(want)).toBe(true);
        expect(seqFromAuditKey(auditKey(seq))).toBe(seq);
      }),
    );
  });
});
