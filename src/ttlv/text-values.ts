/**
 * Value parsing and formatting shared by the JSON and XML encodings (KMIP Additional Message
 * Encodings v1.0 [ENC-1.0] §4.1 and §6.1; absorbed unchanged into KMIP Profiles 2.1 §5.4-5.5).
 *
 * Everything here is strict: a value either matches the textual form the spec gives for its
 * item type, or a `TtlvError` is thrown. Error messages name the path and tag, never the
 * value itself (it may be key material), except for short identifier-like enum/mask names.
 */
import type { TtlvDictionary } from './dictionary.js';
import { TtlvError } from './errors.js';
import { ItemType, type ItemTypeName, type TtlvNode } from './types.js';

/**
 * Hook consulted for text values that start with `$` (the OASIS test cases use placeholders
 * such as `$UNIQUE_IDENTIFIER_0`, `$NOW`, `$NOW-3600`). `text` is the whole value, `$`
 * included. Return a value of the right JavaScript type for `type` (e.g. `bigint` for
 * DateTime) to use it, or `undefined` to parse the text normally (a TextString keeps it
 * verbatim; any other type then fails as BAD_VALUE).
 */
export type PlaceholderHook = (text: string, type: ItemTypeName, tag: number) => TtlvNode['value'] | undefined;

/** Options shared by the text decoders. */
export interface TextDecodeOptions {
  /** See {@link PlaceholderHook}. */
  placeholder?: PlaceholderHook;
}

/** Where a value sits, for error reporting. `offset` is a character offset when known. */
export interface Site {
  readonly path: string;
  readonly tag?: number;
  readonly offset?: number;
}

/** Throw a TtlvError that points at `site`. */
export function fail(code: TtlvError['code'], what: string, site: Site): never {
  throw new TtlvError(code, `${what} at ${site.path}`, site.offset, site.tag);
}

/** Quote a name in an error message only if it looks like an identifier (never key bytes). */
export function safeName(s: string): string {
  return /^[A-Za-z0-9_$.+-]{1,64}$/.test(s) ? `"${s}"` : '(value withheld)';
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** True when `name` is one of the KMIP item type names (ENC-1.0 §4.1.4 / §6.1.4). */
export function isItemTypeName(name: string): name is ItemTypeName {
  return Object.prototype.hasOwnProperty.call(ItemType, name);
}

/**
 * `0x` + exactly `digits` hex digits -> unsigned value, else undefined. ENC-1.0 §4.1.1/§6.1.1:
 * hex forms carry all leading zeros / sign-extension bits of the fixed width.
 */
export function fixedHex(s: string, digits: number): bigint | undefined {
  if (s.length !== digits + 2 || !/^0x[0-9a-fA-F]+$/.test(s)) return undefined;
  return BigInt(s);
}

/** Format an unsigned value as `0x` + `digits` lower-case hex digits. */
export function toFixedHex(v: bigint | number, digits: number): string {
  const n = BigInt.asUintN(digits * 4, BigInt(v));
  return '0x' + n.toString(16).padStart(digits, '0');
}

/** Decimal integer text (xsd:int / xsd:long / xsd:unsignedInt lexical form) -> bigint. */
function decimal(s: string): bigint | undefined {
  // Bounded length so a hostile "000…0001" cannot make BigInt() work hard.
  if (s.length > 40 || !/^[+-]?[0-9]+$/.test(s)) return undefined;
  return BigInt(s);
}

/** Integer (signed 32-bit): decimal, or `0x` + 8 hex digits (two's complement). */
export function parseInt32(s: string, site: Site): number {
  const d = decimal(s);
  if (d !== undefined) {
    if (d < BigInt(INT32_MIN) || d > BigInt(INT32_MAX)) fail('BAD_VALUE', 'Integer out of range', site);
    return Number(d);
  }
  const h = fixedHex(s, 8);
  if (h === undefined) fail('BAD_VALUE', 'Integer is not a decimal or 0x + 8 hex digits', site);
  return Number(BigInt.asIntN(32, h));
}

/** Unsigned 32-bit (Interval, Enumeration): decimal (when allowed) or `0x` + 8 hex digits. */
export function parseUint32(s: string, site: Site, allowDecimal: boolean): number {
  const d = allowDecimal ? decimal(s) : undefined;
  if (d !== undefined) {
    if (d < 0n || d > BigInt(UINT32_MAX)) fail('BAD_VALUE', 'unsigned 32-bit value out of range', site);
    return Number(d);
  }
  const h = fixedHex(s, 8);
  if (h === undefined) fail('BAD_VALUE', 'not a valid unsigned 32-bit value', site);
  return Number(h);
}

/** Long Integer (signed 64-bit): decimal (xsd:long), or `0x` + 16 hex digits. */
export function parseInt64(s: string, site: Site): bigint {
  const d = decimal(s);
  if (d !== undefined) {
    if (d < INT64_MIN || d > INT64_MAX) fail('BAD_VALUE', 'Long Integer out of range', site);
    return d;
  }
  const h = fixedHex(s, 16);
  if (h === undefined) fail('BAD_VALUE', 'Long Integer is not a decimal or 0x + 16 hex digits', site);
  return BigInt.asIntN(64, h);
}

/** Hex digits (no `0x`) of a two's complement big-endian number -> bigint. */
export function bigIntFromHex(hex: string, site: Site): bigint {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) {
    fail('BAD_VALUE', 'Big Integer is not an even, non-empty run of hex digits', site);
  }
  const v = BigInt('0x' + hex);
  const bits = BigInt(hex.length * 4);
  // The top bit of the first byte is the sign (KMIP 2.1 §9.1.1.4: two's complement).
  return v >> (bits - 1n) === 1n ? v - (1n << bits) : v;
}

