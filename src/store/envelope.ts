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

/** Parses an envelope; `key` names the object in errors. */
export function decodeEnvelope(data: Uint8Array, key: string): StoredObject {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  let pos = 0;
  const need = (n: number): void => {
    if (n > buf.length - pos) throw new StoreCorruptionError(`object ${key}: envelope truncated at byte ${pos}`);
  };
  const u32 = (): number => {
    need(4);
    const v = buf.readUInt32BE(pos);
    pos += 4;
    return v;
  };
  const bytes = (): Buffer => {
    const len = u32();
    need(len);
    // Copied, so that callers may keep the result without pinning the read buffer.
    const out = Buffer.from(buf.subarray(pos, pos + len));
    pos += len;
    return out;
  };
  need(1);
  const version = buf[pos++];
  if (version !== ENVELOPE_VERSION) {
    throw new StoreCorruptionError(`object ${key}: unknown envelope version ${String(version)}`);
  }
  const uid = bytes().toString('utf8');
  const owner = bytes().toString('utf8');
  need(8);
  const revision = Number(buf.readBigUInt64BE(pos));
  pos += 8;
  const count = u32();
  // Each term takes at least 8 bytes: a hostile count cannot make us allocate before failing.
  need(count * 8);
  const index: IndexTerm[] = [];
  for (let i = 0; i < count; i++) {
    const field = bytes().toString('utf8');
    index.push({ field, value: bytes() });
  }
  const body = bytes();
  if (pos !== buf.length) throw new StoreCorruptionError(`object ${key}: trailing bytes in envelope`);
  return { uid, owner, revision, body, index };
}
