import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TtlvDictionary } from './dictionary.js';
import { TtlvError } from './errors.js';
import { jsonToTtlv, ttlvToJson } from './json.js';
import type { TtlvNode } from './types.js';

// A hand-written slice of the KMIP 2.1 tables (§11, §6.1.15), independent of src/kmip.
const TAGS: Record<string, number> = {
  ActivationDate: 0x420001,
  Attribute: 0x420008,
  AttributeName: 0x42000a,
  AttributeValue: 0x42000b,
  BatchCount: 0x42000d,
  CryptographicAlgorithm: 0x420028,
  CryptographicUsageMask: 0x42002c,
  KeyMaterial: 0x420043,
  LeaseTime: 0x420049,
  ObjectType: 0x420057,
  P: 0x42005e,
  RequestMessage: 0x420078,
  UniqueIdentifier: 0x420094,
  UsageLimitsCount: 0x420096,
  DefaultsInformation: 0x420152,
};
const ENUMS: Record<number, Record<string, number>> = {
  [0x420028]: { DES: 1, DES3: 2, AES: 3, RSA: 4 },
  [0x420057]: { Certificate: 1, SymmetricKey: 2, PublicKey: 3 },
};
const MASKS: Record<number, Record<string, number>> = {
  [0x42002c]: { Sign: 0x1, Verify: 0x2, Encrypt: 0x4, Decrypt: 0x8, WrapKey: 0x10, CertificateSign: 0x400 },
};
const byTag = new Map(Object.entries(TAGS).map(([n, t]) => [t, n]));
const dict: TtlvDictionary = {
  tagByName: (n) => TAGS[n],
  tagName: (t) => byTag.get(t),
  enumValue: (t, n) => ENUMS[t]?.[n],
  enumName: (t, v) => Object.entries(ENUMS[t] ?? {}).find(([, x]) => x === v)?.[0],
  maskBit: (t, n) => MASKS[t]?.[n],
  maskNames: (t, v) => {
    const m = MASKS[t];
    if (m === undefined) return undefined;
    const names = Object.entries(m)
      .filter(([, b]) => (v & b) !== 0)
      .map(([n]) => n);
    return { names, rest: Object.values(m).reduce((r, b) => r & ~b, v) };
  },
};

const val = (tag: string, type: string, value: unknown): TtlvNode['value'] => jsonToTtlv({ tag, type, value }, dict).value;

