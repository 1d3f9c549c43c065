/**
 * The generic TTLV tree: what bytes (or the JSON / XML encodings) decode to before any KMIP
 * meaning is attached. KMIP 2.1 §10.1 (Tag | Type | Length | Value), item types §11.23.
 *
 * A node is a discriminated union on `type`. Tags are plain 24-bit numbers (0x42xxxx spec,
 * 0x54xxxx extension); the KMIP layer gives them names.
 */

/** Item type codes as they appear in the Type byte. KMIP 2.1 §11.23 Table 458. */
export const ItemType = {
  Structure: 0x01,
  Integer: 0x02,
  LongInteger: 0x03,
  BigInteger: 0x04,
  Enumeration: 0x05,
  Boolean: 0x06,
  TextString: 0x07,
  ByteString: 0x08,
  DateTime: 0x09,
  Interval: 0x0a,
  /** KMIP 2.0+ only. */
  DateTimeExtended: 0x0b,
} as const;

export type ItemTypeName = keyof typeof ItemType;

/** Reverse map: type byte -> name. Unknown bytes are absent (and rejected by the decoder). */
export const ItemTypeByCode: ReadonlyMap<number, ItemTypeName> = new Map(
  (Object.entries(ItemType) as [ItemTypeName, number][]).map(([name, code]) => [code, name]),
);

interface Base<T extends ItemTypeName, V> {
  readonly tag: number;
  readonly type: T;
  readonly value: V;
}

export type StructureNode = Base<'Structure', TtlvNode[]>;
/** Signed 32-bit. */
export type IntegerNode = Base<'Integer', number>;
/** Signed 64-bit. */
export type LongIntegerNode = Base<'LongInteger', bigint>;
/** Arbitrary precision, two's complement on the wire. */
export type BigIntegerNode = Base<'BigInteger', bigint>;
/** Unsigned 32-bit. */
export type EnumerationNode = Base<'Enumeration', number>;
export type BooleanNode = Base<'Boolean', boolean>;
export type TextStringNode = Base<'TextString', string>;
export type ByteStringNode = Base<'ByteString', Uint8Array>;
/** Signed 64-bit POSIX time in seconds. */
export type DateTimeNode = Base<'DateTime', bigint>;
/** Unsigned 32-bit seconds. */
export type IntervalNode = Base<'Interval', number>;
/** Signed 64-bit POSIX time in microseconds (KMIP 2.0+). */
export type DateTimeExtendedNode = Base<'DateTimeExtended', bigint>;

export type TtlvNode =
  | StructureNode
  | IntegerNode
  | LongIntegerNode
  | BigIntegerNode
  | EnumerationNode
  | BooleanNode
  | TextStringNode
  | ByteStringNode
  | DateTimeNode
  | IntervalNode
  | DateTimeExtendedNode;

/** The node type for a given item type name. */
export type NodeOf<T extends ItemTypeName> = Extract<TtlvNode, { type: T }>;
