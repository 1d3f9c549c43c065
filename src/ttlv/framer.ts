/**
 * Splits a TCP/TLS byte stream into whole TTLV messages. KMIP 2.1 §10.1 / KMIP 1.4 §9.1: a message
 * is one top-level Structure, so its 8-byte header says exactly how many bytes follow.
 *
 * The header is checked as soon as it is complete and before any body byte is kept: a tag outside
 * 0x42xxxx / 0x54xxxx, a type other than Structure, a length that is not a multiple of 8 or a
 * message over `maxMessageBytes` means framing is lost, so `push` throws {@link TtlvError} and
 * the connection must be closed. The first byte alone is checked on arrival too, so a client
 * speaking HTTP or plaintext into a TLS-less port fails at once.
 *
 * Memory held per connection is proportional to bytes actually received (the assembly buffer
 * grows by doubling up to the declared length), never to a declared length alone, and each
 * input byte is copied at most a constant number of times however small the chunks are.
 */
import { isValidTag } from './decode.js';
import { TtlvError } from './errors.js';
import { MAX_MESSAGE_BYTES } from './limits.js';

/** Options for {@link TtlvFramer}. */
export interface TtlvFramerOptions {
  /** Largest message (header + body) accepted; default {@link MAX_MESSAGE_BYTES}. */
  readonly maxMessageBytes?: number;
}

const HEADER = 8;
/** First assembly allocation for a message that spans chunks; grows by doubling. */
const INITIAL_CAPACITY = 16 * 1024;

/**
 * Stateful framer for one connection. Returned messages are exactly `8 + length` bytes. A message
 * that arrives inside one chunk is returned as a view of that chunk (no copy), so callers must not
 * modify chunks after pushing them (Node's socket `data` chunks are never reused).
 */
export class TtlvFramer {
  private readonly max: number;
  /** Header bytes collected so far when the header itself spans chunks. */
  private readonly hdr = Buffer.alloc(HEADER);
  private hdrLen = 0;
  /** Stream offset where the pending header started, for error reports. */
  private hdrAt = 0;
  /** Assembly buffer for a message that spans chunks, and bytes filled. */
  private msg: Buffer | undefined;
  private msgLen = 0;
  /** Full size of the message being assembled (header + body). */
  private need = 0;
  private failed: TtlvError | undefined;
  /** Stream offset of the start of the current chunk, for error reports. */
  private consumed = 0;

  constructor(opts?: TtlvFramerOptions) {
    this.max = opts?.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  }

  /** Full size (header + body) of the message being assembled, once its header is in; else 0. */
  get pending(): number {
    return this.msg !== undefined ? this.need : 0;
  }

  /** Bytes received but not yet returned as part of a message. */
  get buffered(): number {
    return this.msg !== undefined ? this.msgLen : this.hdrLen;
  }

  /**
   * Feed the next chunk of the stream; returns the messages it completes, in order. Throws
   * {@link TtlvError} once framing is lost, and again on every later call.
   */
  push(chunk: Uint8Array): Buffer[] {
    if (this.failed) throw this.failed;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: Buffer[] = [];
    try {
      let pos = 0;
      const end = buf.length;
      while (pos < end) {
        if (this.msg !== undefined) {
          pos = this.fill(buf, pos, out);
        } else if (this.hdrLen === 0 && end - pos >= HEADER) {
          // Fast path: header in this chunk.
          const need = this.check(buf, pos, this.streamOffset(pos));
          if (end - pos >= need) {
            out.push(buf.subarray(pos, pos + need));
            pos += need;
          } else {
            this.start(need);
            this.msg!.set(buf.subarray(pos, pos + HEADER), 0);
            this.msgLen = HEADER;
            pos = this.fill(buf, pos + HEADER, out);
          }
        } else {
          const n = Math.min(HEADER - this.hdrLen, end - pos);
          if (this.hdrLen === 0) this.hdrAt = this.consumed + pos;
          buf.copy(this.hdr, this.hdrLen, pos, pos + n);
          this.hdrLen += n;
          pos += n;
          this.checkFirstByte();
          if (this.hdrLen === HEADER) {
            const need = this.check(this.hdr, 0, this.hdrAt);
            this.hdrLen = 0;
            this.start(need);
            this.msg!.set(this.hdr, 0);
            this.msgLen = HEADER;
            if (need === HEADER) this.finish(out);
          }
        }
      }
    } catch (err) {
      this.failed =
        err instanceof TtlvError ? err : new TtlvError('BAD_VALUE', 'internal framer error', this.consumed);
      throw this.failed;
    }
    this.consumed += buf.length;
    return out;
  }

  private streamOffset(pos: number): number {
    return this.consumed + pos;
  }

  private checkFirstByte(): void {
    const top = this.hdr[0]!;
    if (top !== 0x42 && top !== 0x54) {
      throw new TtlvError('BAD_TAG', 'message does not start with a 0x42xxxx or 0x54xxxx tag', this.hdrAt);
    }
  }

  /** Validate a complete header at `b[o..o+8]`; returns the full message size. */
  private check(b: Buffer, o: number, at: number): number {
    const tag = (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
    if (!isValidTag(tag)) {
      throw new TtlvError('BAD_TAG', 'message tag is not in the 0x42xxxx or 0x54xxxx range', at, tag);
    }
    if (b[o + 3] !== 0x01) {
      throw new TtlvError('UNKNOWN_TYPE', 'a message must be a Structure', at, tag);
    }
    const len = b.readUInt32BE(o + 4);
    if (len > this.max - HEADER) {
      throw new TtlvError('TOO_LARGE', `declared length ${len} exceeds limit ${this.max}`, at, tag);
    }
    if (len % 8 !== 0) {
      throw new TtlvError('BAD_LENGTH', `Structure length ${len} is not a multiple of 8`, at, tag);
    }
    return HEADER + len;
  }

  private start(need: number): void {
    this.need = need;
    this.msg = Buffer.allocUnsafe(Math.min(need, INITIAL_CAPACITY));
    this.msgLen = 0;
  }

  /** Copy from `buf[pos..]` into the assembly buffer; returns the new position. */
  private fill(buf: Buffer, pos: number, out: Buffer[]): number {
    const n = Math.min(this.need - this.msgLen, buf.length - pos);
    if (this.msgLen + n > this.msg!.length) {
      // Grow by doubling (amortised linear copying), never past the declared size.
      let cap = this.msg!.length;
      while (cap < this.msgLen + n) cap = Math.min(this.need, cap * 2);
      const bigger = Buffer.allocUnsafe(cap);
      this.msg!.copy(bigger, 0, 0, this.msgLen);
      this.msg = bigger;
    }
    buf.copy(this.msg!, this.msgLen, pos, pos + n);
    this.msgLen += n;
    if (this.msgLen === this.need) this.finish(out);
    return pos + n;
  }

  private finish(out: Buffer[]): void {
    // Capacity never exceeds `need` (initial size and growth are capped at it), so the buffer is
    // exactly the message and every byte of it was written.
    out.push(this.msg!);
    this.msg = undefined;
    this.msgLen = 0;
    this.need = 0;
  }
}
