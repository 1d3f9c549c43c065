/**
 * Property tests for the binary TTLV codec (CONVENTIONS.md §7): any tree round-trips; arbitrary
 * or mutated bytes only ever produce a TtlvError; the framer recovers messages however the
 * stream is chunked.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTtlv } from '../src/ttlv/decode.js';
import { encodeTtlv } from '../src/ttlv/encode.js';
import { TtlvError } from '../src/ttlv/errors.js';
import { TtlvFramer } from '../src/ttlv/framer.js';
import type { TtlvNode } from '../src/ttlv/types.js';

const RUNS = 300;

const tag = fc.oneof(
  fc.integer({ min: 0x420000, max: 0x42ffff }),
  fc.integer({ min: 0x540000, max: 0x54ffff }),
);
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const uint32 = fc.integer({ min: 0, max: 0xffffffff });

const leaf: fc.Arbitrary<TtlvNode> = fc.oneof(
  fc.record({ tag, type: fc.constant('Integer' as const), value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
  fc.record({ tag, type: fc.constant('LongInteger' as const), value: int64 }),
  fc.record({ tag, type: fc.constant('BigInteger' as const), value: fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }) }),
  fc.record({ tag, type: fc.constant('Enumeration' as const), value: uint32 }),
  fc.record({ tag, type: fc.constant('Boolean' as const), value: fc.boolean() }),
  fc.record({ tag, type: fc.constant('TextString' as const), value: fc.oneof(fc.string(), fc.string({ unit: 'binary' })) }),
  fc.record({ tag, type: fc.constant('ByteString' as const), value: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ tag, type: fc.constant('DateTime' as const), value: int64 }),
  fc.record({ tag, type: fc.constant('Interval' as const), value: uint32 }),
  fc.record({ tag, type: fc.constant('DateTimeExtended' as const), value: int64 }),
);

const tree: fc.Arbitrary<TtlvNode> = fc.letrec<{ node: TtlvNode }>((t) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ tag, type: fc.constant('Structure' as const), value: fc.array(t('node'), { maxLength: 6 }) }),
  ),
})).node;

/** Messages are top-level Structures (what the framer accepts). */
const message = fc.record({ tag, type: fc.constant('Structure' as const), value: fc.array(tree, { maxLength: 5 }) });

/** Run `f`; pass if it returns or throws TtlvError, fail on any other throw. */
function onlyTtlvError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof TtlvError)) throw e;
  }
}

/** Plausible-looking frames: valid tag prefixes, any type byte, small lengths, random bodies. */
const frameish = fc
  .array(
    fc.tuple(
      fc.constantFrom(0x42, 0x54, 0x42, 0x00),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0x0d }),
      fc.oneof(fc.integer({ min: 0, max: 48 }), fc.constant(0xffffffff)),
      fc.uint8Array({ maxLength: 24 }),
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((parts) =>
    Buffer.concat(
      parts.map(([top, low, type, len, body]) => {
        const h = Buffer.alloc(8);
        h[0] = top;
        h.writeUInt16BE(low, 1);
        h[3] = type;
        h.writeUInt32BE(len, 4);
        return Buffer.concat([h, body]);
      }),
    ),
  );

describe('TTLV codec properties', () => {
  it('decode(encode(t)) deep-equals t, and re-encoding is byte-identical', () => {
    fc.assert(
      fc.property(tree, (t) => {
        const bytes = encodeTtlv(t);
        const back = decodeTtlv(bytes);
        expect(back).toEqual(t);
        expect(encodeTtlv(back).equals(bytes)).toBe(true);
        expect(bytes.length % 8).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('limits are exact: a tree of n items and depth d passes n / d and fails n-1 / d-1', () => {
    const stats = (t: TtlvNode, depth = 1): { items: number; depth: number } => {
      if (t.type !== 'Structure') return { items: 1, depth: depth - 1 };
      let items = 1;
      let d = depth;
      for (const c of t.value) {
        const s = stats(c, depth + 1);
        items += s.items;
        d = Math.max(d, s.depth);
      }
      return { items, depth: d };
    };
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeTtlv(m);
        const { items, depth } = stats(m);
        expect(() => decodeTtlv(bytes, { maxItems: items, maxDepth: depth })).not.toThrow();
        expect(() => decodeTtlv(bytes, { maxItems: items - 1 })).toThrow(expect.objectContaining({ code: 'TOO_MANY_ITEMS' }));
        if (depth > 1) {
          expect(() => decodeTtlv(bytes, { maxDepth: depth - 1 })).toThrow(expect.objectContaining({ code: 'TOO_DEEP' }));
        }
        expect(() => decodeTtlv(bytes, { maxMessageBytes: bytes.length - 1 })).toThrow(
          expect.objectContaining({ code: 'TOO_LARGE' }),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it('random bytes only ever throw TtlvError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => onlyTtlvError(() => decodeTtlv(b))),
      { numRuns: RUNS },
    );
  });

  it('plausible random frames only ever throw TtlvError, within small limits too', () => {
    fc.assert(
      fc.property(frameish, (b) => {
        onlyTtlvError(() => decodeTtlv(b));
        onlyTtlvError(() => decodeTtlv(b, { maxDepth: 2, maxItems: 3, maxMessageBytes: 64 }));
      }),
      { numRuns: RUNS },
    );
  });

  it('mutated valid messages only ever throw TtlvError', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }) }),
    );
    fc.assert(
      fc.property(message, fc.array(mutation, { minLength: 1, maxLength: 4 }), (m, muts) => {
        let b = Buffer.from(encodeTtlv(m));
        for (const mu of muts) {
          const at = b.length === 0 ? 0 : mu.at % b.length;
          if (mu.kind === 'flip' && b.length > 0) b[at] = b[at]! ^ mu.xor;
          else if (mu.kind === 'truncate') b = b.subarray(0, at);
          else if (mu.kind === 'insert') b = Buffer.concat([b.subarray(0, at), mu.bytes, b.subarray(at)]);
        }
        onlyTtlvError(() => decodeTtlv(b));
        onlyTtlvError(() => new TtlvFramer({ maxMessageBytes: 4096 }).push(b));
      }),
      { numRuns: RUNS },
    );
  });

  it('the framer returns the same messages however the stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 12 }), (msgs, cuts) => {
        const encoded = msgs.map((m) => encodeTtlv(m));
        const stream = Buffer.concat(encoded);
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const f = new TtlvFramer();
        const out: Buffer[] = [];
        let prev = 0;
        for (const p of [...points, stream.length]) {
          out.push(...f.push(stream.subarray(prev, p)));
          prev = p;
        }
        expect(out.map((b) => b.toString('hex'))).toEqual(encoded.map((b) => b.toString('hex')));
        expect(f.buffered).toBe(0);
        expect(out.map((b) => decodeTtlv(b))).toEqual(msgs);
      }),
      { numRuns: RUNS },
    );
  });
});
