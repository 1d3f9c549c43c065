import { describe, expect, it } from 'vitest';
import { SPEC_VECTORS, hex } from '../../test/ttlv-spec-vectors.js';
import { decodeTtlv, decodeTtlvHeader, isValidTag } from './decode.js';
import { TtlvError, type TtlvErrorCode } from './errors.js';
import type { TtlvLimits } from './limits.js';

/** Test-only header writer for the generated bombs (independent of the encoder under test). */
function header(tag: number, type: number, len: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUIntBE(tag, 0, 3);
  b[3] = type;
  b.writeUInt32BE(len, 4);
  return b;
}

/** `n` Structures nested inside each other, innermost empty. */
function nested(n: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) parts.push(header(0x420078, 1, (n - 1 - i) * 8));
  return Buffer.concat(parts);
}

/** One Structure holding `n` empty Structures. */
function wide(n: number): Buffer {
  return Buffer.concat([header(0x420078, 1, n * 8), ...Array.from({ length: n }, () => header(0x420079, 1, 0))]);
}

interface Bad {
  readonly no: number;
  readonly what: string;
  readonly input: Buffer;
  readonly code: TtlvErrorCode;
  readonly offset?: number;
  readonly tag?: number;
  readonly limits?: Partial<TtlvLimits>;
}

