/**
 * Byte-exact fixtures from the specification (KMIP 1.4 §9.1.2, identical in 1.0; copied in
 * shared/reference/kmip-spec-notes.md §1), written as hex literals so that they are independent
 * of the encoder under test. Tag 0x420020 throughout, as in the spec.
 */
import type { TtlvNode } from '../src/ttlv/types.js';

/** Hex with spaces and `|` separators -> bytes. */
export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/[\s|]/g, ''), 'hex');
}

export interface Vector {
  readonly name: string;
  readonly bytes: string;
  readonly node: TtlvNode;
}

const T = 0x420020;

export const SPEC_VECTORS: readonly Vector[] = [
  { name: 'Integer 8', bytes: '42 00 20 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00', node: { tag: T, type: 'Integer', value: 8 } },
  {
    name: 'Long Integer 123456789000000000',
    bytes: '42 00 20 | 03 | 00 00 00 08 | 01 B6 9B 4B A5 74 92 00',
    node: { tag: T, type: 'LongInteger', value: 123456789000000000n },
  },
  {
    name: 'Big Integer 1234567890000000000000000000',
    bytes: '42 00 20 | 04 | 00 00 00 10 | 00 00 00 00 03 FD 35 EB 6B C2 DF 46 18 08 00 00',
    node: { tag: T, type: 'BigInteger', value: 1234567890000000000000000000n },
  },
  { name: 'Enumeration 255', bytes: '42 00 20 | 05 | 00 00 00 04 | 00 00 00 FF 00 00 00 00', node: { tag: T, type: 'Enumeration', value: 255 } },
  { name: 'Boolean True', bytes: '42 00 20 | 06 | 00 00 00 08 | 00 00 00 00 00 00 00 01', node: { tag: T, type: 'Boolean', value: true } },
  {
    name: 'Text String "Hello World"',
    bytes: '42 00 20 | 07 | 00 00 00 0B | 48 65 6C 6C 6F 20 57 6F 72 6C 64 00 00 00 00 00',
    node: { tag: T, type: 'TextString', value: 'Hello World' },
  },
  {
    name: 'Byte String {01 02 03}',
    bytes: '42 00 20 | 08 | 00 00 00 03 | 01 02 03 00 00 00 00 00',
    node: { tag: T, type: 'ByteString', value: Uint8Array.of(1, 2, 3) },
  },
  {
    name: 'Date-Time Fri 14 Mar 2008 11:56:40 GMT',
    bytes: '42 00 20 | 09 | 00 00 00 08 | 00 00 00 00 47 DA 67 F8',
    node: { tag: T, type: 'DateTime', value: BigInt(Date.UTC(2008, 2, 14, 11, 56, 40) / 1000) },
  },
  { name: 'Interval 10 days', bytes: '42 00 20 | 0A | 00 00 00 04 | 00 0D 2F 00 00 00 00 00', node: { tag: T, type: 'Interval', value: 10 * 86400 } },
  {
    name: 'Structure {Enumeration 254, Integer 255}',
    bytes:
      '42 00 20 | 01 | 00 00 00 20 | 42 00 04 | 05 | 00 00 00 04 | 00 00 00 FE 00 00 00 00 |' +
      ' 42 00 05 | 02 | 00 00 00 04 | 00 00 00 FF 00 00 00 00',
    node: {
      tag: T,
      type: 'Structure',
      value: [
        { tag: 0x420004, type: 'Enumeration', value: 254 },
        { tag: 0x420005, type: 'Integer', value: 255 },
      ],
    },
  },
  // Extra cases (our own, checked by hand): Big Integer zero and negative, as kmip-go also tests.
  { name: 'Big Integer 0', bytes: '42 00 20 | 04 | 00 00 00 08 | 00 00 00 00 00 00 00 00', node: { tag: T, type: 'BigInteger', value: 0n } },
  {
    name: 'Big Integer -1234567890000000000000000000',
    bytes: '42 00 20 | 04 | 00 00 00 10 | FF FF FF FF FC 02 CA 14 94 3D 20 B9 E7 F8 00 00',
    node: { tag: T, type: 'BigInteger', value: -1234567890000000000000000000n },
  },
  { name: 'Big Integer -1', bytes: '42 00 20 | 04 | 00 00 00 08 | FF FF FF FF FF FF FF FF', node: { tag: T, type: 'BigInteger', value: -1n } },
  { name: 'Integer -1', bytes: '42 00 20 | 02 | 00 00 00 04 | FF FF FF FF 00 00 00 00', node: { tag: T, type: 'Integer', value: -1 } },
  { name: 'Boolean False', bytes: '42 00 20 | 06 | 00 00 00 08 | 00 00 00 00 00 00 00 00', node: { tag: T, type: 'Boolean', value: false } },
  { name: 'Empty Text String', bytes: '42 00 20 | 07 | 00 00 00 00', node: { tag: T, type: 'TextString', value: '' } },
  {
    name: 'Text String "é€" (UTF-8, 5 bytes)',
    bytes: '42 00 20 | 07 | 00 00 00 05 | C3 A9 E2 82 AC 00 00 00',
    node: { tag: T, type: 'TextString', value: 'é€' },
  },
  {
    name: 'Date Time Extended -1 µs, extension tag 0x540001',
    bytes: '54 00 01 | 0B | 00 00 00 08 | FF FF FF FF FF FF FF FF',
    node: { tag: 0x540001, type: 'DateTimeExtended', value: -1n },
  },
  {
    name: 'Long Integer min int64',
    bytes: '42 00 20 | 03 | 00 00 00 08 | 80 00 00 00 00 00 00 00',
    node: { tag: T, type: 'LongInteger', value: -(2n ** 63n) },
  },
  {
    name: 'Enumeration max uint32',
    bytes: '42 00 20 | 05 | 00 00 00 04 | FF FF FF FF 00 00 00 00',
    node: { tag: T, type: 'Enumeration', value: 0xffffffff },
  },
  {
    // kmip-spec-notes.md §1: KMIP 1.1 Discover Versions request captured from a VMware client.
    name: 'Discover Versions request (worked example)',
    bytes:
      '420078 01 00000060 420077 01 00000038 420069 01 00000020' +
      ' 42006A 02 00000004 00000001 00000000 42006B 02 00000004 00000001 00000000' +
      ' 42000D 02 00000004 00000001 00000000 42000F 01 00000018' +
      ' 42005C 05 00000004 0000001E 00000000 420079 01 00000000',
    node: {
      tag: 0x420078,
      type: 'Structure',
      value: [
        {
          tag: 0x420077,
          type: 'Structure',
          value: [
            {
              tag: 0x420069,
              type: 'Structure',
              value: [
                { tag: 0x42006a, type: 'Integer', value: 1 },
                { tag: 0x42006b, type: 'Integer', value: 1 },
              ],
            },
            { tag: 0x42000d, type: 'Integer', value: 1 },
          ],
        },
        {
          tag: 0x42000f,
          type: 'Structure',
          value: [
            { tag: 0x42005c, type: 'Enumeration', value: 0x1e },
            { tag: 0x420079, type: 'Structure', value: [] },
          ],
        },
      ],
    },
  },
];
