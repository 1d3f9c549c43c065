/**
 * Binary TTLV encoder: generic {@link TtlvNode} tree -> bytes. KMIP 2.1 §10.1, types §11.23.
 *
 * One pass over the tree: each item is validated and written straight into a Buffer owned by
 * this call; a Structure's length is filled in once its children are written. The Buffer starts
 * at a size that fits typical messages and doubles when needed (the outgrown copy is zeroed, so
 * no second copy of a value lingers); the result is a view of exactly the bytes written. Nothing
 * is kept in module memory between calls except a size hint (a number). Values out of range for
 * their type throw `TtlvError('BAD_VALUE')`; tags outside 0x42xxxx / 0x54xxxx throw
 * `TtlvError('BAD_TAG')`. On any error the partial output is zeroed and dropped.
 *
 * (An earlier two-pass design measured every node first and then wrote into an exact-size
 * Buffer: two tree walks and a type dispatch per node per walk. See BENCHMARKS.md.)
 */
import { TtlvError } from './errors.js';
import type { TtlvNode } from './types.js';

const UINT32_MAX = 0xffffffff;
const TWO_32 = 0x100000000;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
/** Number(bigint) is exact for |n| < 2^53, so such 64-bit values need no BigInt operation. */
const SAFE = 2 ** 53;

/** Size of the shared output chunk: ~120 messages of the OASIS mix (260 bytes on average). */
const CHUNK_BYTES = 32 * 1024;
/** Initial size of a Buffer owned by one call (re-entrant calls, messages too big for a chunk). */
const OWN_BYTES = 512;

/**
 * Output chunk shared by calls, like Node's own `Buffer.allocUnsafe` pool: each message is written
 * at the chunk's first free offset and returned as a view of exactly its bytes, so a call makes
 * one small Buffer object and copies nothing. Bytes in the chunk are only ever returned output
 * (which the caller owns and may zero) or zeros: a failed call zeroes what it wrote, and a
 * message that outgrows the chunk is moved out and its bytes in the chunk zeroed.
 */
let chunk: Buffer = Buffer.alloc(CHUNK_BYTES);
/** A DataView of {@link chunk}: headers and fixed-width values are written as 32-bit words. */
let chunkView = viewOf(chunk);
/** First free (and still zero) byte of {@link chunk}; always a multiple of 8. */
let chunkPos = 0;
/** True while a call writes into {@link chunk} (a getter on a node could re-enter the encoder). */
let chunkBusy = false;

/** Encode one item (normally a Request or Response Message) to TTLV bytes. */
export function encodeTtlv(node: TtlvNode): Buffer {
  const shared = !chunkBusy;
  let w: Writer;
  if (shared) w = new Writer(chunk, chunkView, chunkPos);
  else {
    const own = Buffer.alloc(OWN_BYTES);
    w = new Writer(own, viewOf(own), 0);
  }
  chunkBusy = true;
  try {
    w.item(node);
  } catch (err) {
    w.discard();
    if (err instanceof TtlvError) throw err;
    // A cyclic or absurdly deep tree overflows the stack; report it as a value error.
    const e = new TtlvError('BAD_VALUE', 'tree cannot be encoded (cyclic or too deep)');
    (e as Error).cause = err;
    throw e;
  } finally {
    if (shared) chunkBusy = false;
  }
  const b = w.buf;
  // Every item is a multiple of 8 bytes long, so the next free offset stays 8-aligned.
  if (b === chunk) chunkPos = w.pos;
  return Buffer.from(b.buffer, b.byteOffset + w.base, w.pos - w.base);
}

function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.length);
}

function padded(len: number): number {
  return len + ((8 - (len % 8)) % 8);
}

function bad(node: { tag: number; type: string }, what: string): TtlvError {
  return new TtlvError('BAD_VALUE', `${node.type} ${what}`, undefined, node.tag);
}

// KMIP 2.1 §10.1: Text Strings are UTF-8. A lone surrogate has no UTF-8 form; Buffer#write would
// silently replace it with U+FFFD and the peer would read a different value.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Big Integer width: the minimal two's-complement byte count, rounded up to a multiple of 8
 * (KMIP 2.1 §10.1.5: sign-extended on the left). Zero is 8 bytes.
 */
