import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TtlvDictionary } from './dictionary.js';
import { TtlvError } from './errors.js';
import type { TtlvNode } from './types.js';
import { KMIP_XML_NAMESPACE, ttlvToXml, xmlDocumentToTtlv, xmlToTtlv } from './xml.js';

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
  DefaultsInformation: 0x420152, // stand-in tag for Boolean and Date Time Extended tests
};
const ENUMS: Record<number, Record<string, number>> = {
  [0x420028]: { DES: 1, DES3: 2, AES: 3, RSA: 4 },
  [0x420057]: { Certificate: 1, SymmetricKey: 2, PublicKey: 3 },
};
const MASKS: Record<number, Record<string, number>> = {
  [0x42002c]: { Sign: 0x1, Verify: 0x2, Encrypt: 0x4, Decrypt: 0x8, WrapKey: 0x10 },
};

/** Test dictionary over the tables above. */
function testDictionary(): TtlvDictionary {
  const byTag = new Map(Object.entries(TAGS).map(([n, t]) => [t, n]));
  return {
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
      const rest = Object.values(m).reduce((r, b) => r & ~b, v);
      return { names, rest };
    },
  };
}

const dict = testDictionary();
const one = (xml: string, opts?: Parameters<typeof xmlToTtlv>[2]): TtlvNode => xmlToTtlv(xml, dict, opts);
const val = (type: string, value: string, tag = 'UniqueIdentifier'): TtlvNode['value'] => one(`<${tag} type="${type}" value="${value}"/>`).value;

describe('xmlToTtlv: value types (ENC-1.0 §6.1.5)', () => {
  it('Integer: decimal and 0x + 8 hex digits (two\'s complement)', () => {
    expect(val('Integer', '128', 'BatchCount')).toBe(128);
    expect(val('Integer', '-2147483648', 'BatchCount')).toBe(-2147483648);
    expect(val('Integer', '0x0000000a', 'BatchCount')).toBe(10);
    expect(val('Integer', '0xffffffff', 'BatchCount')).toBe(-1);
  });

  it('mask Integer: names in any order, runs of spaces, hex parts, plain decimal', () => {
    expect(val('Integer', 'Encrypt Decrypt', 'CryptographicUsageMask')).toBe(12);
    expect(val('Integer', 'Decrypt   Encrypt', 'CryptographicUsageMask')).toBe(12);
    expect(val('Integer', 'Sign 0x00000100', 'CryptographicUsageMask')).toBe(0x101);
    expect(val('Integer', '12', 'CryptographicUsageMask')).toBe(12);
  });

  it('LongInteger: xsd:long and 16-digit hex', () => {
    expect(val('LongInteger', '1000', 'UsageLimitsCount')).toBe(1000n);
    expect(val('LongInteger', '-9223372036854775808', 'UsageLimitsCount')).toBe(-(2n ** 63n));
    expect(val('LongInteger', '0xffffffffffffffff', 'UsageLimitsCount')).toBe(-1n);
  });

  it('BigInteger: hexBinary two\'s complement, as the OASIS 2.1 vectors write it', () => {
    expect(val('BigInteger', '0000000000000000fca682ce', 'P')).toBe(0xfca682cen);
    expect(val('BigInteger', 'ff', 'P')).toBe(-1n);
    expect(val('BigInteger', '0x0000000000000010', 'P')).toBe(16n);
  });

  it('Enumeration: CamelCase name or 0x + 8 hex digits', () => {
    expect(val('Enumeration', 'SymmetricKey', 'ObjectType')).toBe(2);
    expect(val('Enumeration', '0x80000001', 'ObjectType')).toBe(0x80000001);
  });

  it('Boolean: true/false/1/0', () => {
    expect(val('Boolean', 'true', 'DefaultsInformation')).toBe(true);
    expect(val('Boolean', '0', 'DefaultsInformation')).toBe(false);
  });

  it('TextString keeps text, entities and character references decoded', () => {
    expect(val('TextString', 'a &amp; b &lt;&#x41;&#66;&gt; &quot;')).toBe('a & b <AB> "');
    expect(val('TextString', '')).toBe('');
  });

  it('ByteString: hexBinary in either case', () => {
    expect(val('ByteString', '00FFa1', 'KeyMaterial')).toEqual(new Uint8Array([0, 255, 161]));
    expect(val('ByteString', '', 'KeyMaterial')).toEqual(new Uint8Array());
  });

  it('DateTime: zones, Z, no zone, fraction truncated, hex', () => {
    expect(val('DateTime', '2001-01-01T10:00:00+10:00', 'ActivationDate')).toBe(978307200n);
    expect(val('DateTime', '2001-01-01T00:00:00Z', 'ActivationDate')).toBe(978307200n);
    expect(val('DateTime', '2001-01-01T00:00:00', 'ActivationDate')).toBe(978307200n);
    expect(val('DateTime', '1970-01-01T00:00:06.999+00:00', 'ActivationDate')).toBe(6n);
    expect(val('DateTime', '1969-12-31T23:59:59.5Z', 'ActivationDate')).toBe(-1n);
    expect(val('DateTime', '0x0000000000000006', 'ActivationDate')).toBe(6n);
    expect(val('DateTime', '2000-02-29T00:00:00-01:30', 'ActivationDate')).toBe(951782400n + 5400n);
  });

  it('Interval: xsd:unsignedInt and hex', () => {
    expect(val('Interval', '4294967295', 'LeaseTime')).toBe(4294967295);
    expect(val('Interval', '0x00000010', 'LeaseTime')).toBe(16);
  });

  it('DateTimeExtended keeps microseconds', () => {
    expect(val('DateTimeExtended', '1970-01-01T00:00:01.000002Z', 'DefaultsInformation')).toBe(1_000_002n);
  });

  it('Attribute Value takes enumerations and masks from its Attribute Name (SPEC-1.4 §2.1.1)', () => {
    const n = one(`<Attribute>
      <AttributeName type="TextString" value="Cryptographic Algorithm"/>
      <AttributeValue type="Enumeration" value="AES"/></Attribute>`);
    expect(n.value).toEqual([
      { tag: 0x42000a, type: 'TextString', value: 'Cryptographic Algorithm' },
      { tag: 0x42000b, type: 'Enumeration', value: 3 },
    ]);
    const m = one(`<Attribute><AttributeName type="TextString" value="Cryptographic Usage Mask"/>
      <AttributeValue type="Integer" value="Decrypt Encrypt"/></Attribute>`);
    expect((m.value as TtlvNode[])[1]?.value).toBe(12);
    expect(ttlvToXml(m, dict)).toContain('value="Encrypt Decrypt"');
  });
});

