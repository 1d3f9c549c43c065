/**
 * Small pieces of arithmetic and DER that the key format conversions (key-formats.ts) need and
 * node:crypto does not offer: unsigned big-endian integers <-> bigint, a DER writer for the few
 * structures built by hand (SubjectPublicKeyInfo with a chosen EC point form, RFC 8410 keys), and
 * completing an RSA private key from partial Transparent RSA Private Key fields (RFC 8017 §3.2).
 */

/** Unsigned big-endian bytes -> bigint. */
export function toBigInt(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`);
}

/** bigint (>= 0) -> unsigned big-endian bytes, left-padded to `size` bytes when given. */
export function fromBigInt(n: bigint, size?: number): Buffer {
  if (n < 0n) throw new RangeError('negative');
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const b = Buffer.from(n === 0n ? '' : hex, 'hex');
  if (size === undefined || b.length === size) return b.length === 0 ? Buffer.from([0]) : b;
  if (b.length > size) throw new RangeError('too long');
  return Buffer.concat([Buffer.alloc(size - b.length), b]);
}

/** One DER element: tag, definite length, contents (X.690 §8.1). */
export function der(tag: number, ...contents: Uint8Array[]): Buffer {
  const body = Buffer.concat(contents);
  const n = body.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else if (n < 0x100) len = Buffer.from([0x81, n]);
  else if (n < 0x10000) len = Buffer.from([0x82, n >> 8, n & 0xff]);
  else throw new RangeError('DER element too long');
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

/** DER SEQUENCE / BIT STRING (no unused bits) / OCTET STRING. */
export const seq = (...c: Uint8Array[]): Buffer => der(0x30, ...c);
export const bitString = (b: Uint8Array): Buffer => der(0x03, Buffer.from([0]), b);
export const octetString = (b: Uint8Array): Buffer => der(0x04, b);

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let r = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return r;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** a^-1 mod m, or undefined when they are not coprime. */
export function modInverse(a: bigint, m: bigint): bigint | undefined {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return r0 === 1n ? ((s0 % m) + m) % m : undefined;
}

/** The primes of n from (n, e, d): RFC 8017 leaves it to NIST SP 800-56B Appendix C. */
function factorFromExponents(n: bigint, e: bigint, d: bigint): [bigint, bigint] | undefined {
  const k = d * e - 1n;
  if (k <= 0n || k % 2n) return undefined;
  let r = k;
  let t = 0;
  while (r % 2n === 0n) {
    r /= 2n;
    t++;
  }
  // For a consistent (n, e, d) each base succeeds with probability >= 1/2; 64 bases leave 2^-64.
  for (let g = 2n; g < 66n; g++) {
    let y = modPow(g, r, n);
    if (y === 1n || y === n - 1n) continue;
    for (let i = 1; i <= t; i++) {
      const x = (y * y) % n;
      if (x === 1n) {
        const p = gcd(y - 1n, n);
        if (p > 1n && p < n) return [p, n / p];
        return undefined;
      }
      if (x === n - 1n) break;
      y = x;
    }
  }
  return undefined;
}

/** Largest RSA modulus read from Transparent keys: bounds the big-integer work a request can cause. */
export const MAX_RSA_BITS = 8192;

export interface RsaPrivateParts {
  readonly n: bigint;
  readonly e: bigint;
  readonly d: bigint;
  readonly p: bigint;
  readonly q: bigint;
  readonly dp: bigint;
  readonly dq: bigint;
  readonly qi: bigint;
}

/**
 * A full RSA private key (RFC 8017 §3.2 second representation) from what a Transparent RSA
 * Private Key gives: n and e, plus d or the primes; missing CRT values are computed. Undefined
 * when the values are inconsistent or too few.
 */
export function completeRsaPrivate(f: {
  n?: bigint;
  e?: bigint;
  d?: bigint;
  p?: bigint;
  q?: bigint;
  dp?: bigint;
  dq?: bigint;
  qi?: bigint;
}): RsaPrivateParts | undefined {
  const { n, e } = f;
  if (n === undefined || e === undefined || n < 3n || e < 3n || n.toString(2).length > MAX_RSA_BITS) return undefined;
  let { p, q, d } = f;
  if (p === undefined && q !== undefined) p = n % q === 0n ? n / q : undefined;
  if (q === undefined && p !== undefined) q = n % p === 0n ? n / p : undefined;
  if (p === undefined || q === undefined) {
    // Only n, e, d: d must invert e (m^(ed) = m mod n), checked with one exponentiation before
    // factoring, so inconsistent values cost no more than that. Bounded to 4096-bit moduli.
    if (d === undefined || n.toString(2).length > 4096 || modPow(modPow(2n, e, n), d, n) !== 2n) return undefined;
    const pq = factorFromExponents(n, e, d);
    if (pq === undefined) return undefined;
    [p, q] = pq;
  }
  if (p * q !== n || p < 2n || q < 2n) return undefined;
  // e d = 1 mod lcm(p-1, q-1) (RFC 8017 §3.2), whether d was given modulo lambda(n) or phi(n).
  const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
  if (d === undefined) {
    d = modInverse(e, lambda);
    if (d === undefined) return undefined;
  } else if ((e * d) % lambda !== 1n) return undefined;
  const qi = f.qi ?? modInverse(q, p);
  if (qi === undefined) return undefined;
  return { n, e, d, p, q, dp: f.dp ?? d % (p - 1n), dq: f.dq ?? d % (q - 1n), qi };
}

/** One DER element read at `off`: its tag and where its contents start and end (definite lengths only). */
export function readDer(b: Uint8Array, off: number): { tag: number; start: number; end: number } {
  const tag = b[off];
  let len = b[off + 1];
  if (tag === undefined || len === undefined) throw new RangeError('truncated DER');
  let start = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3) throw new RangeError('unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[start + i] ?? 0);
    start += n;
  }
  const end = start + len;
  if (end > b.length) throw new RangeError('truncated DER');
  return { tag, start, end };
}
