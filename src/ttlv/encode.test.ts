import { describe, expect, it } from 'vitest';
import { SPEC_VECTORS, hex } from '../../test/ttlv-spec-vectors.js';
import { decodeTtlv } from './decode.js';
import { encodeTtlv } from './encode.js';
import { TtlvError, type TtlvErrorCode } from './errors.js';
import type { TtlvNode } from './types.js';

function codeOf(node: unknown): TtlvErrorCode {
  try {
    encodeTtlv(node as TtlvNode);
  } catch (e) {
    expect(e).toBeInstanceOf(TtlvError);
    return (e as TtlvError).code;
  }
  throw new Error('expected a TtlvError');
}

/** Fill Node's Buffer pool with non-zero bytes so unwritten padding would show up. */
function dirtyPool(): void {
  for (let i = 0; i < 64; i++) Buffer.allocUnsafe(128).fill(0xa5);
}

const T = 0x420020;

describe('encodeTtlv: spec encoding examples, byte-exact', () => {
  for (const v of SPEC_VECTORS) {
    it(v.name, () => {
      dirtyPool();
      expect(encodeTtlv(v.node).toString('hex')).toBe(hex(v.bytes).toString('hex'));
    });
  }
});

describe('encodeTtlv: Big Integer widths', () => {
  const cases: [bigint, string][] = [
    [127n, '000000000000007f'],
    [128n, '0000000000000080'],
    [-128n, 'ffffffffffffff80'],
    [-129n, 'ffffffffffffff7f'],
    [2n ** 63n - 1n, '7fffffffffffffff'],
    [2n ** 63n, '00000000000000008000000000000000'],
    [-(2n ** 63n), '8000000000000000'],
    [-(2n ** 63n) - 1n, 'ffffffffffffffff7fffffffffffffff'],
    [2n ** 128n - 1n, '0000000000000000' + 'ff'.repeat(16)],
    [-(2n ** 128n), 'ffffffffffffffff' + '00'.repeat(16)],
  ];
  for (const [n, want] of cases) {
    it(`${n}`, () => {
      const out = encodeTtlv({ tag: T, type: 'BigInteger', value: n });
      expect(out.readUInt32BE(4)).toBe(want.length / 2);
      expect(out.subarray(8).toString('hex')).toBe(want);
    });
  }
});