function bigIntWidth(n: bigint): number {
  // Bits needed excluding sign: for negatives, the magnitude of (-n - 1).
  const mag = n < 0n ? -n - 1n : n;
  // Hex digits over-count by at most 3 bits; refine with the top digit so the width is minimal.
  let bits = 0;
  if (mag !== 0n) {
    const hex = mag.toString(16);
    bits = (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0]!, 16)));
  }
  return Math.max(8, Math.ceil((bits + 1) / 64) * 8);
}

// Node's Buffer#latin1Write skips write()'s argument and encoding parsing; it is undocumented,
// so fall back to write(..., 'latin1') if a future Node drops it. Measured 1.4-2x on 12-100 chars.
const latin1Write = (Buffer.prototype as unknown as { latin1Write?: (this: Buffer, s: string, o: number, n: number) => number })
  .latin1Write;

/** ASCII Text Strings up to this many characters are copied by a JS loop, longer ones natively. */
const SHORT_TEXT = 32;

/**
 * Validates and writes items into `buf` from offset `base`; every byte from `base` up to `pos`
 * is written, everything after `pos` is zero.
 */
class Writer {
  pos: number;

  constructor(
    public buf: Buffer,
    private dv: DataView,
    public base: number,
  ) {
    this.pos = base;
  }