/**
 * Big Integer -> hex digits (no `0x`): the shortest two's complement form, sign-extended to a
 * multiple of 8 bytes, as on the wire (KMIP 2.1 §9.1.1.4; ENC-1.0 §4.1.1).
 */
export function bigIntToHex(v: bigint): string {
  let bytes = 8;
  while (v < -(1n << BigInt(bytes * 8 - 1)) || v >= 1n << BigInt(bytes * 8 - 1)) bytes += 8;
  return BigInt.asUintN(bytes * 8, v).toString(16).padStart(bytes * 2, '0');
}

/** xsd:hexBinary (no `0x`, even length, either case) -> bytes. */
export function bytesFromHex(s: string, site: Site): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) fail('BAD_VALUE', 'Byte String is not hexBinary', site);
  return new Uint8Array(Buffer.from(s, 'hex'));
}

/** Bytes -> lower-case hex without `0x`. */
export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

// --- Dates ------------------------------------------------------------------------------

const DATE_RE = /^(-?[0-9]{4,9})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,30})?(Z|[+-][0-9]{2}:[0-9]{2})?$/;

/** Days since 1970-01-01 of a proleptic Gregorian civil date (exact for any year). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/**
 * xsd:dateTime -> microseconds since the epoch. ENC-1.0 §4.1.5: `yyyy-mm-ddThh:mm:ss(.s+)?`
 * with an optional `Z` or `±hh:mm`; no zone means UTC. Digits beyond microseconds are dropped.
 */
export function parseIsoMicros(s: string, site: Site): bigint | undefined {
  const m = DATE_RE.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59) {
    fail('BAD_VALUE', 'date/time field out of range', site);
  }
  let offsetMin = 0;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z') {
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(4, 6));
    if (zh > 14 || zm > 59) fail('BAD_VALUE', 'time zone offset out of range', site);
    offsetMin = (zone[0] === '-' ? -1 : 1) * (zh * 60 + zm);
  }
  const secs = BigInt(daysFromCivil(y, mo, d)) * 86400n + BigInt(h * 3600 + mi * 60 + sec - offsetMin * 60);
  const micros = BigInt((m[7] ?? '.').slice(1, 7).padEnd(6, '0'));
  const total = secs * 1_000_000n + micros;
  if (secs < INT64_MIN / 1_000_000n || secs > INT64_MAX / 1_000_000n) fail('BAD_VALUE', 'date/time out of range', site);
  return total;
}

/** DateTime (seconds): xsd:dateTime (fraction truncated, ENC-1.0 §4.1.5) or `0x` + 16 hex. */
export function parseDateTime(s: string, site: Site): bigint {
  const h = fixedHex(s, 16);
  if (h !== undefined) return BigInt.asIntN(64, h);
  const us = parseIsoMicros(s, site);
  if (us === undefined) fail('BAD_VALUE', 'Date-Time is not xsd:dateTime or 0x + 16 hex digits', site);
  // Floor division so that 1969-12-31T23:59:59.5Z truncates to -1, not 0.
  return us >= 0n ? us / 1_000_000n : -((-us + 999_999n) / 1_000_000n);
}