describe('xmlToTtlv: structure, generic form, namespace', () => {
  it('missing type means Structure; comments, PIs and whitespace are ignored', () => {
    const n = one(`<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><RequestMessage>
      <BatchCount type="Integer" value="1"/><?pi x?><!-- inner -->
      <Attribute/></RequestMessage>`);
    expect(n).toEqual({
      tag: 0x420078,
      type: 'Structure',
      value: [
        { tag: 0x42000d, type: 'Integer', value: 1 },
        { tag: 0x420008, type: 'Structure', value: [] },
      ],
    });
  });

  it('generic TTLV form, for known and extension tags, by hex or name', () => {
    expect(one('<TTLV tag="0x540001" type="TextString" value="na"/>')).toEqual({ tag: 0x540001, type: 'TextString', value: 'na' });
    expect(one('<TTLV tag="0x42000D" name="BatchCount" type="Integer" value="2"/>')).toEqual({ tag: 0x42000d, type: 'Integer', value: 2 });
    expect(one('<TTLV tag="BatchCount" type="Integer" value="2"/>').tag).toBe(0x42000d);
  });

  it('the KMIP namespace, default or prefixed', () => {
    const a = one(`<RequestMessage xmlns="${KMIP_XML_NAMESPACE}"><BatchCount type="Integer" value="1"/></RequestMessage>`);
    const b = one(`<k:RequestMessage xmlns:k="${KMIP_XML_NAMESPACE}"><k:BatchCount type="Integer" value="1"/></k:RequestMessage>`);
    expect(b).toEqual(a);
  });

  it('documents: several messages in a root, text such as "# TIME 0" ignored', () => {
    const nodes = xmlDocumentToTtlv(`<KMIP>\n# TIME 0\n<RequestMessage/>\n<!-- x --><Attribute/></KMIP>`, dict);
    expect(nodes.map((n) => n.tag)).toEqual([0x420078, 0x420008]);
  });

  it('placeholders are offered to the hook only for $ values', () => {
    const seen: string[] = [];
    const opts = {
      placeholder: (text: string, type: string): bigint | undefined => {
        seen.push(`${text}:${type}`);
        return type === 'DateTime' ? 42n : undefined;
      },
    };
    expect(one('<ActivationDate type="DateTime" value="$NOW"/>', opts).value).toBe(42n);
    expect(one('<UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/>', opts).value).toBe('$UNIQUE_IDENTIFIER_0');
    expect(one('<UniqueIdentifier type="TextString" value="plain"/>', opts).value).toBe('plain');
    expect(seen).toEqual(['$NOW:DateTime', '$UNIQUE_IDENTIFIER_0:TextString']);
  });
});

