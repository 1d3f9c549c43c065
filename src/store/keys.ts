/**
 * Every key-space prefix of the store, in one module (CONVENTIONS.md §4). Keys are raw bytes:
 *
 *   o\0<uid>                            object envelope (uid as UTF-8)
 *   i\0<field>\0<escaped value>\0\x01<uid>   index entry, empty value
 *   a\0<seq: uint64 big-endian>         sealed audit record (fixed width, so byte order = seq order)
 *   m\0<name>                           metadata: the audit head, the store format version
 *   c\0<seq: uint64 big-endian>         reserved: HSM-signed audit checkpoints (see src/audit/chain.ts)
 *
 * Index values may hold any bytes and may be prefixes of one another, so they are escaped:
 * 0x00 becomes 0x00 0xFF and the value ends with the terminator 0x00 0x01. The terminator sorts
 * below an escaped NUL (0x00 0xFF) and below every other byte, hence
 *   - escaping preserves order: a < b (bytewise) ⇔ esc(a)+T < esc(b)+T, so range scans work;
 *   - no escaped value plus terminator is a prefix of another's, so a scan of
 *     `i\0field\0 esc(v) \0\x01` sees exactly the entries with value v, whatever follows.
 * `field` must not contain NUL (checked), which makes `i\0field\0` unambiguous too.
 */

/** Object envelopes. */
export const OBJECT_PREFIX = Buffer.from('o\0', 'latin1');
/** Secondary index entries. */
export const INDEX_PREFIX = Buffer.from('i\0', 'latin1');
/** Sealed audit records. */
export const AUDIT_PREFIX = Buffer.from('a\0', 'latin1');
/** Store metadata. */
export const META_PREFIX = Buffer.from('m\0', 'latin1');

/** Reserved for HSM-signed checkpoints of the audit chain; nothing writes it yet. */
export const CHECKPOINT_PREFIX = Buffer.from('c\0', 'latin1');

/** Key of the audit head ({ seq, hash } of the last sealed record). */
export const META_AUDIT_HEAD = Buffer.concat([META_PREFIX, Buffer.from('audit-head')]);
/** Key of the store format version, checked on open. */
export const META_FORMAT = Buffer.concat([META_PREFIX, Buffer.from('format')]);

const VALUE_TERMINATOR = Buffer.from([0x00, 0x01]);

/** A half-open key range [gte, lt). */
export interface KeyRange {
  readonly gte: Buffer;
  readonly lt: Buffer;
}

/** The range of all keys that start with `prefix`. */
export function prefixRange(prefix: Buffer): KeyRange {
  return { gte: prefix, lt: prefixEnd(prefix) };
}

/** The smallest key greater than every key that starts with `prefix`. */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  // Only an all-0xFF prefix gets here; none of ours is.
  throw new RangeError('prefix has no upper bound');
}

/** UTF-8 bytes of a uid, rejecting what would not round-trip (empty, lone surrogates). */
export function uidBytes(uid: string): Buffer {
  const bytes = Buffer.from(uid, 'utf8');
  if (uid.length === 0 || bytes.toString('utf8') !== uid) {
    throw new TypeError('uid must be a non-empty, well-formed Unicode string');
  }
  return bytes;
}

/** `o\0<uid>`. */
export function objectKey(uid: string): Buffer {
  return Buffer.concat([OBJECT_PREFIX, uidBytes(uid)]);
}

/** The uid of an object key. */
export function uidFromObjectKey(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset + OBJECT_PREFIX.length, key.length - OBJECT_PREFIX.length).toString('utf8');
}

/** The range of all object keys. */
export const OBJECT_RANGE = prefixRange(OBJECT_PREFIX);

function fieldPrefix(field: string): Buffer {
  if (field.length === 0 || field.includes('\0')) throw new TypeError('index field must be non-empty and free of NUL');
  return Buffer.concat([INDEX_PREFIX, Buffer.from(field, 'utf8'), Buffer.from([0])]);
}

/** Escapes an index value and appends the terminator (see the module comment). */
export function escapeIndexValue(value: Uint8Array): Buffer {
  let zeros = 0;
  for (const b of value) if (b === 0) zeros++;
  const out = Buffer.alloc(value.length + zeros + VALUE_TERMINATOR.length);
  let j = 0;
  for (const b of value) {
    out[j++] = b;
    if (b === 0) out[j++] = 0xff;
  }
  VALUE_TERMINATOR.copy(out, j);
  return out;
}

/** Prefix shared by every index entry of (field, value): the entries' suffix is the uid. */
export function indexValuePrefix(field: string, value: Uint8Array): Buffer {
  return Buffer.concat([fieldPrefix(field), escapeIndexValue(value)]);
}

/** `i\0<field>\0<escaped value><uid>`. */
export function indexKey(field: string, value: Uint8Array, uid: string): Buffer {
  return Buffer.concat([indexValuePrefix(field, value), uidBytes(uid)]);
}

/**
 * The key range holding the entries of `field` with from <= value <= to (inclusive; a missing
 * bound is open). The upper end is esc(to) followed by 0x00 0x02: above every entry of `to`
 * (terminator 0x00 0x01), below every larger value (which continues with 0x00 0xFF or a byte >= 1).
 */
export function indexRange(field: string, from?: Uint8Array, to?: Uint8Array): KeyRange {
  const fp = fieldPrefix(field);
  const gte = from === undefined ? fp : Buffer.concat([fp, escapeIndexValue(from)]);
  let lt: Buffer;
  if (to === undefined) {
    lt = prefixEnd(fp);
  } else {
    const esc = escapeIndexValue(to);
    esc[esc.length - 1] = 0x02;
    lt = Buffer.concat([fp, esc]);
  }
  return { gte, lt };
}

/**
 * Splits an index key of `field` into its (unescaped) value and uid. Needed by range scans,
 * whose keys do not share a value prefix.
 */
export function parseIndexKey(field: string, key: Uint8Array): { value: Buffer; uid: Buffer } {
  const fp = fieldPrefix(field);
  const buf = Buffer.from(key.buffer, key.byteOffset, key.length);
  if (!buf.subarray(0, fp.length).equals(fp)) throw new RangeError('index key of another field');
  const value: number[] = [];
  for (let i = fp.length; i + 1 < buf.length; i++) {
    const b = buf[i]!;
    if (b !== 0) {
      value.push(b);
      continue;
    }
    const next = buf[i + 1];
    if (next === 0x01) return { value: Buffer.from(value), uid: buf.subarray(i + 2) };
    if (next !== 0xff) break;
    value.push(0);
    i++;
  }
  throw new RangeError('malformed index key');
}

/** `a\0<seq as uint64 BE>`. */
export function auditKey(seq: number): Buffer {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError('audit seq must be a non-negative safe integer');
  const key = Buffer.allocUnsafe(AUDIT_PREFIX.length + 8);
  AUDIT_PREFIX.copy(key);
  // Two 32-bit halves: the same bytes as writeBigUInt64BE without a BigInt per record.
  key.writeUInt32BE(Math.floor(seq / 2 ** 32), AUDIT_PREFIX.length);
  key.writeUInt32BE(seq >>> 0, AUDIT_PREFIX.length + 4);
  return key;
}

/** The seq of an audit key. */
export function seqFromAuditKey(key: Uint8Array): number {
  const buf = Buffer.from(key.buffer, key.byteOffset, key.length);
  return Number(buf.readBigUInt64BE(AUDIT_PREFIX.length));
}

/** The range of all audit records. */
export const AUDIT_RANGE = prefixRange(AUDIT_PREFIX);