/** Date Time Extended (microseconds, KMIP 2.0+): xsd:dateTime with up to 6 fraction digits, or hex. */
export function parseDateTimeExtended(s: string, site: Site): bigint {
  const h = fixedHex(s, 16);
  if (h !== undefined) return BigInt.asIntN(64, h);
  const us = parseIsoMicros(s, site);
  if (us === undefined) fail('BAD_VALUE', 'Date Time Extended is not xsd:dateTime or 0x + 16 hex digits', site);
  return us;
}

/**
 * Microseconds since the epoch -> `yyyy-mm-ddThh:mm:ss[.ffffff]+00:00` (the zone form the
 * OASIS test cases use), or undefined outside years 0000-9999 (callers then use hex).
 */
export function formatIsoMicros(us: bigint, withFraction: boolean): string | undefined {
  const ms = us >= 0n ? us / 1000n : -((-us + 999n) / 1000n);
  if (ms < -62167219200000n || ms > 253402300799999n) return undefined;
  const iso = new Date(Number(ms)).toISOString(); // yyyy-mm-ddThh:mm:ss.mmmZ for these years
  const frac = BigInt.asUintN(64, ((us % 1_000_000n) + 1_000_000n) % 1_000_000n).toString().padStart(6, '0');
  return iso.slice(0, 19) + (withFraction ? '.' + frac : '') + '+00:00';
}

// --- Names, enumerations and masks -------------------------------------------------------

/**
 * A dictionary answer, trusted only if it is an integer in [min, max]. Names come from the
 * peer, so a dictionary built on plain-object lookups could answer "constructor" with a
 * function; that must read as "unknown", never as a value.
 */
function checked(v: unknown, min: number, max: number): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : undefined;
}

/**
 * Normalise a KMIP text name to CamelCase, ENC-1.0 §4.1.3 / §6.1.3: "(" and ")" become spaces;
 * a non-word character followed by a letter and a lower-case letter becomes a space; other
 * non-word characters become "_"; leading digits of the first word move to its end; each word
 * is capitalised and the words are joined. "Cryptographic Usage Mask" -> "CryptographicUsageMask".
 */