describe('encodeTtlv: validation', () => {
  const bad: [string, unknown, TtlvErrorCode][] = [
    ['Integer 2^31', { tag: T, type: 'Integer', value: 2 ** 31 }, 'BAD_VALUE'],
    ['Integer -2^31-1', { tag: T, type: 'Integer', value: -(2 ** 31) - 1 }, 'BAD_VALUE'],
    ['Integer 1.5', { tag: T, type: 'Integer', value: 1.5 }, 'BAD_VALUE'],
    ['Integer NaN', { tag: T, type: 'Integer', value: NaN }, 'BAD_VALUE'],
    ['Enumeration -1', { tag: T, type: 'Enumeration', value: -1 }, 'BAD_VALUE'],
    ['Enumeration 2^32', { tag: T, type: 'Enumeration', value: 2 ** 32 }, 'BAD_VALUE'],
    ['Interval -1', { tag: T, type: 'Interval', value: -1 }, 'BAD_VALUE'],
    ['Long Integer 2^63', { tag: T, type: 'LongInteger', value: 2n ** 63n }, 'BAD_VALUE'],
    ['Long Integer as number', { tag: T, type: 'LongInteger', value: 5 }, 'BAD_VALUE'],
    ['Date Time -2^63-1', { tag: T, type: 'DateTime', value: -(2n ** 63n) - 1n }, 'BAD_VALUE'],
    ['Date Time Extended 2^63', { tag: T, type: 'DateTimeExtended', value: 2n ** 63n }, 'BAD_VALUE'],
    ['Big Integer as number', { tag: T, type: 'BigInteger', value: 1 }, 'BAD_VALUE'],
    ['Boolean as number', { tag: T, type: 'Boolean', value: 1 }, 'BAD_VALUE'],
    ['Text lone high surrogate', { tag: T, type: 'TextString', value: 'a\uD800b' }, 'BAD_VALUE'],
    ['Text lone low surrogate', { tag: T, type: 'TextString', value: '\uDC00' }, 'BAD_VALUE'],
    ['Byte String as array', { tag: T, type: 'ByteString', value: [1, 2] }, 'BAD_VALUE'],
    ['Structure value not an array', { tag: T, type: 'Structure', value: 'x' }, 'BAD_VALUE'],
    ['unknown type name', { tag: T, type: 'Identifier', value: 'x' }, 'BAD_VALUE'],
    ['tag 0x430020', { tag: 0x430020, type: 'Integer', value: 1 }, 'BAD_TAG'],
    ['tag 0x42000000 (wider than 24 bits)', { tag: 0x42000000, type: 'Integer', value: 1 }, 'BAD_TAG'],
    ['negative tag', { tag: -1, type: 'Integer', value: 1 }, 'BAD_TAG'],
    ['bad value deep in a tree', { tag: T, type: 'Structure', value: [{ tag: T, type: 'Structure', value: [{ tag: T, type: 'Integer', value: 2 ** 40 }] }] }, 'BAD_VALUE'],
  ];
  for (const [name, node, code] of bad) {
    it(`${name} -> ${code}`, () => expect(codeOf(node)).toBe(code));
  }

  it('reports the offending tag', () => {
    try {
      encodeTtlv({ tag: T, type: 'Structure', value: [{ tag: 0x420005, type: 'Integer', value: 2 ** 31 }] });
      expect.unreachable();
    } catch (e) {
      expect((e as TtlvError).tag).toBe(0x420005);
    }
  });

  it('turns a cyclic tree into a TtlvError, not a stack overflow', () => {
    const kids: TtlvNode[] = [];
    const loop: TtlvNode = { tag: T, type: 'Structure', value: kids };
    kids.push(loop);
    expect(codeOf(loop)).toBe('BAD_VALUE');
  });

  it('accepts surrogate pairs and writes them as 4-byte UTF-8', () => {
    const out = encodeTtlv({ tag: T, type: 'TextString', value: '🔑' });
    expect(out.toString('hex')).toBe('42002007000000' + '04' + 'f09f9491' + '00000000');
    expect(decodeTtlv(out).value).toBe('🔑');
  });

  it('writes short strings with a non-ASCII unit after ASCII ones as exact UTF-8, and leaves no stray bytes', () => {
    // 'abcdefghé' is 9 units: the short-string copy writes 9 bytes, then finds 'é' and must fall
    // back to the UTF-8 path (10 bytes, 16 with padding) without leaving its own bytes behind.
    const tree: TtlvNode = {
      tag: 0x420078,
      type: 'Structure',
      value: [
        { tag: T, type: 'TextString', value: 'abcdefghé' },
        { tag: T, type: 'TextString', value: '\u00ff' },
        { tag: T, type: 'TextString', value: 'x'.repeat(31) + '\u0100' },
        { tag: T, type: 'TextString', value: 'ok' },
      ],
    };
    const out = encodeTtlv(tree);
    expect(out.subarray(8, 32).toString('hex')).toBe('42002007' + '0000000a' + '6162636465666768c3a9' + '000000000000');
    expect(out.subarray(32, 48).toString('hex')).toBe('42002007' + '00000002' + 'c3bf' + '000000000000');
    expect(decodeTtlv(out)).toEqual(tree);
    // The next message lands right after this one in the shared output chunk: all its bytes,
    // padding included, must be its own.
    const next = encodeTtlv({ tag: T, type: 'TextString', value: 'abc' });
    expect(next.toString('hex')).toBe('42002007' + '00000003' + '616263' + '0000000000');
    expect(codeOf({ tag: T, type: 'TextString', value: 'ab\uD800' })).toBe('BAD_VALUE');
    expect(encodeTtlv({ tag: T, type: 'TextString', value: 'xy' }).toString('hex')).toBe('42002007000000027879000000000000');
  });

  it('encodes a long non-ASCII string and a 1 MiB Byte String', () => {
    dirtyPool();
    const s = 'ü'.repeat(1000) + 'x';
    const bytes = new Uint8Array(1024 * 1024 + 3).fill(9);
    const tree: TtlvNode = {
      tag: 0x420078,
      type: 'Structure',
      value: [
        { tag: T, type: 'TextString', value: s },
        { tag: T, type: 'ByteString', value: bytes },
      ],
    };
    const out = encodeTtlv(tree);
    expect(out.length).toBe(8 + 8 + 2008 + 8 + 1024 * 1024 + 8);
    expect(decodeTtlv(out)).toEqual(tree);
  });
});