describe('ttlvToXml', () => {
  const tree: TtlvNode = {
    tag: 0x420078,
    type: 'Structure',
    value: [
      { tag: 0x42000d, type: 'Integer', value: -5 },
      { tag: 0x42002c, type: 'Integer', value: 0x1c | 0x1000 },
      { tag: 0x42002c, type: 'Integer', value: 0 },
      { tag: 0x420096, type: 'LongInteger', value: -(2n ** 63n) },
      { tag: 0x42005e, type: 'BigInteger', value: -(2n ** 64n) },
      { tag: 0x420057, type: 'Enumeration', value: 2 },
      { tag: 0x420057, type: 'Enumeration', value: 0x80000001 },
      { tag: 0x420152, type: 'Boolean', value: true },
      { tag: 0x420094, type: 'TextString', value: 'a<b>&"c"\n\td' },
      { tag: 0x420043, type: 'ByteString', value: new Uint8Array([1, 0xab]) },
      { tag: 0x420001, type: 'DateTime', value: 978307200n },
      { tag: 0x420001, type: 'DateTime', value: 2n ** 62n },
      { tag: 0x420049, type: 'Interval', value: 4294967295 },
      { tag: 0x420152, type: 'DateTimeExtended', value: -1n },
      { tag: 0x540001, type: 'Structure', value: [{ tag: 0x540002, type: 'Integer', value: 7 }] },
    ],
  };

  it('writes the documented forms', () => {
    const xml = ttlvToXml(tree, dict);
    expect(xml).toBe(
      [
        '<RequestMessage>',
        '  <BatchCount type="Integer" value="-5"/>',
        '  <CryptographicUsageMask type="Integer" value="Encrypt Decrypt WrapKey 0x00001000"/>',
        '  <CryptographicUsageMask type="Integer" value="0x00000000"/>',
        '  <UsageLimitsCount type="LongInteger" value="-9223372036854775808"/>',
        '  <P type="BigInteger" value="ffffffffffffffff0000000000000000"/>',
        '  <ObjectType type="Enumeration" value="SymmetricKey"/>',
        '  <ObjectType type="Enumeration" value="0x80000001"/>',
        '  <DefaultsInformation type="Boolean" value="true"/>',
        '  <UniqueIdentifier type="TextString" value="a&#x3c;b&#x3e;&#x26;&#x22;c&#x22;&#xa;&#x9;d"/>',
        '  <KeyMaterial type="ByteString" value="01ab"/>',
        '  <ActivationDate type="DateTime" value="2001-01-01T00:00:00+00:00"/>',
        '  <ActivationDate type="DateTime" value="0x4000000000000000"/>',
        '  <LeaseTime type="Interval" value="4294967295"/>',
        '  <DefaultsInformation type="DateTimeExtended" value="1969-12-31T23:59:59.999999+00:00"/>',
        '  <TTLV tag="0x540001">',
        '    <TTLV tag="0x540002" type="Integer" value="7"/>',
        '  </TTLV>',
        '</RequestMessage>',
        '',
      ].join('\n'),
    );
    expect(xmlToTtlv(xml, dict)).toEqual(tree);
  });

  it('compact, namespaced and all-generic output read back to the same tree', () => {
    for (const opts of [{ indent: '' }, { namespace: true }, { generic: true }]) {
      const xml = ttlvToXml(tree, dict, opts);
      expect(xmlToTtlv(xml, dict)).toEqual(tree);
    }
    expect(ttlvToXml(tree, dict, { indent: '' })).not.toContain('\n');
    expect(ttlvToXml(tree, dict, { generic: true })).not.toContain('<RequestMessage');
  });

  it('refuses values it cannot represent', () => {
    const bad: TtlvNode[] = [
      { tag: 0x42000d, type: 'Integer', value: 2 ** 31 },
      { tag: 0x420094, type: 'TextString', value: 'nul\u0000' },
      { tag: 0x430000, type: 'Integer', value: 1 },
      { tag: 0x420049, type: 'Interval', value: -1 },
    ];
    for (const n of bad) expect(() => ttlvToXml(n, dict)).toThrow(TtlvError);
  });
});