describe('jsonToTtlv: value types (ENC-1.0 §4.1.5)', () => {
  it('Integer: number or 0x + 8 hex digits', () => {
    expect(val('BatchCount', 'Integer', 7)).toBe(7);
    expect(val('BatchCount', 'Integer', '0xffffffff')).toBe(-1);
  });

  it('masks: "|"-joined names in any order, hex parts, a number, a whole hex value', () => {
    expect(val('CryptographicUsageMask', 'Integer', 'Encrypt|Decrypt')).toBe(12);
    expect(val('CryptographicUsageMask', 'Integer', 'CertificateSign|0x0000000c')).toBe(0x40c);
    expect(val('CryptographicUsageMask', 'Integer', 12)).toBe(12);
    expect(val('CryptographicUsageMask', 'Integer', '0x0000000c')).toBe(12);
  });

  it('LongInteger and BigInteger: number below 2^52 or hex', () => {
    expect(val('UsageLimitsCount', 'LongInteger', 1000)).toBe(1000n);
    expect(val('UsageLimitsCount', 'LongInteger', '0x8000000000000000')).toBe(-(2n ** 63n));
    expect(val('P', 'BigInteger', -5)).toBe(-5n);
    expect(val('P', 'BigInteger', '0x0000000000000001ffffffffffffffff')).toBe(2n ** 65n - 1n);
    expect(val('P', 'BigInteger', '0xffffffffffffffff')).toBe(-1n);
  });

  it('Enumeration: number, hex or name', () => {
    expect(val('ObjectType', 'Enumeration', 2)).toBe(2);
    expect(val('ObjectType', 'Enumeration', '0x00000002')).toBe(2);
    expect(val('ObjectType', 'Enumeration', 'SymmetricKey')).toBe(2);
  });

  it('Boolean: true/false or 8-byte hex', () => {
    expect(val('DefaultsInformation', 'Boolean', true)).toBe(true);
    expect(val('DefaultsInformation', 'Boolean', '0x0000000000000000')).toBe(false);
    expect(val('DefaultsInformation', 'Boolean', '0x0000000000000001')).toBe(true);
  });

  it('TextString, ByteString (hex without 0x)', () => {
    expect(val('UniqueIdentifier', 'TextString', 'x"y')).toBe('x"y');
    expect(val('KeyMaterial', 'ByteString', '01aB')).toEqual(new Uint8Array([1, 0xab]));
  });

  it('DateTime: ISO-8601 (fraction ignored) or hex', () => {
    expect(val('ActivationDate', 'DateTime', '2001-01-01T10:00:00.9+10:00')).toBe(978307200n);
    expect(val('ActivationDate', 'DateTime', '0x00000000000f4240')).toBe(1_000_000n);
  });

  it('Interval: number or hex; DateTimeExtended: ISO with microseconds', () => {
    expect(val('LeaseTime', 'Interval', 3600)).toBe(3600);
    expect(val('LeaseTime', 'Interval', '0x00000e10')).toBe(3600);
    expect(val('DefaultsInformation', 'DateTimeExtended', '1970-01-01T00:00:00.000123Z')).toBe(123n);
  });

  it('tags by name or hex; type defaults to Structure; null Structure value is empty', () => {
    expect(jsonToTtlv('{"tag":"0x420078","value":[{"tag":"RequestMessage","type":"Structure","value":null}]}', dict)).toEqual({
      tag: 0x420078,
      type: 'Structure',
      value: [{ tag: 0x420078, type: 'Structure', value: [] }],
    });
    expect(jsonToTtlv({ tag: '0x540001', name: 'Vendor', type: 'TextString', value: 'v' }, dict).tag).toBe(0x540001);
  });

  it('Attribute Value takes its enumeration from the Attribute Name before it', () => {
    const n = jsonToTtlv(
      {
        tag: 'Attribute',
        value: [
          { tag: 'AttributeName', type: 'TextString', value: 'Cryptographic Algorithm' },
          { tag: 'AttributeValue', type: 'Enumeration', value: 'AES' },
        ],
      },
      dict,
    );
    expect((n.value as TtlvNode[])[1]?.value).toBe(3);
    expect(ttlvToJson(n, dict)).toEqual({
      tag: 'Attribute',
      type: 'Structure',
      value: [
        { tag: 'AttributeName', type: 'TextString', value: 'Cryptographic Algorithm' },
        { tag: 'AttributeValue', type: 'Enumeration', value: 'AES' },
      ],
    });
  });

  it('placeholders go through the hook', () => {
    const n = jsonToTtlv({ tag: 'ActivationDate', type: 'DateTime', value: '$NOW' }, dict, { placeholder: () => 5n });
    expect(n.value).toBe(5n);
  });
});

describe('ttlvToJson', () => {
  const tree: TtlvNode = {
    tag: 0x420078,
    type: 'Structure',
    value: [
      { tag: 0x42002c, type: 'Integer', value: 0x40c | 0x1000 },
      { tag: 0x42000d, type: 'Integer', value: -1 },
      { tag: 0x420096, type: 'LongInteger', value: 2n ** 52n - 1n },
      { tag: 0x420096, type: 'LongInteger', value: -(2n ** 52n) },
      { tag: 0x42005e, type: 'BigInteger', value: 2n ** 64n },
      { tag: 0x420057, type: 'Enumeration', value: 3 },
      { tag: 0x420057, type: 'Enumeration', value: 99 },
      { tag: 0x420152, type: 'Boolean', value: false },
      { tag: 0x420043, type: 'ByteString', value: new Uint8Array([0xde, 0xad]) },
      { tag: 0x420001, type: 'DateTime', value: 6n },
      { tag: 0x420049, type: 'Interval', value: 0 },
      { tag: 0x420152, type: 'DateTimeExtended', value: 1_000_002n },
      { tag: 0x540001, type: 'TextString', value: 'ext' },
    ],
  };

  it('writes the documented forms and reads them back', () => {
    const j = ttlvToJson(tree, dict);
    expect(j).toEqual({
      tag: 'RequestMessage',
      type: 'Structure',
      value: [
        { tag: 'CryptographicUsageMask', type: 'Integer', value: 'Encrypt|Decrypt|CertificateSign|0x00001000' },
        { tag: 'BatchCount', type: 'Integer', value: -1 },
        { tag: 'UsageLimitsCount', type: 'LongInteger', value: 2 ** 52 - 1 },
        { tag: 'UsageLimitsCount', type: 'LongInteger', value: '0xfff0000000000000' },
        { tag: 'P', type: 'BigInteger', value: '0x00000000000000010000000000000000' },
        { tag: 'ObjectType', type: 'Enumeration', value: 'PublicKey' },
        { tag: 'ObjectType', type: 'Enumeration', value: '0x00000063' },
        { tag: 'DefaultsInformation', type: 'Boolean', value: false },
        { tag: 'KeyMaterial', type: 'ByteString', value: 'dead' },
        { tag: 'ActivationDate', type: 'DateTime', value: '1970-01-01T00:00:06+00:00' },
        { tag: 'LeaseTime', type: 'Interval', value: 0 },
        { tag: 'DefaultsInformation', type: 'DateTimeExtended', value: '1970-01-01T00:00:01.000002+00:00' },
        { tag: '0x540001', type: 'TextString', value: 'ext' },
      ],
    });
    expect(jsonToTtlv(JSON.stringify(j), dict)).toEqual(tree);
  });

  it('refuses trees it cannot represent', () => {
    expect(() => ttlvToJson({ tag: 0x42000d, type: 'Integer', value: 1.5 }, dict)).toThrow(TtlvError);
    expect(() => ttlvToJson({ tag: 0x10, type: 'Integer', value: 1 }, dict)).toThrow(TtlvError);
    expect(() => ttlvToJson({ tag: 0x420096, type: 'LongInteger', value: 2n ** 63n }, dict)).toThrow(TtlvError);
  });
});