  /** Make room for `n` more bytes. */
  private room(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  /**
   * Move what is written to a bigger Buffer and zero the old copy: a fresh shared chunk when the
   * message still fits half of one (the old chunk was just nearly full), else a Buffer of its own
   * that doubles as needed.
   */
  private grow(n: number): void {
    const old = this.buf;
    const used = this.pos - this.base;
    // Structure lengths and the frame are capped at 2^32-1 bytes; beyond that fails in item().
    const need = used + n;
    let next: Buffer;
    if (old === chunk && need <= CHUNK_BYTES / 2) {
      next = Buffer.alloc(CHUNK_BYTES);
      chunk = next;
      chunkView = viewOf(next);
      chunkPos = 0;
    } else {
      next = Buffer.alloc(Math.max(2 * (old.length - this.base), need, OWN_BYTES));
    }
    old.copy(next, 0, this.base, this.pos);
    old.fill(0, this.base, this.pos);
    this.buf = next;
    this.dv = next === chunk ? chunkView : viewOf(next);
    this.base = 0;
    this.pos = used;
  }

  /** Zero what was written (called when the encoding fails part way). */
  discard(): void {
    this.buf.fill(0, this.base, Math.min(this.pos, this.buf.length));
  }

  /** 8-byte header at `o`: tag (3), type (1), length (4). KMIP 2.1 §10.1. */
  private header(o: number, tag: number, type: number, len: number): void {
    const d = this.dv;
    // tag < 2^24, so (tag << 8) | type is a non-negative 32-bit integer.
    d.setUint32(o, (tag << 8) | type);
    d.setUint32(o + 4, len);
  }

  /** A 16-byte item with a 4-byte value (Integer, Enumeration, Interval) and 4 zero bytes. */
  private fixed4(tag: number, type: number, n: number): void {
    this.room(16);
    const o = this.pos;
    this.header(o, tag, type, 4);
    const d = this.dv;
    d.setUint32(o + 8, n >>> 0);
    d.setUint32(o + 12, 0);
    this.pos = o + 16;
  }

  /** A 16-byte item with an 8-byte value given as two 32-bit words. */
  private fixed8(tag: number, type: number, hi: number, lo: number): void {
    this.room(16);
    const o = this.pos;
    this.header(o, tag, type, 8);
    const d = this.dv;
    d.setUint32(o + 8, hi >>> 0);
    d.setUint32(o + 12, lo >>> 0);
    this.pos = o + 16;
  }

  /** Zero the 8-byte word ending at `end`, before a value is copied over its start (padding). */
  private zeroLastWord(end: number): void {
    const b = this.buf;
    for (let o = end - 8; o < end; o++) b[o] = 0;
  }

  /**
   * Validate the node and its tag, then hand it to a small function for its type. Kept small on
   * purpose: one big switch with every type's checks and writes inlined was optimised by V8 on
   * partial type feedback and then deoptimised and re-optimised, settling in a fast or a slow
   * state from one process to the next (BENCHMARKS.md, codec fourth session).
   */
  item(node: TtlvNode): void {
    if (typeof node !== 'object' || node === null) {
      throw new TtlvError('BAD_VALUE', 'item is not an object');
    }
    // One check covers non-numbers, non-integers, >24 bits and a top byte other than 0x42 / 0x54.
    const tag = node.tag;
    const top = tag >>> 16;
    if ((top !== 0x42 && top !== 0x54) || (tag & 0xffffff) !== tag) {
      throw new TtlvError('BAD_TAG', 'tag is not a 24-bit 0x42xxxx or 0x54xxxx number', undefined, node.tag);
    }
    // Type bytes: KMIP 2.1 §11.23 Table 458 (constants here, not a keyed lookup, on purpose).
    // Commonest types first.
    switch (node.type) {
      case 'Structure':
        this.structure(node, tag);
        return;
      case 'Enumeration':
        this.unsigned32(node, tag, 0x05);
        return;
      case 'TextString':
        this.text(node, tag);
        return;
      case 'Integer':
        this.integer(node, tag);
        return;
      case 'DateTime':
        this.int64(node, tag, 0x09);
        return;
      case 'Boolean':
        this.boolean(node, tag);
        return;
      case 'ByteString':
        this.byteString(node, tag);
        return;
      case 'Interval':
        this.unsigned32(node, tag, 0x0a);
        return;
      case 'LongInteger':
        this.int64(node, tag, 0x03);
        return;
      case 'DateTimeExtended':
        this.int64(node, tag, 0x0b);
        return;
      case 'BigInteger':
        this.bigInteger(node, tag);
        return;
      default:
        throw new TtlvError('BAD_VALUE', 'unknown item type', undefined, (node as TtlvNode).tag);
    }
  }

  private structure(node: TtlvNode, tag: number): void {
    const v = node.value;
    if (!Array.isArray(v)) throw bad(node, 'value is not an array');
    this.room(8);
    // Relative to `base`: growing may move the message to a new Buffer.
    const rel = this.pos - this.base;
    this.pos += 8;
    const kids = v as TtlvNode[];
    for (let i = 0; i < kids.length; i++) this.item(kids[i]!);
    const start = this.base + rel;
    const len = this.pos - start - 8;
    if (len > UINT32_MAX) throw bad(node, 'is longer than 2^32-1 bytes');
    this.header(start, tag, 0x01, len);
  }

  /** Enumeration, Interval. */
  private unsigned32(node: TtlvNode, tag: number, type: number): void {
    const v = node.value as number;
    if (v >>> 0 !== v) throw bad(node, 'value is not an unsigned 32-bit integer');
    this.fixed4(tag, type, v);
  }

  private integer(node: TtlvNode, tag: number): void {
    const v = node.value as number;
    if ((v | 0) !== v) throw bad(node, 'value is not a signed 32-bit integer');
    this.fixed4(tag, 0x02, v);
  }

  private boolean(node: TtlvNode, tag: number): void {
    const v = node.value;
    if (typeof v !== 'boolean') throw bad(node, 'value is not a boolean');
    this.fixed8(tag, 0x06, 0, v ? 1 : 0); // KMIP 2.1 §10.1: 8 bytes, 0 or 1
  }

  private text(node: TtlvNode, tag: number): void {
    const s = node.value;
    if (typeof s !== 'string') throw bad(node, 'value is not a string');
    const len = s.length;
    if (len <= SHORT_TEXT) {
      // Short strings (most names and identifiers): copy the UTF-16 units as bytes in JS and OR
      // them together; if none is >= 0x80 the string was ASCII and the bytes are its UTF-8.
      // Cheaper than Buffer.byteLength's native call. Otherwise undo and take the general path.
      const full = padded(len);
      this.room(8 + full);
      const o = this.pos;
      const b = this.buf;
      const end = o + 8 + full;
      if (len !== 0) this.zeroLastWord(end);
      let or = 0;
      for (let i = 0, d = o + 8; i < len; i++, d++) {
        const c = s.charCodeAt(i);
        or |= c;
        b[d] = c;
      }
      if (or < 0x80) {
        this.header(o, tag, 0x07, len);
        this.pos = end;
        return;
      }
      // Restore the invariant (everything after pos is zero) before the general path.
      b.fill(0, o + 8, end);
    }
    this.utf8Text(node, tag, s);
  }

  /** Any Text String: validated as well-formed Unicode, written as UTF-8. */
  private utf8Text(node: TtlvNode, tag: number, s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    // UTF-8 length equals UTF-16 length exactly when every unit is ASCII (anything else,
    // lone surrogates included, takes 2+ bytes): then the bytes can be copied as latin1.
    const ascii = n === s.length;
    if (!ascii) {
      if (LONE_SURROGATE.test(s)) throw bad(node, 'value is not well-formed Unicode');
      if (n > UINT32_MAX) throw bad(node, 'is longer than 2^32-1 bytes');
    }
    const full = padded(n);
    this.room(8 + full);
    const o = this.pos;
    this.header(o, tag, 0x07, n);
    const end = o + 8 + full;
    if (n !== 0) this.zeroLastWord(end);
    if (!ascii) this.buf.write(s, o + 8, n, 'utf8');
    else if (latin1Write !== undefined) latin1Write.call(this.buf, s, o + 8, n);
    else this.buf.write(s, o + 8, n, 'latin1');
    this.pos = end;
  }

  private byteString(node: TtlvNode, tag: number): void {
    const v = node.value;
    if (!(v instanceof Uint8Array)) throw bad(node, 'value is not a Uint8Array');
    const n = v.length;
    if (n > UINT32_MAX) throw bad(node, 'is longer than 2^32-1 bytes');
    const full = padded(n);
    this.room(8 + full);
    const o = this.pos;
    this.header(o, tag, 0x08, n);
    const end = o + 8 + full;
    if (n !== 0) this.zeroLastWord(end);
    this.buf.set(v, o + 8);
    this.pos = end;
  }

  /** Signed 64-bit big-endian; no BigInt arithmetic when the value is within 2^53 (dates are). */
  private int64(node: TtlvNode, tag: number, type: number): void {
    const v = node.value;
    if (typeof v !== 'bigint') throw bad(node, 'value is not a signed 64-bit bigint');
    const n = Number(v);
    // |v| < 2^53 exactly when |Number(v)| < 2^53 (rounding is monotonic and 2^53 is exact).
    if (n > -SAFE && n < SAFE) {
      const hi = Math.floor(n / TWO_32);
      this.fixed8(tag, type, hi, n - hi * TWO_32);
      return;
    }
    if (v < INT64_MIN || v > INT64_MAX) throw bad(node, 'value is not a signed 64-bit bigint');
    this.room(16);
    this.header(this.pos, tag, type, 8);
    this.buf.writeBigInt64BE(v, this.pos + 8);
    this.pos += 16;
  }

  private bigInteger(node: TtlvNode, tag: number): void {
    const n = node.value;
    if (typeof n !== 'bigint') throw bad(node, 'value is not a bigint');
    const width = bigIntWidth(n);
    if (width > UINT32_MAX) throw bad(node, 'is longer than 2^32-1 bytes');
    this.room(8 + width);
    this.header(this.pos, tag, 0x04, width);
    // Two's complement of n in `width` bytes, via one hex conversion (RSA moduli are 256+ bytes;
    // converting 64 bits at a time costs a BigInt shift and allocation per chunk).
    const hex = BigInt.asUintN(width * 8, n).toString(16).padStart(width * 2, '0');
    this.buf.write(hex, this.pos + 8, width, 'hex');
    this.pos += 8 + width;
  }
}