describe('encodeTtlv: 64-bit values either side of the 2^53 fast path', () => {
  const edges = [0n, -1n, 1n, 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 32n - 1n, 2n ** 32n, -(2n ** 32n), -(2n ** 32n) - 1n,
    2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) + 1n, -(2n ** 53n), -(2n ** 53n) - 1n,
    2n ** 63n - 1n, -(2n ** 63n)];
  for (const type of ['LongInteger', 'DateTime', 'DateTimeExtended'] as const) {
    for (const n of edges) {
      it(`${type} ${n}`, () => {
        dirtyPool();
        const out = encodeTtlv({ tag: T, type, value: n });
        const want = Buffer.alloc(8);
        want.writeBigInt64BE(n);
        expect(out.length).toBe(16);
        expect(out.readUInt32BE(4)).toBe(8);
        expect(out.subarray(8).toString('hex')).toBe(want.toString('hex'));
        expect(decodeTtlv(out).value).toBe(n);
      });
    }
  }
});

describe('encodeTtlv: output growth', () => {
  it('is byte-identical whether a message fits the initial buffer or outgrows it many times', () => {
    dirtyPool();
    for (const count of [0, 1, 31, 32, 33, 100, 5000]) {
      const kids: TtlvNode[] = [];
      for (let i = 0; i < count; i++) {
        kids.push(i % 3 === 0 ? { tag: T, type: 'TextString', value: 'x'.repeat(i % 17) } : { tag: T, type: 'Integer', value: i });
      }
      const tree: TtlvNode = { tag: 0x420078, type: 'Structure', value: kids };
      const out = encodeTtlv(tree);
      const expected = 8 + kids.reduce((n, k) => n + 8 + (k.type === 'Integer' ? 8 : Math.ceil((k.value as string).length / 8) * 8), 0);
      expect(out.length).toBe(expected);
      expect(out.readUInt32BE(4)).toBe(expected - 8);
      expect(decodeTtlv(out)).toEqual(tree);
    }
  });

  it('fails cleanly on a bad value after the output has grown', () => {
    const kids: TtlvNode[] = Array.from({ length: 200 }, (_, i) => ({ tag: T, type: 'Integer', value: i }));
    kids.push({ tag: 0x420005, type: 'Integer', value: 2 ** 31 });
    try {
      encodeTtlv({ tag: T, type: 'Structure', value: kids });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TtlvError);
      expect((e as TtlvError).tag).toBe(0x420005);
    }
    // The encoder still works afterwards.
    expect(encodeTtlv({ tag: T, type: 'Integer', value: 7 }).toString('hex')).toBe('42002002000000040000000700000000');
  });
});

describe('encodeTtlv: ASCII Text Strings either side of the short-copy threshold', () => {
  for (const n of [0, 1, 7, 8, 9, 31, 32, 33, 64, 65, 200]) {
    it(`${n} characters`, () => {
      dirtyPool();
      const s = Array.from({ length: n }, (_, i) => String.fromCharCode(0x20 + ((i * 7) % 95))).join('');
      const out = encodeTtlv({ tag: T, type: 'TextString', value: s });
      const want = Buffer.alloc(8 + Math.ceil(n / 8) * 8);
      want.write(s, 8, 'latin1');
      want.writeUInt32BE(0x42002007, 0);
      want.writeUInt32BE(n, 4);
      expect(out.toString('hex')).toBe(want.toString('hex'));
    });
  }
});