export function normalizeName(text: string): string {
  const s = text
    .replace(/[()]/g, ' ')
    .replace(/[^A-Za-z0-9_ ](?=[A-Za-z][a-z])/g, ' ')
    .replace(/[^A-Za-z0-9_ ]/g, '_');
  const words = s.split(' ').filter((w) => w.length > 0);
  if (words.length > 0) {
    const first = words[0] as string;
    const lead = /^[0-9]+/.exec(first)?.[0] ?? '';
    words[0] = first.slice(lead.length) + lead;
  }
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/**
 * The tag whose enumeration and mask names apply to the value of an item. Normally the item's
 * own tag. A KMIP 1.x `Attribute Value` has no enumeration of its own: its meaning comes from
 * the sibling `Attribute Name` before it (SPEC-1.4 §2.1.1), whose normalised text names the
 * attribute's tag, e.g. "Cryptographic Algorithm" -> CryptographicAlgorithm. The OASIS 1.x
 * vectors write such values by name (`<AttributeValue type="Enumeration" value="AES"/>`).
 * Only `siblings[0 .. index)` are looked at: the items before this one.
 */
export function valueContextTag(dict: TtlvDictionary, tag: number, siblings: readonly TtlvNode[], index: number): number {
  if (dict.tagName(tag) !== 'AttributeValue') return tag;
  for (let i = Math.min(index, siblings.length) - 1; i >= 0; i--) {
    const sib = siblings[i] as TtlvNode;
    if (sib.type === 'TextString' && dict.tagName(sib.tag) === 'AttributeName') {
      return checked(dict.tagByName(normalizeName(sib.value)), 0, 0xffffff) ?? tag;
    }
  }
  return tag;
}

/** Enumeration text: `0x` + 8 hex digits, or a CamelCase name known for `ctxTag`. */
export function parseEnumText(dict: TtlvDictionary, ctxTag: number, s: string, site: Site): number {
  if (s.startsWith('0x')) return parseUint32(s, site, false);
  const v = checked(dict.enumValue(ctxTag, s), 0, UINT32_MAX);
  if (v === undefined) fail('BAD_VALUE', `unknown enumeration name ${safeName(s)}`, site);
  return v;
}

/** Enumeration -> its CamelCase name, or `0x` + 8 hex digits when it has none. */
export function formatEnum(dict: TtlvDictionary, ctxTag: number, v: number): string {
  return dict.enumName(ctxTag, v) ?? toFixedHex(v, 8);
}

/** True when Integer values of `tag` are bit masks with named bits (dictionary knows). */
export function isMaskTag(dict: TtlvDictionary, tag: number): boolean {
  return dict.maskNames(tag, 0) !== undefined;
}

/**
 * Mask parts (names or `0x` + 8 hex digits) ORed together into a signed 32-bit Integer.
 * ENC-1.0 §4.1.5 (JSON, `|`-separated) and §6.1.5 (XML, xsd:list). Order is free.
 */
export function parseMaskParts(dict: TtlvDictionary, ctxTag: number, parts: readonly string[], site: Site): number {
  if (parts.length === 0) fail('BAD_VALUE', 'empty mask', site);
  let v = 0;
  for (const p of parts) {
    if (p.startsWith('0x')) {
      v |= parseUint32(p, site, false);
      continue;
    }
    const bit = checked(dict.maskBit(ctxTag, p), INT32_MIN, UINT32_MAX);
    if (bit === undefined) fail('BAD_VALUE', `unknown mask bit name ${safeName(p)}`, site);
    v |= bit;
  }
  return v | 0;
}

/**
 * Mask -> parts. Output rule: bit names in ascending bit order, then any bits without a name as
 * one `0x` + 8 hex digits part; a zero mask is the single part `0x00000000`.
 */
export function formatMaskParts(dict: TtlvDictionary, ctxTag: number, v: number): string[] {
  const r = dict.maskNames(ctxTag, v);
  if (r === undefined) return [toFixedHex(v, 8)];
  const bitOf = (n: string): number => (dict.maskBit(ctxTag, n) ?? 0) >>> 0;
  const parts = [...r.names].sort((a, b) => bitOf(a) - bitOf(b));
  if (r.rest !== 0 || parts.length === 0) parts.push(toFixedHex(r.rest, 8));
  return parts;
}

// --- Placeholders and node construction ---------------------------------------------------

/** True when `value` has the JavaScript shape and range of a valid `type` value. */
export function isValidValue(type: ItemTypeName, value: unknown): boolean {
  switch (type) {
    case 'Structure':
      return Array.isArray(value);
    case 'Integer':
      return Number.isInteger(value) && (value as number) >= INT32_MIN && (value as number) <= INT32_MAX;
    case 'Enumeration':
    case 'Interval':
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= UINT32_MAX;
    case 'LongInteger':
    case 'DateTime':
    case 'DateTimeExtended':
      return typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX;
    case 'BigInteger':
      return typeof value === 'bigint';
    case 'Boolean':
      return typeof value === 'boolean';
    case 'TextString':
      return typeof value === 'string';
    case 'ByteString':
      return value instanceof Uint8Array;
  }
}

/** Build a node; the caller has checked `value` against `type` (see {@link isValidValue}). */
export function makeNode(tag: number, type: ItemTypeName, value: TtlvNode['value']): TtlvNode {
  return { tag, type, value } as TtlvNode;
}

/** Consult the placeholder hook for `$…` text; undefined means "parse normally". */
export function placeholderValue(
  opts: TextDecodeOptions | undefined,
  text: string,
  type: ItemTypeName,
  site: Site & { tag: number },
): TtlvNode['value'] | undefined {
  if (!text.startsWith('$') || opts?.placeholder === undefined) return undefined;
  const v = opts.placeholder(text, type, site.tag);
  if (v !== undefined && !isValidValue(type, v)) fail('BAD_VALUE', `placeholder value is not a valid ${type}`, site);
  return v;
}

/** Tag text: `0x` + 6 hex digits, or a CamelCase name. Spec (0x42xxxx) and extension (0x54xxxx) only. */
export function parseTagText(dict: TtlvDictionary, s: string, site: Site): number {
  const h = fixedHex(s, 6);
  const tag = h !== undefined ? Number(h) : checked(dict.tagByName(s), 0, 0xffffff);
  if (tag === undefined) fail('BAD_TAG', `unknown tag name ${safeName(s)}`, site);
  if (tag >> 16 !== 0x42 && tag >> 16 !== 0x54) fail('BAD_TAG', `tag ${toFixedHex(tag, 6)} outside 0x42xxxx/0x54xxxx`, site);
  return tag;
}

/** Tag -> its CamelCase name, or `0x` + 6 hex digits for unknown / extension tags. */
export function formatTag(dict: TtlvDictionary, tag: number): string {
  return dict.tagName(tag) ?? toFixedHex(tag, 6);
}
