/**
 * A minimal DER writer (ITU-T X.690 §10), just enough to assemble X.509 certificates.
 *
 * Why not node-forge's ASN.1: it works on binary strings and has no EC keys anyway, so the
 * certificate would be half forge, half `node:crypto`. A Buffer-based writer of a dozen tags is
 * small enough to audit, and the output is checked by `node:crypto`'s X509Certificate, OpenSSL
 * and Python's `ssl` in the tests.
 */

/** Encodes a definite length: short form below 128, else long form (X.690 §8.1.3). */
function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** A TLV with an explicit identifier octet. */
export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
export const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
export const nullValue = (): Buffer => Buffer.from([0x05, 0x00]);
export const boolean = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
export const octetString = (b: Buffer): Buffer => tlv(0x04, b);
export const utf8String = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));

/** BIT STRING whose content is whole bytes (keys, signatures): zero unused bits. */
export const bitString = (b: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));

/**
 * BIT STRING for named-bit lists such as KeyUsage: DER drops trailing zero bits (X.690 §11.2.2),
 * so the unused-bit count is derived from the lowest set bit.
 * @param bits bit numbers as named in the ASN.1 module (0 = most significant bit of byte 0)
 */
export function namedBits(bits: number[]): Buffer {
  if (bits.length === 0) return tlv(0x03, Buffer.from([0]));
  const last = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(last / 8) + 1);
  for (const b of bits) bytes[Math.floor(b / 8)]! |= 0x80 >> b % 8;
  const unused = 7 - (last % 8);
  return tlv(0x03, Buffer.concat([Buffer.from([unused]), bytes]));
}

/** INTEGER from unsigned big-endian bytes: strips leading zeros, adds one when the sign bit is set. */
export function unsignedInteger(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  let v = b.subarray(i);
  if (v.length === 0) v = Buffer.from([0]);
  if ((v[0]! & 0x80) !== 0) v = Buffer.concat([Buffer.from([0]), v]);
  return tlv(0x02, v);
}

export const smallInteger = (n: number): Buffer => unsignedInteger(Buffer.from([n]));

/** OBJECT IDENTIFIER from dotted form (X.690 §8.19). */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const [a, b, ...rest] = arcs;
  if (a === undefined || b === undefined || arcs.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new Error(`bad OID ${dotted}`);
  }
  const out: number[] = [a * 40 + b];
  for (const arc of rest) {
    const groups: number[] = [];
    let v = arc;
    do {
      groups.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < groups.length - 1; i++) groups[i]! |= 0x80;
    out.push(...groups);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime before 2050, GeneralizedTime from 2050 on (RFC 5280 §4.1.2.5). */
export function time(d: Date): Buffer {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '') + 'Z';
  const year = d.getUTCFullYear();
  return year < 2050 ? tlv(0x17, Buffer.from(digits.slice(2), 'ascii')) : tlv(0x18, Buffer.from(digits, 'ascii'));
}

/** Context-specific tag: `[n] EXPLICIT` wraps a constructed value, `[n] IMPLICIT` replaces a primitive tag. */
export const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 | n, inner);
export const implicitPrimitive = (n: number, content: Buffer): Buffer => tlv(0x80 | n, content);

/** One element read back from DER: its tag and where its full encoding and content sit. */
export interface DerElement {
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

/** Reads the element at `offset` (single-octet tags only, definite lengths, as X.509 uses). */
export function readElement(buf: Buffer, offset: number): DerElement {
  const tag = buf[offset];
  const first = buf[offset + 1];
  if (tag === undefined || first === undefined) throw new Error('DER: truncated');
  let len = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER: unsupported length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[offset + 2 + i] ?? 0);
    contentStart += n;
  }
  const end = contentStart + len;
  if (end > buf.length) throw new Error('DER: length past end');
  return { tag, start: offset, contentStart, end };
}

/** The children of a constructed element. */
export function children(buf: Buffer, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const el = readElement(buf, at);
    out.push(el);
    at = el.end;
  }
  return out;
}
