import { describe, expect, it } from 'vitest';
import { TtlvError } from './errors.js';
import { TtlvFramer } from './framer.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');

// KMIP 1.1 Discover Versions request (kmip-spec-notes.md §1 worked example), 104 bytes.
const DISCOVER = hex(
  '420078 01 00000060 420077 01 00000038 420069 01 00000020' +
    '42006A 02 00000004 00000001 00000000 42006B 02 00000004 00000001 00000000' +
    '42000D 02 00000004 00000001 00000000 42000F 01 00000018' +
    '42005C 05 00000004 0000001E 00000000 420079 01 00000000',
);
const EMPTY = hex('42007B 01 00000000');

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TtlvError);
    return (e as TtlvError).code;
  }
  throw new Error('expected a TtlvError');
}

describe('TtlvFramer', () => {
  it('returns a whole message pushed in one chunk', () => {
    const f = new TtlvFramer();
    const out = f.push(DISCOVER);
    expect(out).toHaveLength(1);
    expect(out[0]!.equals(DISCOVER)).toBe(true);
    expect(f.buffered).toBe(0);
  });

  it('reassembles a message split at every byte position', () => {
    for (let i = 0; i <= DISCOVER.length; i++) {
      const f = new TtlvFramer();
      const a = f.push(DISCOVER.subarray(0, i));
      expect(f.buffered).toBe(i === DISCOVER.length ? 0 : i);
      const b = f.push(DISCOVER.subarray(i));
      const all = [...a, ...b];
      expect(all).toHaveLength(1);
      expect(all[0]!.equals(DISCOVER)).toBe(true);
      expect(f.buffered).toBe(0);
    }
  });

  it('reassembles a message fed one byte at a time, twice in a row', () => {
    const f = new TtlvFramer();
    const out: Buffer[] = [];
    const stream = Buffer.concat([DISCOVER, EMPTY, DISCOVER]);
    for (const b of stream) out.push(...f.push(Uint8Array.of(b)));
    expect(out.map((m) => m.toString('hex'))).toEqual([DISCOVER, EMPTY, DISCOVER].map((m) => m.toString('hex')));
  });

  it('returns many messages from one chunk, and keeps a partial next one', () => {
    const f = new TtlvFramer();
    const stream = Buffer.concat([DISCOVER, EMPTY, DISCOVER, EMPTY, DISCOVER.subarray(0, 50)]);
    const out = f.push(stream);
    expect(out).toHaveLength(4);
    expect(out[1]!.equals(EMPTY)).toBe(true);
    expect(out[2]!.equals(DISCOVER)).toBe(true);
    expect(f.buffered).toBe(50);
    const rest = f.push(DISCOVER.subarray(50));
    expect(rest).toHaveLength(1);
    expect(rest[0]!.equals(DISCOVER)).toBe(true);
  });

  it('accepts a plain Uint8Array and an empty chunk', () => {
    const f = new TtlvFramer();
    expect(f.push(new Uint8Array(0))).toEqual([]);
    const out = f.push(new Uint8Array(DISCOVER));
    expect(out[0]!.equals(DISCOVER)).toBe(true);
  });

  it('rejects an over-limit declared length from the header alone, before the body arrives', () => {
    const f = new TtlvFramer({ maxMessageBytes: 1024 });
    expect(f.push(hex('420078 01'))).toEqual([]);
    expect(codeOf(() => f.push(hex('00000400')))).toBe('TOO_LARGE'); // 8 + 1024 > 1024
    // Framing is lost for good.
    expect(codeOf(() => f.push(EMPTY))).toBe('TOO_LARGE');
  });

  it('rejects length 0xFFFFFFFF under the default limit', () => {
    expect(codeOf(() => new TtlvFramer().push(hex('420078 01 FFFFFFFF')))).toBe('TOO_LARGE');
  });

  it('accepts a message exactly at the limit', () => {
    const f = new TtlvFramer({ maxMessageBytes: 24 });
    const m = hex('420078 01 00000010 420020 02 00000004 00000008 00000000');
    expect(f.push(m)[0]!.equals(m)).toBe(true);
  });

  it('rejects a bad first byte as soon as it arrives', () => {
    expect(codeOf(() => new TtlvFramer().push(Buffer.from('G')))).toBe('BAD_TAG');
    expect(codeOf(() => new TtlvFramer().push(Buffer.from('GET / HTTP/1.1\r\n')))).toBe('BAD_TAG');
  });

  it('rejects a message that is not a Structure', () => {
    expect(codeOf(() => new TtlvFramer().push(hex('420020 02 00000004')))).toBe('UNKNOWN_TYPE');
  });

  it('rejects a Structure length that is not a multiple of 8', () => {
    expect(codeOf(() => new TtlvFramer().push(hex('420078 01 0000000C')))).toBe('BAD_LENGTH');
  });

  it('rejects garbage after a valid message in the same chunk', () => {
    const f = new TtlvFramer();
    expect(codeOf(() => f.push(Buffer.concat([DISCOVER, hex('00')])))).toBe('BAD_TAG');
  });

  it('assembles a large message from many small chunks in linear time', () => {
    const body = 4 * 1024 * 1024;
    const msg = Buffer.alloc(8 + body);
    hex('420078 01').copy(msg, 0);
    msg.writeUInt32BE(body, 4);
    msg.fill(7, 8);
    const f = new TtlvFramer();
    const out: Buffer[] = [];
    const t0 = performance.now();
    for (let i = 0; i < msg.length; i += 64) out.push(...f.push(msg.subarray(i, i + 64)));
    const ms = performance.now() - t0;
    expect(out).toHaveLength(1);
    expect(out[0]!.equals(msg)).toBe(true);
    // 65 536 pushes; quadratic copying would take minutes. Generous bound for a shared machine.
    expect(ms).toBeLessThan(5000);
  });

  it('reports buffered bytes while a large body is still pending', () => {
    const f = new TtlvFramer();
    f.push(hex('420078 01 00F00000'));
    f.push(Buffer.alloc(100));
    expect(f.buffered).toBe(108);
  });
});

describe('TtlvFramer error offsets', () => {
  function errOf(f: () => unknown): TtlvError {
    try {
      f();
    } catch (e) {
      return e as TtlvError;
    }
    throw new Error('expected a TtlvError');
  }

  it('points at the stream offset of the bad header, in one chunk', () => {
    const e = errOf(() => new TtlvFramer().push(Buffer.concat([DISCOVER, hex('430078 01 00000000')])));
    expect(e.code).toBe('BAD_TAG');
    expect(e.offset).toBe(DISCOVER.length);
  });

  it('points at the stream offset of the bad header when it spans chunks', () => {
    const f = new TtlvFramer({ maxMessageBytes: 200 });
    f.push(DISCOVER.subarray(0, 100));
    f.push(Buffer.concat([DISCOVER.subarray(100), hex('420078')]));
    const e = errOf(() => f.push(hex('01 00001000')));
    expect(e.code).toBe('TOO_LARGE');
    expect(e.offset).toBe(DISCOVER.length);
  });
});
