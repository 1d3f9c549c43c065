/**
 * The KMIP JSON encoding (KMIP Additional Message Encodings v1.0 [ENC-1.0] §4; KMIP Profiles 2.1
 * §5.4). Each TTLV item is an object `{"tag": …, "name"?: …, "type"?: …, "value": …}`; the tag is
 * a CamelCase name or `0x` + 6 hex digits, a missing type means Structure, and a Structure's
 * value is an array (or null) of items (ENC-1.0 §4.1.6).
 *
 * Strict: every malformed input ends in a `TtlvError` naming a path such as
 * `$.value[1].value[0]`; nothing else is thrown.
 */
import type { TtlvDictionary } from './dictionary.js';
import { TtlvError } from './errors.js';
import { MAX_DEPTH, MAX_ITEMS, MAX_MESSAGE_BYTES } from './limits.js';
import type { TtlvNode } from './types.js';
import {
  type Site,
  type TextDecodeOptions,
  bigIntFromHex,
  bigIntToHex,
  bytesFromHex,
  bytesToHex,
  fail,
  fixedHex,
  formatEnum,
  formatIsoMicros,
  formatMaskParts,
  formatTag,
  isItemTypeName,
  isMaskTag,
  isValidValue,
  makeNode,
  parseDateTime,
  parseDateTimeExtended,
  parseEnumText,
  parseInt32,
  parseInt64,
  parseMaskParts,
  parseTagText,
  parseUint32,
  placeholderValue,
  toFixedHex,
  valueContextTag,
} from './text-values.js';

/**
 * Largest JSON text accepted (characters). JSON is more verbose than TTLV; 4x the binary limit
 * still stops one request from exhausting memory.
 */
export const MAX_JSON_CHARS = 4 * MAX_MESSAGE_BYTES;

/** Numbers at or beyond 2^52 must be written as hex (ENC-1.0 §4.1.5: JavaScript precision). */
const JSON_NUMBER_LIMIT = 2 ** 52;

/** Options of the JSON reader. */
export interface JsonDecodeOptions extends TextDecodeOptions {
  /** Override {@link MAX_JSON_CHARS}. */
  maxChars?: number;
}

