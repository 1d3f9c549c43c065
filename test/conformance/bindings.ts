/**
 * Placeholder binding for the OASIS replay (issue: values the spec lets vary are bound on first
 * sight and checked for consistency afterwards, not ignored).
 *
 * The XML files write varying values as `$NAME` placeholders (`$UNIQUE_IDENTIFIER_0`, `$NOW`,
 * `$KEY_MATERIAL_0`, ...), and some write literal identifiers that a server may choose differently
 * (KMIP Additional Message Encodings §8.4 "Permitted Test Case Variations"). A `Bindings` maps each
 * expected token to the live value the server first answered, and substitutes it into later
 * requests.
 */
import type { PlaceholderHook } from '../../src/ttlv/text-values.js';

/** DateTime placeholders decode to markers far outside any real time; `$NOW±n` keeps its offset. */
const NOW_MARKER = -(1n << 60n);
const MAX_NOW_OFFSET = 1n << 40n;

export const markingPlaceholders: PlaceholderHook = (text, type) => {
  if (type === 'DateTime' || type === 'DateTimeExtended') {
    const m = /^\$NOW(?:([+-])([0-9]{1,12}))?$/.exec(text);
    if (!m) return undefined;
    const delta = m[2] === undefined ? 0n : BigInt(m[2]);
    return NOW_MARKER + (m[1] === '-' ? -delta : delta);
  }
  // Byte String placeholders keep their name as bytes ("$..." cannot be confused with data the
  // vectors use: none starts with 0x24 followed by an upper-case placeholder name).
  if (type === 'ByteString') return new Uint8Array(Buffer.from(text, 'utf8'));
  if (type === 'Integer' || type === 'Enumeration' || type === 'Interval') return undefined;
  return undefined;
};

/** The `$NOW±n` offset in seconds if `v` is a NOW marker. */
export function nowOffset(v: bigint): bigint | undefined {
  const d = v - NOW_MARKER;
  return d > -MAX_NOW_OFFSET && d < MAX_NOW_OFFSET ? d : undefined;
}

/** The placeholder name if a Byte String holds one. */
export function bytePlaceholder(v: Uint8Array): string | undefined {
  if (v.length < 2 || v.length > 64 || v[0] !== 0x24) return undefined;
  const s = Buffer.from(v).toString('latin1');
  return /^\$[A-Z][A-Z0-9_]*$/.test(s) ? s : undefined;
}

export function textPlaceholder(v: string): string | undefined {
  return /^\$[A-Z][A-Z0-9_]*$/.test(v) ? v : undefined;
}

/**
 * Values that describe the server rather than the case — the Random Number Generator attribute
 * (KMIP 1.4 §3.44, 2.1 §4.48: the generator the server used; the vectors show their server's
 * ANSI X9.31 one) — bound once per run: every case must see the same value.
 */
export class ServerFacts {
  private readonly facts = new Map<string, string>();

  bind(name: string, canonical: string): string | undefined {
    const had = this.facts.get(name);
    if (had === undefined) {
      this.facts.set(name, canonical);
      return undefined;
    }
    return had === canonical ? undefined : `${name} differs from the value the server reported earlier in this run`;
  }
}

export class Bindings {
  constructor(readonly server: ServerFacts = new ServerFacts()) {}

  /** Canonical forms of values the case's client set itself (see compare.ts `clientRngValues`). */
  readonly clientValues = new Set<string>();

  private readonly text = new Map<string, string>();
  private readonly bytes = new Map<string, Uint8Array>();
  /** Values implied by a tag's name (see compare.ts); an explicit placeholder binding wins. */
  private readonly implied = new Map<string, Uint8Array>();
  /** Every output seen under an implied name, in order: `$DATA_0` is the first `$DATA`. */
  private readonly impliedSeq = new Map<string, Uint8Array[]>();

  /**
   * Remembers an output under an implied placeholder name (the latest wins) and as the next in its
   * numbered sequence (CS-BC-M-13-13/-14/-20 print step 1's ciphertext as literal bytes and then
   * send `$DATA_0`); never a consistency check.
   */
  implyBytes(token: string, actual: Uint8Array): void {
    this.implied.set(token, actual);
    const seq = this.impliedSeq.get(token) ?? [];
    seq.push(actual);
    this.impliedSeq.set(token, seq);
  }

  /** Binds `token` on first sight; afterwards checks consistency. Returns an error text or undefined. */
  bindText(token: string, actual: string): string | undefined {
    const had = this.text.get(token);
    if (had === undefined) {
      this.text.set(token, actual);
      return undefined;
    }
    return had === actual ? undefined : `${token} was bound to another value earlier`;
  }

  /** Drops a byte binding (a stream's Correlation Value once a new stream starts). */
  forgetBytes(token: string): void {
    this.bytes.delete(token);
  }

  bindBytes(token: string, actual: Uint8Array): string | undefined {
    const had = this.bytes.get(token);
    if (had === undefined) {
      this.bytes.set(token, actual);
      return undefined;
    }
    return Buffer.from(had).equals(Buffer.from(actual)) ? undefined : `${token} was bound to other bytes earlier`;
  }

  textValue(token: string): string | undefined {
    return this.text.get(token);
  }

  bytesValue(token: string): Uint8Array | undefined {
    return this.bytes.get(token) ?? this.implied.get(token) ?? this.numberedImplied(token);
  }

  /** `$NAME_n`: the n-th output implied under `$NAME`, when nothing bound the numbered token. */
  private numberedImplied(token: string): Uint8Array | undefined {
    const m = /^(\$[A-Z][A-Z0-9_]*)_([0-9]+)$/.exec(token);
    if (!m) return undefined;
    return this.impliedSeq.get(m[1] as string)?.[Number(m[2])];
  }
}