// prettier-ignore
const MALFORMED: readonly Bad[] = [
  { no: 1, what: 'empty input', input: hex(''), code: 'TRUNCATED', offset: 0 },
  { no: 2, what: 'truncated header', input: hex('420078 01 0000'), code: 'TRUNCATED', offset: 0 },
  { no: 3, what: 'truncated Integer value', input: hex('420020 02 00000004 00000008'), code: 'TRUNCATED', offset: 0, tag: 0x420020 },
  { no: 4, what: 'truncated Structure body', input: hex('420078 01 00000018 420020 02 00000004 00000008 00000000'), code: 'TRUNCATED', offset: 0 },
  { no: 5, what: 'Text String missing its padding at the end', input: hex('420020 07 00000003 414243'), code: 'TRUNCATED', offset: 0 },
  { no: 6, what: 'child longer than its parent', input: hex('420078 01 00000010 420020 07 00000010 4142434445464748'), code: 'LENGTH_EXCEEDS_PARENT', offset: 8, tag: 0x420020 },
  { no: 7, what: 'child length 0xFFFFFFFF inside a Structure', input: hex('420078 01 00000008 420020 08 FFFFFFFF'), code: 'LENGTH_EXCEEDS_PARENT', offset: 8 },
  { no: 8, what: 'Integer of length 8', input: hex('420020 02 00000008 0000000000000008'), code: 'BAD_LENGTH', offset: 0, tag: 0x420020 },
  { no: 9, what: 'Enumeration of length 2', input: hex('420020 05 00000002 0001000000000000'), code: 'BAD_LENGTH', offset: 0 },
  { no: 10, what: 'Interval of length 8', input: hex('420020 0A 00000008 0000000000000001'), code: 'BAD_LENGTH', offset: 0 },
  { no: 11, what: 'Long Integer of length 4', input: hex('420020 03 00000004 00000001 00000000'), code: 'BAD_LENGTH', offset: 0 },
  { no: 12, what: 'Boolean of length 4', input: hex('420020 06 00000004 00000001 00000000'), code: 'BAD_LENGTH', offset: 0 },
  { no: 13, what: 'Date Time of length 16', input: hex('420020 09 00000010 00000000 47DA67F8 00000000 00000000'), code: 'BAD_LENGTH', offset: 0 },
  { no: 14, what: 'Date Time Extended of length 4', input: hex('420020 0B 00000004 00000001 00000000'), code: 'BAD_LENGTH', offset: 0 },
  { no: 15, what: 'Big Integer of length 0', input: hex('420020 04 00000000'), code: 'BAD_LENGTH', offset: 0 },
  { no: 16, what: 'Big Integer of length 12', input: hex('420020 04 0000000C 000000000000000000000001 00000000'), code: 'BAD_LENGTH', offset: 0 },
  { no: 17, what: 'Structure length not a multiple of 8', input: hex('420078 01 0000000C 420020 02 00000004 00000008 00000000'), code: 'BAD_LENGTH', offset: 0 },
  { no: 18, what: 'Integer with non-zero padding', input: hex('420020 02 00000004 00000008 00000100'), code: 'BAD_PADDING', offset: 14, tag: 0x420020 },
  { no: 19, what: 'Enumeration with non-zero padding', input: hex('420020 05 00000004 000000FF 01000000'), code: 'BAD_PADDING', offset: 12 },
  { no: 20, what: 'Interval with non-zero padding', input: hex('420020 0A 00000004 00000001 00000001'), code: 'BAD_PADDING', offset: 15 },
  { no: 21, what: 'Text String with non-zero padding', input: hex('420020 07 0000000B 48656C6C6F20576F726C64 0000000020'), code: 'BAD_PADDING', offset: 23 },
  { no: 22, what: 'Byte String with non-zero padding', input: hex('420020 08 00000003 010203 FF00000000'), code: 'BAD_PADDING', offset: 11 },
  { no: 23, what: 'Boolean 2', input: hex('420020 06 00000008 0000000000000002'), code: 'BAD_VALUE', offset: 0 },
  { no: 24, what: 'Boolean with a high byte set', input: hex('420020 06 00000008 8000000000000001'), code: 'BAD_VALUE', offset: 0 },
  { no: 25, what: 'invalid UTF-8 (C3 28)', input: hex('420020 07 00000002 C328000000000000'), code: 'BAD_UTF8', offset: 0 },
  { no: 26, what: 'overlong UTF-8 encoding of "/"', input: hex('420020 07 00000002 C0AF000000000000'), code: 'BAD_UTF8', offset: 0 },
  { no: 27, what: 'UTF-8-encoded surrogate (CESU-8)', input: hex('420020 07 00000003 EDA080 0000000000'), code: 'BAD_UTF8', offset: 0 },
  { no: 28, what: 'UTF-8 truncated multibyte sequence', input: hex('420020 07 00000001 E2 00000000000000'), code: 'BAD_UTF8', offset: 0 },
  { no: 29, what: 'unknown type 0x00', input: hex('420020 00 00000000'), code: 'UNKNOWN_TYPE', offset: 3 },
  { no: 30, what: 'unknown type 0x0C (3.0-only, not in 2.1)', input: hex('420020 0C 00000004 00000001 00000000'), code: 'UNKNOWN_TYPE', offset: 3 },
  { no: 31, what: 'unknown type 0xFF', input: hex('420020 FF 00000000'), code: 'UNKNOWN_TYPE', offset: 3 },
  { no: 32, what: 'unknown type inside a Structure', input: hex('420078 01 00000008 420020 0D 00000000'), code: 'UNKNOWN_TYPE', offset: 11, tag: 0x420020 },
  { no: 33, what: 'tag 0x430020', input: hex('430020 02 00000004 00000008 00000000'), code: 'BAD_TAG', offset: 0, tag: 0x430020 },
  { no: 34, what: 'tag 0x000000', input: hex('000000 01 00000000'), code: 'BAD_TAG', offset: 0 },
  { no: 35, what: 'bad tag on a nested item', input: hex('420078 01 00000008 FF0020 01 00000000'), code: 'BAD_TAG', offset: 8 },
  { no: 36, what: 'one byte of trailing garbage', input: hex('420078 01 00000000 00'), code: 'TRAILING_BYTES', offset: 8 },
  { no: 37, what: 'two messages back to back', input: hex('420078 01 00000000 420078 01 00000000'), code: 'TRAILING_BYTES', offset: 8 },
  { no: 38, what: 'depth bomb: 33 nested Structures', input: nested(33), code: 'TOO_DEEP', offset: 32 * 8 },
  { no: 39, what: 'depth bomb: 100 000 nested Structures', input: nested(100_000), code: 'TOO_DEEP', offset: 32 * 8 },
  { no: 40, what: 'item-count bomb: 100 001 empty Structures', input: wide(100_001), code: 'TOO_MANY_ITEMS', offset: 100_000 * 8 },
  { no: 41, what: 'item limit lowered to 3', input: wide(3), code: 'TOO_MANY_ITEMS', offset: 24, limits: { maxItems: 3 } },
  { no: 42, what: 'top-level length 0xFFFFFFFF', input: hex('420078 01 FFFFFFFF'), code: 'TOO_LARGE', offset: 0 },
  { no: 43, what: 'input larger than maxMessageBytes', input: wide(4), code: 'TOO_LARGE', offset: 0, limits: { maxMessageBytes: 32 } },
  { no: 44, what: 'declared length over maxMessageBytes', input: hex('420078 01 00000100'), code: 'TOO_LARGE', offset: 0, limits: { maxMessageBytes: 64 } },
  { no: 45, what: 'Byte String length 0xFFFFFFF8 at top level', input: hex('420020 08 FFFFFFF8 00'), code: 'TOO_LARGE', offset: 0 },
];

