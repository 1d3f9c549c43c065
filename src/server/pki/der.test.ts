import { describe, expect, it } from 'vitest';
import * as der from './der.js';

const hex = (b: Buffer): string => b.toString('hex');

describe('DER writer (X.690)', () => {
  it('encodes OIDs with multi-byte arcs', () => {
    expect(hex(der.oid('1.2.840.113549.1.1.11'))).toBe('06092a864886f70d01010b'); // sha256WithRSAEncryption
    expect(hex(der.oid('2.5.29.37'))).toBe('0603551d25');
    expect(() => der.oid('1')).toThrow(/bad OID/);
  });

  it('drops trailing zero bits of named-bit lists', () => {
    expect(hex(der.namedBits([0]))).toBe('03020780'); // digitalSignature
    expect(hex(der.namedBits([5, 6]))).toBe('03020106'); // keyCertSign, cRLSign
    expect(hex(der.namedBits([0, 2]))).toBe('030205a0'); // digitalSignature, keyEncipherment
    expect(hex(der.namedBits([8]))).toBe('0303070080'); // bit 8 is the top bit of the second octet
  });

  it('keeps INTEGERs positive and minimal', () => {
    expect(hex(der.unsignedInteger(Buffer.from([0x80])))).toBe('02020080');
    expect(hex(der.unsignedInteger(Buffer.from([0, 0, 0x7f])))).toBe('02017f');
    expect(hex(der.unsignedInteger(Buffer.alloc(0)))).toBe('020100');
  });

  it('uses long-form lengths from 128 bytes', () => {
    expect(hex(der.octetString(Buffer.alloc(127))).slice(0, 4)).toBe('047f');
    expect(hex(der.octetString(Buffer.alloc(200))).slice(0, 6)).toBe('0481c8');
    expect(hex(der.octetString(Buffer.alloc(300))).slice(0, 8)).toBe('0482012c');
  });

  it('switches from UTCTime to GeneralizedTime in 2050 (RFC 5280 §4.1.2.5)', () => {
    expect(der.time(new Date('2049-12-31T23:59:59Z')).toString('latin1')).toBe('\x17\x0d491231235959Z');
    expect(der.time(new Date('2050-01-01T00:00:00Z')).toString('latin1')).toBe('\x18\x0f20500101000000Z');
  });

  it('reads back what it writes', () => {
    const buf = der.sequence(der.smallInteger(5), der.octetString(Buffer.alloc(300)));
    const top = der.readElement(buf, 0);
    expect(top).toMatchObject({ tag: 0x30, start: 0, end: buf.length });
    expect(der.children(buf, top).map((c) => c.tag)).toEqual([0x02, 0x04]);
    expect(() => der.readElement(buf.subarray(0, 10), 0)).toThrow(/past end/);
  });
});