describe('jsonToTtlv: bad input raises TtlvError', () => {
  let deep: unknown = { tag: 'Attribute', value: [] };
  for (let i = 0; i < 100; i++) deep = { tag: 'Attribute', value: [deep] };
  const cases: [string, unknown, string][] = [
    ['malformed JSON text', '{"tag":', 'BAD_SYNTAX'],
    ['not an object', '[1,2]', 'BAD_SYNTAX'],
    ['null', null, 'BAD_SYNTAX'],
    ['extra member', { tag: 'BatchCount', type: 'Integer', value: 1, extra: 1 }, 'BAD_SYNTAX'],
    ['missing tag', { type: 'Integer', value: 1 }, 'BAD_TAG'],
    ['unknown tag name', { tag: 'Nope', type: 'Integer', value: 1 }, 'BAD_TAG'],
    ['tag hex outside 42/54', { tag: '0x110001', type: 'Integer', value: 1 }, 'BAD_TAG'],
    ['unknown type', { tag: 'BatchCount', type: 'Int', value: 1 }, 'UNKNOWN_TYPE'],
    ['Structure value not array', { tag: 'Attribute', value: 5 }, 'BAD_VALUE'],
    ['child not an object', { tag: 'Attribute', value: [5] }, 'BAD_SYNTAX'],
    ['missing value', { tag: 'BatchCount', type: 'Integer' }, 'BAD_VALUE'],
    ['Integer fraction', { tag: 'BatchCount', type: 'Integer', value: 1.5 }, 'BAD_VALUE'],
    ['Integer out of range', { tag: 'BatchCount', type: 'Integer', value: 2 ** 31 }, 'BAD_VALUE'],
    ['Integer decimal string', { tag: 'BatchCount', type: 'Integer', value: '7' }, 'BAD_VALUE'],
    ['unknown mask part', { tag: 'CryptographicUsageMask', type: 'Integer', value: 'Encrypt|Fly' }, 'BAD_VALUE'],
    ['empty mask part', { tag: 'CryptographicUsageMask', type: 'Integer', value: 'Encrypt|' }, 'BAD_VALUE'],
    ['LongInteger >= 2^52 as number', { tag: 'UsageLimitsCount', type: 'LongInteger', value: 2 ** 53 }, 'BAD_VALUE'],
    ['BigInteger hex not 8-byte multiple', { tag: 'P', type: 'BigInteger', value: '0x01' }, 'BAD_VALUE'],
    ['Enumeration negative', { tag: 'ObjectType', type: 'Enumeration', value: -1 }, 'BAD_VALUE'],
    ['Enumeration unknown name', { tag: 'ObjectType', type: 'Enumeration', value: 'Banana' }, 'BAD_VALUE'],
    ['Boolean string', { tag: 'DefaultsInformation', type: 'Boolean', value: 'true' }, 'BAD_VALUE'],
    ['Boolean hex 2', { tag: 'DefaultsInformation', type: 'Boolean', value: '0x0000000000000002' }, 'BAD_VALUE'],
    ['TextString number', { tag: 'UniqueIdentifier', type: 'TextString', value: 5 }, 'BAD_VALUE'],
    ['ByteString with 0x', { tag: 'KeyMaterial', type: 'ByteString', value: '0x01' }, 'BAD_VALUE'],
    ['DateTime number', { tag: 'ActivationDate', type: 'DateTime', value: 5 }, 'BAD_VALUE'],
    ['DateTime placeholder without hook', { tag: 'ActivationDate', type: 'DateTime', value: '$NOW' }, 'BAD_VALUE'],
    ['Interval negative', { tag: 'LeaseTime', type: 'Interval', value: -1 }, 'BAD_VALUE'],
    ['depth bomb', deep, 'TOO_DEEP'],
  ];
  it.each(cases)('%s', (_d, input, code) => {
    let err: unknown;
    try {
      jsonToTtlv(input, dict);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TtlvError);
    expect((err as TtlvError).code).toBe(code);
  });

  it('errors carry a JSON path', () => {
    const j = { tag: 'RequestMessage', value: [{ tag: 'BatchCount', type: 'Integer', value: 1 }, { tag: 'KeyMaterial', type: 'ByteString', value: 'zz' }] };
    expect(() => jsonToTtlv(j, dict)).toThrow(/at \$\.value\[1\]$/);
  });
});