describe('decodeTtlv: spec encoding examples', () => {
  for (const v of SPEC_VECTORS) {
    it(v.name, () => {
      expect(decodeTtlv(hex(v.bytes))).toEqual(v.node);
    });
  }

  it('accepts a non-minimal Big Integer sign extension', () => {
    const n = decodeTtlv(hex('420020 04 00000010 FFFFFFFFFFFFFFFF FFFFFFFFFFFFFFFE'));
    expect(n).toEqual({ tag: 0x420020, type: 'BigInteger', value: -2n });
    const p = decodeTtlv(hex('420020 04 00000010 0000000000000000 0000000000000005'));
    expect(p.value).toBe(5n);
  });

  it('copies Byte String values out of the input buffer', () => {
    const input = hex('420020 08 00000003 010203 0000000000');
    const node = decodeTtlv(input);
    input[8] = 0xff;
    expect(node.value).toEqual(Uint8Array.of(1, 2, 3));
    expect(Buffer.isBuffer(node.value)).toBe(false);
  });

  it('decodes Text Strings either side of the short-string length (12 bytes), ASCII and not', () => {
    const text = (bytes: Buffer): unknown => {
      const pad = Buffer.alloc(-bytes.length & 7);
      return decodeTtlv(Buffer.concat([header(0x420020, 0x07, bytes.length), bytes, pad])).value;
    };
    for (const s of ['', 'a', 'Name', 'abcdefghijkl', 'abcdefghijklm', 'x'.repeat(36), 'caf\u00e9', 'abcdefghijk\u00e9', '\u00e9abcdefghijklmn', '\u{1F511}']) {
      expect(text(Buffer.from(s, 'utf8'))).toBe(s);
    }
    // Invalid UTF-8 after an ASCII prefix, short and long, and a lone continuation byte.
    for (const bad of ['6162c328', '61626364656667686970717273c328', '80', '616263646566676869707172ff']) {
      let code: TtlvErrorCode | undefined;
      try {
        text(Buffer.from(bad, 'hex'));
      } catch (e) {
        code = (e as TtlvError).code;
      }
      expect(code).toBe('BAD_UTF8');
    }
  });

  it('keeps a leading U+FEFF in a Text String', () => {
    expect(decodeTtlv(hex('420020 07 00000004 EFBBBF41 00000000')).value).toBe('\uFEFFA');
  });

  it('decodes from a view with a non-zero byteOffset', () => {
    const padded = Buffer.concat([Buffer.alloc(3), hex(SPEC_VECTORS[1]!.bytes)]);
    expect(decodeTtlv(padded.subarray(3))).toEqual(SPEC_VECTORS[1]!.node);
  });

  it('turns a stack overflow under a raised depth limit into TOO_DEEP', () => {
    let err: unknown;
    try {
      decodeTtlv(nested(200_000), { maxDepth: Infinity, maxItems: Infinity });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TtlvError);
    expect((err as TtlvError).code).toBe('TOO_DEEP');
  });

  it('caps nesting at 4096 levels whatever maxDepth says (recursive consumers need a bound)', () => {
    const unlimited = { maxDepth: Infinity, maxItems: Infinity };
    expect(() => decodeTtlv(nested(4096), unlimited)).not.toThrow();
    try {
      decodeTtlv(nested(4097), unlimited);
      expect.unreachable();
    } catch (e) {
      expect((e as TtlvError).code).toBe('TOO_DEEP');
      expect((e as TtlvError).offset).toBe(4096 * 8);
    }
  });

  it('closes several Structures at once and carries on with the next sibling', () => {
    // S{ S{ S{ I } } I }: the innermost Integer ends two Structures, then a sibling follows.
    const int = (t: number): Buffer => Buffer.concat([header(t, 2, 4), Buffer.from('0000000500000000', 'hex')]);
    const bytes = Buffer.concat([header(0x420078, 1, 48), header(0x420079, 1, 24), header(0x42007a, 1, 16), int(0x420001), int(0x420002)]);
    expect(decodeTtlv(bytes)).toEqual({
      tag: 0x420078,
      type: 'Structure',
      value: [
        { tag: 0x420079, type: 'Structure', value: [{ tag: 0x42007a, type: 'Structure', value: [{ tag: 0x420001, type: 'Integer', value: 5 }] }] },
        { tag: 0x420002, type: 'Integer', value: 5 },
      ],
    });
  });

  it('accepts exactly MAX_DEPTH nesting and exactly maxItems items', () => {
    expect(() => decodeTtlv(nested(32))).not.toThrow();
    expect(() => decodeTtlv(wide(3), { maxItems: 4 })).not.toThrow();
  });
});