interface Walk {
  items: number;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toNode(
  j: unknown,
  dict: TtlvDictionary,
  opts: JsonDecodeOptions | undefined,
  path: string,
  depth: number,
  siblings: readonly TtlvNode[],
  walk: Walk,
): TtlvNode {
  const site0: Site = { path };
  if (depth > MAX_DEPTH) throw new TtlvError('TOO_DEEP', `JSON nesting deeper than ${MAX_DEPTH} at ${path}`);
  if (++walk.items > MAX_ITEMS) throw new TtlvError('TOO_MANY_ITEMS', `more than ${MAX_ITEMS} items at ${path}`);
  if (!isRecord(j)) fail('BAD_SYNTAX', 'TTLV item is not a JSON object', site0);
  for (const k of Object.keys(j)) {
    if (k !== 'tag' && k !== 'name' && k !== 'type' && k !== 'value') fail('BAD_SYNTAX', `unexpected member ${JSON.stringify(k.slice(0, 40))}`, site0);
  }
  if (typeof j.tag !== 'string') fail('BAD_TAG', 'missing or non-string "tag"', site0);
  if (j.name !== undefined && typeof j.name !== 'string') fail('BAD_SYNTAX', '"name" is not a string', site0);
  const tag = parseTagText(dict, j.tag, site0);
  const site = { path, tag };
  const type = j.type ?? 'Structure';
  if (typeof type !== 'string' || !isItemTypeName(type)) fail('UNKNOWN_TYPE', 'unknown item type name', site);
  const v = j.value;
  if (type === 'Structure') {
    if (v === null || (v === undefined && !('value' in j))) return makeNode(tag, 'Structure', []);
    if (!Array.isArray(v)) fail('BAD_VALUE', 'Structure value is not an array', site);
    const kids: TtlvNode[] = [];
    v.forEach((c, i) => kids.push(toNode(c, dict, opts, `${path}.value[${i}]`, depth + 1, kids, walk)));
    return makeNode(tag, 'Structure', kids);
  }
  if (v === undefined) fail('BAD_VALUE', `${type} without a value`, site);
  if (typeof v === 'string') {
    const ph = placeholderValue(opts, v, type, site);
    if (ph !== undefined) return makeNode(tag, type, ph);
  }
  const ctx = valueContextTag(dict, tag, siblings, siblings.length);
  return makeNode(tag, type, parseJsonValue(dict, type, ctx, v, site));
}

/** An integral JSON number below 2^52 in magnitude, else undefined. */
function smallInteger(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < JSON_NUMBER_LIMIT ? v : undefined;
}

function parseJsonValue(dict: TtlvDictionary, type: Exclude<TtlvNode['type'], 'Structure'>, ctx: number, v: unknown, site: Site): TtlvNode['value'] {
  const n = smallInteger(v);
  switch (type) {
    case 'Integer':
      if (n !== undefined) return parseInt32(String(n), site);
      if (typeof v !== 'string') break;
      // Masks: "Encrypt|Decrypt", hex parts allowed ("CertificateSign|0x0000000c").
      if (isMaskTag(dict, ctx) && !/^0x[0-9a-fA-F]{8}$/.test(v)) return parseMaskParts(dict, ctx, v.split('|'), site);
      if (v.startsWith('0x')) return parseInt32(v, site);
      break;
    case 'LongInteger':
      if (n !== undefined) return BigInt(n);
      if (typeof v === 'string' && v.startsWith('0x')) return parseInt64(v, site);
      break;
    case 'BigInteger':
      if (n !== undefined) return BigInt(n);
      // Hex of a multiple of 8 bytes, sign-extended (ENC-1.0 §4.1.1).
      if (typeof v === 'string' && /^0x(?:[0-9a-fA-F]{16})+$/.test(v)) return bigIntFromHex(v.slice(2), site);
      break;
    case 'Enumeration':
      if (n !== undefined) return parseUint32(String(n), site, true);
      if (typeof v === 'string') return parseEnumText(dict, ctx, v, site);
      break;
    case 'Boolean': {
      if (typeof v === 'boolean') return v;
      const h = typeof v === 'string' ? fixedHex(v, 16) : undefined;
      if (h === 0n || h === 1n) return h === 1n;
      break;
    }
    case 'TextString':
      if (typeof v === 'string') return v;
      break;
    case 'ByteString':
      if (typeof v === 'string') return bytesFromHex(v, site);
      break;
    case 'DateTime':
      if (typeof v === 'string') return parseDateTime(v, site);
      break;
    case 'Interval':
      if (n !== undefined) return parseUint32(String(n), site, true);
      if (typeof v === 'string' && v.startsWith('0x')) return parseUint32(v, site, false);
      break;
    case 'DateTimeExtended':
      if (typeof v === 'string') return parseDateTimeExtended(v, site);
      break;
  }
  return fail('BAD_VALUE', `not a valid ${type} value`, site);
}

/**
 * Decode one TTLV item from KMIP JSON: either the JSON text or an already parsed value.
 * @throws TtlvError on malformed JSON, unknown tag or type names, or bad values.
 */
export function jsonToTtlv(json: string | unknown, dict: TtlvDictionary, opts?: JsonDecodeOptions): TtlvNode {
  let j: unknown = json;
  if (typeof json === 'string') {
    const max = opts?.maxChars ?? MAX_JSON_CHARS;
    if (json.length > max) throw new TtlvError('TOO_LARGE', `JSON longer than ${max} characters`);
    try {
      j = JSON.parse(json);
    } catch {
      throw new TtlvError('BAD_SYNTAX', 'JSON is not well formed');
    }
  }
  return toNode(j, dict, opts, '$', 1, [], { items: 0 });
}

function toJson(node: TtlvNode, dict: TtlvDictionary, path: string, depth: number, siblings: readonly TtlvNode[], index: number): unknown {
  if (depth > MAX_DEPTH) throw new TtlvError('TOO_DEEP', `tree deeper than ${MAX_DEPTH} at ${path}`);
  const site = { path, tag: node.tag };
  if (!Number.isInteger(node.tag) || (node.tag >> 16 !== 0x42 && node.tag >> 16 !== 0x54) || node.tag > 0xffffff) {
    fail('BAD_TAG', 'tag outside 0x42xxxx/0x54xxxx', site);
  }
  if (!isItemTypeName(node.type) || !isValidValue(node.type, node.value)) fail('BAD_VALUE', `invalid ${String(node.type)} value`, site);
  const tag = formatTag(dict, node.tag);
  const ctx = valueContextTag(dict, node.tag, siblings, index);
  const big = (x: bigint, hex: string): number | string => (x > -BigInt(JSON_NUMBER_LIMIT) && x < BigInt(JSON_NUMBER_LIMIT) ? Number(x) : hex);
  let value: unknown;
  switch (node.type) {
    case 'Structure':
      value = node.value.map((c, i) => toJson(c, dict, `${path}.value[${i}]`, depth + 1, node.value, i));
      break;
    case 'Integer':
      value = isMaskTag(dict, ctx) ? formatMaskParts(dict, ctx, node.value).join('|') : node.value;
      break;
    case 'LongInteger':
      value = big(node.value, toFixedHex(node.value, 16));
      break;
    case 'BigInteger':
      value = big(node.value, '0x' + bigIntToHex(node.value));
      break;
    case 'Enumeration':
      value = formatEnum(dict, ctx, node.value);
      break;
    case 'Boolean':
    case 'TextString':
    case 'Interval':
      value = node.value;
      break;
    case 'ByteString':
      value = bytesToHex(node.value);
      break;
    case 'DateTime':
      value = formatIsoMicros(node.value * 1_000_000n, false) ?? toFixedHex(node.value, 16);
      break;
    case 'DateTimeExtended':
      value = formatIsoMicros(node.value, true) ?? toFixedHex(node.value, 16);
      break;
  }
  return { tag, type: node.type, value };
}

/**
 * Encode a TTLV tree as a KMIP JSON value (pass it to `JSON.stringify`). Tags and enumerations
 * use names where the dictionary has them, masks are `|`-joined names (see formatMaskParts),
 * numbers of 2^52 or more are hex strings, dates are `…+00:00` ISO-8601.
 * @throws TtlvError (BAD_TAG, BAD_VALUE) for trees that cannot be represented.
 */
export function ttlvToJson(node: TtlvNode, dict: TtlvDictionary): unknown {
  return toJson(node, dict, '$', 1, [], 0);
}
