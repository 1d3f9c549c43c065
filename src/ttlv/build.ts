/**
 * Tiny builders for TTLV nodes and helpers to walk a tree. They do no validation: range checks
 * happen in the encoder (encode.ts), and "missing field" errors belong to the KMIP layer, which
 * knows which fields are required.
 */
import type {
  BigIntegerNode,
  BooleanNode,
  ByteStringNode,
  DateTimeExtendedNode,
  DateTimeNode,
  EnumerationNode,
  IntegerNode,
  IntervalNode,
  LongIntegerNode,
  StructureNode,
  TextStringNode,
  TtlvNode,
} from './types.js';

/** A Structure holding `children` in order (KMIP 2.1 §10.1.2: order is significant). */
export function struct(tag: number, children: TtlvNode[]): StructureNode {
  return { tag, type: 'Structure', value: children };
}

/** An Integer (signed 32-bit). */
export function int(tag: number, n: number): IntegerNode {
  return { tag, type: 'Integer', value: n };
}

/** A Long Integer (signed 64-bit). */
export function long(tag: number, n: bigint): LongIntegerNode {
  return { tag, type: 'LongInteger', value: n };
}

/** A Big Integer (arbitrary precision). */
export function bigInt(tag: number, n: bigint): BigIntegerNode {
  return { tag, type: 'BigInteger', value: n };
}

/** An Enumeration (unsigned 32-bit). */
export function enm(tag: number, n: number): EnumerationNode {
  return { tag, type: 'Enumeration', value: n };
}

/** A Boolean. */
export function bool(tag: number, b: boolean): BooleanNode {
  return { tag, type: 'Boolean', value: b };
}

/** A Text String. */
export function text(tag: number, s: string): TextStringNode {
  return { tag, type: 'TextString', value: s };
}

/** A Byte String. The array is referenced, not copied. */
export function bytes(tag: number, u8: Uint8Array): ByteStringNode {
  return { tag, type: 'ByteString', value: u8 };
}

/**
 * A Date Time: POSIX seconds (KMIP 2.1 §11.23). A `Date` is truncated to whole seconds,
 * rounding toward negative infinity so pre-1970 instants stay consistent. An invalid `Date`
 * throws `RangeError` (a programming error, not a peer's).
 */
export function dateTime(tag: number, seconds: bigint | Date): DateTimeNode {
  const value = seconds instanceof Date ? BigInt(Math.floor(seconds.getTime() / 1000)) : seconds;
  return { tag, type: 'DateTime', value };
}

/** An Interval: unsigned 32-bit seconds. */
export function interval(tag: number, n: number): IntervalNode {
  return { tag, type: 'Interval', value: n };
}

/** A Date Time Extended: POSIX microseconds (KMIP 2.0+). */
export function dateTimeExt(tag: number, micros: bigint): DateTimeExtendedNode {
  return { tag, type: 'DateTimeExtended', value: micros };
}

/** First child of `node` carrying `tag`; undefined when absent or when `node` is not a Structure. */
export function child(node: TtlvNode, tag: number): TtlvNode | undefined {
  if (node.type !== 'Structure') return undefined;
  for (const c of node.value) if (c.tag === tag) return c;
  return undefined;
}

/** All children of `node` carrying `tag`, in order; empty when `node` is not a Structure. */
export function children(node: TtlvNode, tag: number): TtlvNode[] {
  if (node.type !== 'Structure') return [];
  return node.value.filter((c) => c.tag === tag);
}