describe('properties (fast-check)', () => {
  const tagArb = fc.oneof(fc.constantFrom(...Object.values(TAGS)), fc.integer({ min: 0x540000, max: 0x54ffff }));
  const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
  const leaf: fc.Arbitrary<TtlvNode> = fc.oneof(
    fc.record({ tag: fc.constantFrom(0x42000d, 0x42002c, 0x540001), type: fc.constant('Integer' as const), value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
    fc.record({ tag: tagArb, type: fc.constant('LongInteger' as const), value: int64 }),
    fc.record({ tag: tagArb, type: fc.constant('BigInteger' as const), value: fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }) }),
    fc.record({ tag: fc.constantFrom(0x420057, 0x420028, 0x540002), type: fc.constant('Enumeration' as const), value: fc.integer({ min: 0, max: 0xffffffff }) }),
    fc.record({ tag: tagArb, type: fc.constant('Boolean' as const), value: fc.boolean() }),
    fc.record({ tag: tagArb, type: fc.constant('TextString' as const), value: fc.string({ unit: 'binary', maxLength: 20 }) }),
    fc.record({ tag: tagArb, type: fc.constant('ByteString' as const), value: fc.uint8Array({ maxLength: 24 }) }),
    fc.record({ tag: tagArb, type: fc.constant('DateTime' as const), value: int64 }),
    fc.record({ tag: tagArb, type: fc.constant('Interval' as const), value: fc.integer({ min: 0, max: 0xffffffff }) }),
    fc.record({ tag: tagArb, type: fc.constant('DateTimeExtended' as const), value: int64 }),
  );
  const { node } = fc.letrec<{ node: TtlvNode }>((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, fc.record({ tag: tagArb, type: fc.constant('Structure' as const), value: fc.array(tie('node'), { maxLength: 5 }) })),
  }));

  it('any tree survives ttlvToJson -> JSON text -> jsonToTtlv', () => {
    fc.assert(
      fc.property(node, (n) => {
        expect(jsonToTtlv(JSON.stringify(ttlvToJson(n, dict)), dict)).toEqual(n);
      }),
      { numRuns: 300 },
    );
  });

  const outcome = (input: unknown): string => {
    try {
      jsonToTtlv(input, dict);
      return 'ok';
    } catch (e) {
      if (e instanceof TtlvError) return e.code;
      throw e;
    }
  };

  it('arbitrary JSON values and text yield a tree or a TtlvError, nothing else', () => {
    const item = fc.record(
      { tag: fc.oneof(fc.constantFrom('BatchCount', 'ObjectType', 'Attribute', 'CryptographicUsageMask', '0x540001', 'constructor'), fc.string()), type: fc.oneof(fc.constantFrom('Integer', 'Enumeration', 'Structure', 'BigInteger', 'DateTime'), fc.string()), value: fc.jsonValue() },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), item, fc.string({ unit: 'binary' })), (j) => {
        outcome(j);
        outcome(JSON.stringify(j));
      }),
      { numRuns: 1000 },
    );
  });

  it('names that hit Object.prototype are unknown, not values', () => {
    for (const n of ['constructor', '__proto__', 'toString']) {
      expect(outcome({ tag: n, type: 'Integer', value: 1 })).toBe('BAD_TAG');
      expect(outcome({ tag: 'ObjectType', type: 'Enumeration', value: n })).toBe('BAD_VALUE');
      expect(outcome({ tag: 'CryptographicUsageMask', type: 'Integer', value: `Encrypt|${n}` })).toBe('BAD_VALUE');
    }
    expect(outcome('{"__proto__":{"tag":"BatchCount"},"tag":"BatchCount","type":"Integer","value":1}')).toBe('BAD_SYNTAX');
  });
});
