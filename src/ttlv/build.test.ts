import { describe, expect, it } from 'vitest';
import { bigInt, bool, bytes, child, children, dateTime, dateTimeExt, enm, int, interval, long, struct, text } from './build.js';

describe('build', () => {
  it('builds each node type', () => {
    expect(int(0x420020, 8)).toEqual({ tag: 0x420020, type: 'Integer', value: 8 });
    expect(long(0x420020, 5n)).toEqual({ tag: 0x420020, type: 'LongInteger', value: 5n });
    expect(bigInt(0x420020, -5n)).toEqual({ tag: 0x420020, type: 'BigInteger', value: -5n });
    expect(enm(0x420020, 255)).toEqual({ tag: 0x420020, type: 'Enumeration', value: 255 });
    expect(bool(0x420020, true)).toEqual({ tag: 0x420020, type: 'Boolean', value: true });
    expect(text(0x420020, 'hi')).toEqual({ tag: 0x420020, type: 'TextString', value: 'hi' });
    expect(bytes(0x420020, Uint8Array.of(1))).toEqual({ tag: 0x420020, type: 'ByteString', value: Uint8Array.of(1) });
    expect(interval(0x420020, 864000)).toEqual({ tag: 0x420020, type: 'Interval', value: 864000 });
    expect(dateTimeExt(0x420020, 1n)).toEqual({ tag: 0x420020, type: 'DateTimeExtended', value: 1n });
  });

  it('converts a Date to whole POSIX seconds, flooring', () => {
    expect(dateTime(0x420020, new Date('2008-03-14T11:56:40.999Z')).value).toBe(0x47da67f8n);
    expect(dateTime(0x420020, new Date(-1500)).value).toBe(-2n);
    expect(dateTime(0x420020, 7n).value).toBe(7n);
  });

  it('finds children by tag', () => {
    const a = int(0x420001, 1);
    const b = int(0x420002, 2);
    const c = int(0x420001, 3);
    const s = struct(0x420000, [a, b, c]);
    expect(child(s, 0x420001)).toBe(a);
    expect(child(s, 0x420009)).toBeUndefined();
    expect(children(s, 0x420001)).toEqual([a, c]);
    expect(children(s, 0x420009)).toEqual([]);
    expect(child(a, 0x420001)).toBeUndefined();
    expect(children(a, 0x420001)).toEqual([]);
  });
});

describe('dateTime', () => {
  it('rejects an invalid Date', () => {
    expect(() => dateTime(0x420020, new Date('not a date'))).toThrow(RangeError);
  });
});