describe('xmlToTtlv: bad input raises TtlvError with a code and a path', () => {
  const deep = '<Attribute>'.repeat(200) + '</Attribute>'.repeat(200);
  const cases: [string, string, string][] = [
    // [description, xml, expected code]
    ['empty input', '', 'BAD_SYNTAX'],
    ['not XML', 'hello', 'BAD_SYNTAX'],
    ['unclosed element', '<RequestMessage>', 'BAD_SYNTAX'],
    ['mismatched end tag', '<RequestMessage></Attribute>', 'BAD_SYNTAX'],
    ['second root (duplicated end tag)', '<RequestMessage/></RequestMessage>', 'BAD_SYNTAX'],
    ['DOCTYPE (entity bombs)', '<!DOCTYPE x [<!ENTITY a "aaaa">]><RequestMessage/>', 'BAD_SYNTAX'],
    ['undeclared entity', '<UniqueIdentifier type="TextString" value="&a;"/>', 'BAD_SYNTAX'],
    ['bare ampersand', '<UniqueIdentifier type="TextString" value="a & b"/>', 'BAD_SYNTAX'],
    ['char ref to NUL', '<UniqueIdentifier type="TextString" value="&#0;"/>', 'BAD_SYNTAX'],
    ['raw control character', '<UniqueIdentifier type="TextString" value="\u0001"/>', 'BAD_SYNTAX'],
    ['unquoted attribute', '<BatchCount type=Integer value="1"/>', 'BAD_SYNTAX'],
    ['duplicate attribute', '<BatchCount type="Integer" type="Integer" value="1"/>', 'BAD_SYNTAX'],
    ['unexpected attribute', '<BatchCount type="Integer" value="1" colour="red"/>', 'BAD_SYNTAX'],
    ['text inside an item', '<RequestMessage>oops</RequestMessage>', 'BAD_SYNTAX'],
    ['children inside a primitive', '<BatchCount type="Integer" value="1"><Attribute/></BatchCount>', 'BAD_SYNTAX'],
    ['value on a Structure', '<RequestMessage value="1"/>', 'BAD_SYNTAX'],
    ['foreign namespace', '<RequestMessage xmlns="urn:other"/>', 'BAD_SYNTAX'],
    ['unbound prefix', '<x:RequestMessage/>', 'BAD_SYNTAX'],
    ['unknown tag name', '<NoSuchTag type="Integer" value="1"/>', 'BAD_TAG'],
    ['generic without tag', '<TTLV type="Integer" value="1"/>', 'BAD_TAG'],
    ['generic tag outside 42/54', '<TTLV tag="0x430001" type="Integer" value="1"/>', 'BAD_TAG'],
    ['generic tag short hex', '<TTLV tag="0x42001" type="Integer" value="1"/>', 'BAD_TAG'],
    ['unknown type', '<BatchCount type="Float" value="1"/>', 'UNKNOWN_TYPE'],
    ['missing value', '<BatchCount type="Integer"/>', 'BAD_VALUE'],
    ['Integer too big', '<BatchCount type="Integer" value="2147483648"/>', 'BAD_VALUE'],
    ['Integer not a number', '<BatchCount type="Integer" value="1e3"/>', 'BAD_VALUE'],
    ['Integer short hex', '<BatchCount type="Integer" value="0x1"/>', 'BAD_VALUE'],
    ['Integer empty', '<BatchCount type="Integer" value=""/>', 'BAD_VALUE'],
    ['unknown mask name', '<CryptographicUsageMask type="Integer" value="Encrypt Fly"/>', 'BAD_VALUE'],
    ['LongInteger too big', '<UsageLimitsCount type="LongInteger" value="9223372036854775808"/>', 'BAD_VALUE'],
    ['BigInteger odd hex', '<P type="BigInteger" value="abc"/>', 'BAD_VALUE'],
    ['BigInteger empty', '<P type="BigInteger" value=""/>', 'BAD_VALUE'],
    ['unknown enum name', '<ObjectType type="Enumeration" value="Banana"/>', 'BAD_VALUE'],
    ['enum decimal', '<ObjectType type="Enumeration" value="2"/>', 'BAD_VALUE'],
    ['Boolean yes', '<DefaultsInformation type="Boolean" value="yes"/>', 'BAD_VALUE'],
    ['ByteString odd', '<KeyMaterial type="ByteString" value="abc"/>', 'BAD_VALUE'],
    ['ByteString 0x', '<KeyMaterial type="ByteString" value="0xab"/>', 'BAD_VALUE'],
    ['DateTime placeholder without hook', '<ActivationDate type="DateTime" value="$NOW"/>', 'BAD_VALUE'],
    ['DateTime Feb 30', '<ActivationDate type="DateTime" value="2001-02-30T00:00:00Z"/>', 'BAD_VALUE'],
    ['DateTime hour 24', '<ActivationDate type="DateTime" value="2001-01-01T24:00:00Z"/>', 'BAD_VALUE'],
    ['DateTime date only', '<ActivationDate type="DateTime" value="2001-01-01"/>', 'BAD_VALUE'],
    ['Interval negative', '<LeaseTime type="Interval" value="-1"/>', 'BAD_VALUE'],
    ['depth bomb', deep, 'TOO_DEEP'],
  ];
  it.each(cases)('%s', (_d, xml, code) => {
    let err: unknown;
    try {
      xmlToTtlv(xml, dict);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TtlvError);
    expect((err as TtlvError).code).toBe(code);
  });

  it('errors name the path of the offending item and keep the value out', () => {
    const xml = '<RequestMessage><Attribute/><Attribute><KeyMaterial type="ByteString" value="SECRETz"/></Attribute></RequestMessage>';
    expect(() => xmlToTtlv(xml, dict)).toThrow(/\/RequestMessage\/Attribute\[2\]\/KeyMaterial$/);
    expect(() => xmlToTtlv(xml, dict)).not.toThrow(/SECRET/);
  });

  it('a placeholder hook returning the wrong JavaScript type is BAD_VALUE', () => {
    expect(() => one('<ActivationDate type="DateTime" value="$NOW"/>', { placeholder: () => 'now' })).toThrow(TtlvError);
  });

  it('size limit and huge inputs fail fast', () => {
    expect(() => xmlToTtlv('<RequestMessage/>', dict, { maxChars: 5 })).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
    const wide = '<RequestMessage>' + '<Attribute/>'.repeat(100_001) + '</RequestMessage>';
    expect(() => xmlToTtlv(wide, dict)).toThrow(expect.objectContaining({ code: 'TOO_MANY_ITEMS' }));
    const unterminated = '<UniqueIdentifier type="TextString" value="' + 'a'.repeat(1_000_000);
    expect(() => xmlToTtlv(unterminated, dict)).toThrow(expect.objectContaining({ code: 'BAD_SYNTAX' }));
  });
});