describe('decodeTtlv: malformed input table', () => {
  it('numbers entries 1..N without gaps', () => {
    expect(MALFORMED.map((b) => b.no)).toEqual(MALFORMED.map((_, i) => i + 1));
  });

  for (const bad of MALFORMED) {
    it(`#${bad.no} ${bad.what} -> ${bad.code}`, () => {
      let err: unknown;
      try {
        decodeTtlv(bad.input, bad.limits);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TtlvError);
      const e = err as TtlvError;
      expect(e.code).toBe(bad.code);
      if (bad.offset !== undefined) expect(e.offset).toBe(bad.offset);
      if (bad.tag !== undefined) expect(e.tag).toBe(bad.tag);
      // Messages carry positions, tags and lengths, never runs of value bytes.
      // (Decimal lengths are fine; a hex run with letters or spaced hex bytes is not.)
      expect(e.message).not.toMatch(/\b(?=[0-9]*[a-f])[0-9a-f]{8,}\b/i);
      expect(e.message).not.toMatch(/([0-9a-f]{2} ){3}/i);
    });
  }

  it('does not echo text or byte values in error messages', () => {
    const secret = Buffer.from('SECRETKEY');
    const input = Buffer.concat([hex('420020 08 00000009'), secret, hex('01000000 00000000')]);
    try {
      decodeTtlv(input.subarray(0, 24));
    } catch (e) {
      expect((e as Error).message).not.toContain('SECRET');
      expect((e as Error).message).not.toContain(secret.toString('hex').slice(0, 6));
    }
  });
});

describe('decodeTtlvHeader', () => {
  it('reads tag, type and length without validating', () => {
    expect(decodeTtlvHeader(hex('420078 01 00000060'))).toEqual({ tag: 0x420078, type: 1, length: 0x60 });
    expect(decodeTtlvHeader(hex('00 430020 FF FFFFFFFF'), 1)).toEqual({ tag: 0x430020, type: 0xff, length: 0xffffffff });
  });

  it('throws TRUNCATED for fewer than 8 bytes', () => {
    expect(() => decodeTtlvHeader(hex('420078 01 000000'))).toThrow(TtlvError);
    expect(() => decodeTtlvHeader(hex('420078 01 00000060'), 1)).toThrow(TtlvError);
  });
});

describe('isValidTag', () => {
  it('accepts only 24-bit integers starting 0x42 or 0x54', () => {
    expect([0x420000, 0x42ffff, 0x540000, 0x54ffff].map(isValidTag)).toEqual([true, true, true, true]);
    expect([0x41ffff, 0x430000, 0x530000, 0x550000, 0, -1, 0x42000000, 0x420020 + 0.5, NaN].map(isValidTag)).toEqual(
      Array(9).fill(false),
    );
  });
});
