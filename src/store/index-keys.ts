/**
 * Order-preserving encodings of index values: for values a and b of one type, a < b exactly when
 * encode(a) < encode(b) bytewise, so range conditions become key-range scans. Fixed-width numbers
 * are big-endian; signed ones have the sign bit flipped so that negatives sort first. The key layer
 * (src/store/keys.ts) escapes whatever bytes these produce, so they need no care about 0x00.
 */

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/**
 * UTF-8 bytes: their byte order is Unicode code point order. Strings are not normalised here;
 * the KMIP layer decides whether equal-looking names should match.
 */
export function encodeIndexString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.toString('utf8') !== s) throw new TypeError('index string must be well-formed Unicode');
  return bytes;
}

/** 4 bytes big-endian (KMIP Integer/Enumeration values that are never negative, e.g. State). */
export function encodeIndexUint32(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new RangeError('not a uint32');
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n);
  return out;
}

/** 8 bytes big-endian with the sign bit flipped (KMIP Long Integer). */
export function encodeIndexInt64(n: bigint): Buffer {
  if (n < INT64_MIN || n > INT64_MAX) throw new RangeError('not an int64');
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt.asUintN(64, n) ^ (1n << 63n));
  return out;
}

/** Inverse of {@link encodeIndexInt64}. */
export function decodeIndexInt64(bytes: Uint8Array): bigint {
  if (bytes.length !== 8) throw new RangeError('not an encoded int64');
  const u = Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigUInt64BE() ^ (1n << 63n);
  return BigInt.asIntN(64, u);
}

/** KMIP Date-Time: seconds since the Unix epoch as a signed 64-bit integer (KMIP 1.4 §9.1.1.4). */
export function encodeIndexDate(seconds: bigint): Buffer {
  return encodeIndexInt64(seconds);
}