describe('properties (fast-check)', () => {
  const KNOWN = Object.values(TAGS);
  const tagArb = fc.oneof(fc.constantFrom(...KNOWN), fc.integer({ min: 0x540000, max: 0x54ffff }));
  const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
  const xmlText = fc.string({ unit: 'binary', maxLength: 20 }).filter((s) => !/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(s));
  const leaf: fc.Arbitrary<TtlvNode> = fc.oneof(
    fc.record({ tag: fc.constantFrom(0x42000d, 0x42002c, 0x540001), type: fc.constant('Integer' as const), value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
    fc.record({ tag: tagArb, type: fc.constant('LongInteger' as const), value: int64 }),
    fc.record({ tag: tagArb, type: fc.constant('BigInteger' as const), value: fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }) }),
    fc.record({ tag: fc.constantFrom(0x420057, 0x420028, 0x540002), type: fc.constant('Enumeration' as const), value: fc.integer({ min: 0, max: 0xffffffff }) }),
    fc.record({ tag: tagArb, type: fc.constant('Boolean' as const), value: fc.boolean() }),
    fc.record({ tag: tagArb, type: fc.constant('TextString' as const), value: xmlText }),
    fc.record({ tag: tagArb, type: fc.constant('ByteString' as const), value: fc.uint8Array({ maxLength: 24 }) }),
    fc.record({ tag: tagArb, type: fc.constant('DateTime' as const), value: int64 }),
    fc.record({ tag: tagArb, type: fc.constant('Interval' as const), value: fc.integer({ min: 0, max: 0xffffffff }) }),
    fc.record({ tag: tagArb, type: fc.constant('DateTimeExtended' as const), value: int64 }),
  );
  const { node } = fc.letrec<{ node: TtlvNode }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      leaf,
      fc.record({ tag: tagArb, type: fc.constant('Structure' as const), value: fc.array(tie('node'), { maxLength: 5 }) }),
    ),
  }));

  it('any tree survives ttlvToXml -> xmlToTtlv, in every output style', () => {
    fc.assert(
      fc.property(node, fc.constantFrom({}, { indent: '' }, { namespace: true }, { generic: true }), (n, opts) => {
        expect(xmlToTtlv(ttlvToXml(n, dict, opts), dict)).toEqual(n);
      }),
      { numRuns: 300 },
    );
  });

  const outcome = (xml: string): string => {
    try {
      xmlToTtlv(xml, dict);
      return 'ok';
    } catch (e) {
      if (e instanceof TtlvError) return e.code;
      throw e;
    }
  };

  it('arbitrary text yields a tree or a TtlvError, nothing else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        outcome(s);
      }),
      { numRuns: 500 },
    );
  });

  it('random edits of a valid message yield a tree or a TtlvError, nothing else', () => {
    const base =
      '<?xml version="1.0"?><RequestMessage xmlns="urn:oasis:tc:kmip:xmlns"><!-- c --><BatchCount type="Integer" value="1"/>' +
      '<Attribute><AttributeName type="TextString" value="Cryptographic Algorithm"/><AttributeValue type="Enumeration" value="AES"/></Attribute>' +
      '<TTLV tag="0x540001" type="ByteString" value="00ff"/><ActivationDate type="DateTime" value="2001-01-01T10:00:00+10:00"/></RequestMessage>';
    const edit = fc.record({ at: fc.nat({ max: base.length }), del: fc.nat({ max: 3 }), ins: fc.string({ unit: fc.constantFrom(...'<>/"\'&=;!?-[] a0x#'), maxLength: 3 }) });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        let s = base;
        for (const e of edits) s = s.slice(0, e.at) + e.ins + s.slice(e.at + e.del);
        outcome(s);
      }),
      { numRuns: 1000 },
    );
  });

  it('names that hit Object.prototype are unknown, not values', () => {
    // The test dictionary uses plain-object lookups, so TAGS["constructor"] is a function.
    for (const n of ['constructor', '__proto__', 'toString']) {
      expect(outcome(`<${n} type="Integer" value="1"/>`)).toBe('BAD_TAG');
      expect(outcome(`<ObjectType type="Enumeration" value="${n}"/>`)).toBe('BAD_VALUE');
      expect(outcome(`<CryptographicUsageMask type="Integer" value="Encrypt ${n}"/>`)).toBe('BAD_VALUE');
    }
  });
});
