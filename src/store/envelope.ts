/**
 * The stored form of an object (the value under `o\0<uid>`), version 1:
 *
 *   u8  version = 1
 *   str uid, str owner          (str = u32 BE byte length + UTF-8)
 *   u64 BE revision
 *   u32 BE term count, then per term: str field, bytes value (u32 BE length + bytes)
 *   bytes body
 *
 * The envelope carries the index terms so that an update or delete can remove exactly the index
 * entries the previous version wrote, and so that locate can check a residual condition against
 * an object without another index scan. Decoding checks every length against what is left; a
 * corrupted value fails with StoreCorruptionError rather than yielding a wrong object.
 */
import type { IndexTerm, StoredObject } from './object-store.js';
import { StoreCorruptionError } from './errors.js';

const ENVELOPE_VERSION = 1;

/** Serialises an object. */
export function encodeEnvelope(obj: StoredObject): Buffer {
  if (!Number.isSafeInteger(obj.revision) || obj.revision < 0) {
    throw new RangeError('revision must be a non-negative safe integer');
  }
  const parts: Buffer[] = [Buffer.from([ENVELOPE_VERSION])];
  const bytes = (b: Uint8Array): void => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    parts.push(len, Buffer.from(b.buffer, b.byteOffset, b.length));
  };
  bytes(Buffer.from(obj.uid, 'utf8'));
  bytes(Buffer.from(obj.owner, 'utf8'));
  const rev = Buffer.alloc(8);
  rev.writeBigUInt64BE(BigInt(obj.revision));
  parts.push(rev);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(obj.index.length);
  parts.push(count);
  for (const t of obj.index) {
    bytes(Buffer.from(t.field, 'utf8'));
    bytes(t.value);
  }
  bytes(obj.body);
  return Buffer.concat(parts);
}

/**
 * Parses an envelope; `key` names the object in errors. The value is copied once (not at all
 * when `owned`), and body and index values are views into it: callers may keep them (and the caller's buffer may be
 * reused) without a copy per field. On the read path of every Get, so no closures or per-field
 * allocations beyond the strings and views themselves, and the index terms (a dozen or more per
 * key, which a Get or a Locate residual check never looks at) are only length-checked here and
 * decoded when `index` is first read.
 */
export function decodeEnvelope(data: Uint8Array, key: string, owned = false): StoredObject {
  // `owned`: the caller hands the bytes over (a fresh read, see KvReader.get), so no copy.
  const buf = owned ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
  const r = new EnvelopeReader(buf, key);
  const version = r.u8();
  if (version !== ENVELOPE_VERSION) {
    throw new StoreCorruptionError(`object ${key}: unknown envelope version ${String(version)}`);
  }
  const uid = r.text();
  const owner = r.text();
  const revision = r.u64();
  const count = r.u32();
  // Each term takes at least 8 bytes: a hostile count cannot make us allocate before failing.
  r.need(count * 8);
  const termsAt = r.pos;
  for (let i = 0; i < count; i++) {
    r.skip();
    r.skip();
  }
  const body = r.bytes();
  if (r.pos !== r.buf.length) throw new StoreCorruptionError(`object ${key}: trailing bytes in envelope`);
  let index: IndexTerm[] | undefined;
  return {
    uid,
    owner,
    revision,
    body,
    // Every length was checked above, so decoding the terms later cannot fail.
    get index(): IndexTerm[] {
      return (index ??= decodeTerms(buf, termsAt, count, key));
    },
  };
}

function decodeTerms(buf: Buffer, at: number, count: number, key: string): IndexTerm[] {
  const r = new EnvelopeReader(buf, key);
  r.pos = at;
  const index: IndexTerm[] = new Array<IndexTerm>(count);
  for (let i = 0; i < count; i++) {
    const field = r.text();
    index[i] = { field, value: r.bytes() };
  }
  return index;
}

/** A bounds-checked cursor over one envelope. */
class EnvelopeReader {
  pos = 0;

  constructor(
    readonly buf: Buffer,
    private readonly key: string,
  ) {}

  need(n: number): void {
    if (n > this.buf.length - this.pos) throw new StoreCorruptionError(`object ${this.key}: envelope truncated at byte ${this.pos}`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): number {
    this.need(8);
    const v = Number(this.buf.readBigUInt64BE(this.pos));
    this.pos += 8;
    return v;
  }

  /** A length-prefixed byte string, as a view into the (private) buffer. */
  bytes(): Buffer {
    const len = this.u32();
    this.need(len);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** Steps over a length-prefixed field, checking its length. */
  skip(): void {
    const len = this.u32();
    this.need(len);
    this.pos += len;
  }

  /** A length-prefixed UTF-8 string. */
  text(): string {
    const len = this.u32();
    this.need(len);
    const out = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
}
