/**
 * Secret sharing for Create Split Key / Join Split Key (KMIP 1.4 §4.38-4.39, 2.1 §6.1.14 and
 * §6.1.27; Split Key Method 2.1 §11.52):
 * - XOR: n parts, all needed; n-1 random, the last the secret XOR them all.
 * - Polynomial Sharing GF(2^8): Shamir's scheme byte by byte over GF(2^8) with the reduction
 *   polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D); part i is f(i), i = Key Part Identifier,
 *   f(0) the secret byte. The OASIS vectors use this field (TC-SJ-3-20: parts 1 and 3 of
 *   0102...0f10 join back to it; under the AES polynomial 0x11B they do not).
 * - Polynomial Sharing Prime Field: Shamir over Z_p, p the Prime Field Size; the secret is the
 *   big-endian integer of the key bytes (which must be below p), each part f(i) mod p as a
 *   big-endian byte string as long as p.
 * Randomness comes from the caller (the HSM's RNG).
 */

export type Random = (length: number) => Promise<Uint8Array>;

export interface Share {
  /** Key Part Identifier, 1..n (the x coordinate). */
  readonly x: number;
  readonly y: Uint8Array;
}

// GF(2^8) log / antilog tables for 0x11D, generator 2.
const EXP = new Uint8Array(510);
const LOG = new Uint8Array(256);
{
  let v = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = v;
    LOG[v] = i;
    v <<= 1;
    if (v & 0x100) v ^= 0x11d;
  }
  for (let i = 255; i < 510; i++) EXP[i] = EXP[i - 255]!;
}

export function gfMul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!;
}

function gfDiv(a: number, b: number): number {
  if (b === 0) throw new RangeError('division by zero in GF(2^8)');
  return a === 0 ? 0 : EXP[LOG[a]! + 255 - LOG[b]!]!;
}

export async function splitXor(secret: Uint8Array, parts: number, random: Random): Promise<Share[]> {
  const out: Share[] = [];
  const last = Uint8Array.from(secret);
  for (let i = 1; i < parts; i++) {
    const r = await random(secret.length);
    for (let j = 0; j < last.length; j++) last[j]! ^= r[j]!;
    out.push({ x: i, y: r });
  }
  out.push({ x: parts, y: last });
  return out;
}

export function joinXor(shares: readonly Share[]): Uint8Array {
  const out = new Uint8Array(shares[0]!.y.length);
  for (const s of shares) for (let j = 0; j < out.length; j++) out[j]! ^= s.y[j]!;
  return out;
}

export async function splitGf256(secret: Uint8Array, parts: number, threshold: number, random: Random): Promise<Share[]> {
  if (parts > 255) throw new RangeError('GF(2^8) sharing has at most 255 parts');
  // coeffs[k][j]: coefficient of x^k for byte j; coeffs[0] is the secret.
  const coeffs: Uint8Array[] = [secret];
  for (let k = 1; k < threshold; k++) coeffs.push(await random(secret.length));
  const out: Share[] = [];
  for (let x = 1; x <= parts; x++) {
    const y = new Uint8Array(secret.length);
    for (let j = 0; j < secret.length; j++) {
      // Horner's rule.
      let acc = 0;
      for (let k = threshold - 1; k >= 0; k--) acc = gfMul(acc, x) ^ coeffs[k]![j]!;
      y[j] = acc;
    }
    out.push({ x, y });
  }
  for (let k = 1; k < coeffs.length; k++) coeffs[k]!.fill(0);
  return out;
}

/** Lagrange interpolation at 0 over GF(2^8) (addition and subtraction are XOR). */
export function joinGf256(shares: readonly Share[]): Uint8Array {
  const len = shares[0]!.y.length;
  const out = new Uint8Array(len);
  for (const s of shares) {
    let num = 1;
    let den = 1;
    for (const o of shares) {
      if (o.x === s.x) continue;
      num = gfMul(num, o.x);
      den = gfMul(den, o.x ^ s.x);
    }
    const l = gfDiv(num, den);
    for (let j = 0; j < len; j++) out[j]! ^= gfMul(s.y[j]!, l);
  }
  return out;
}

const toBig = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`));

function toBytes(n: bigint, length: number): Uint8Array {
  const hex = n.toString(16).padStart(length * 2, '0');
  if (hex.length > length * 2) throw new RangeError('value does not fit');
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

const mod = (a: bigint, p: bigint): bigint => ((a % p) + p) % p;

function modPow(b: bigint, e: bigint, p: bigint): bigint {
  let r = 1n;
  let x = mod(b, p);
  while (e > 0n) {
    if (e & 1n) r = (r * x) % p;
    x = (x * x) % p;
    e >>= 1n;
  }
  return r;
}

/** a^-1 mod p by the extended Euclidean algorithm; RangeError when gcd(a, p) != 1. */
function modInverse(a: bigint, p: bigint): bigint {
  let [r0, r1] = [mod(a, p), p];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new RangeError('not invertible');
  return mod(s0, p);
}

/**
 * Miller-Rabin with the first twelve primes as bases: deterministic below 3.3 * 10^24, and for
 * larger moduli a composite passes with probability at most 4^-12 (a check against a mistyped
 * Prime Field Size, not against an adversary, who only harms their own split).
 */
export function isProbablePrime(n: bigint): boolean {
  const bases = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n];
  if (n < 2n) return false;
  for (const b of bases) if (n % b === 0n) return n === b;
  let d = n - 1n;
  let r = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    r++;
  }
  for (const a of bases) {
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let witness = true;
    for (let i = 1; i < r && witness; i++) {
      x = (x * x) % n;
      if (x === n - 1n) witness = false;
    }
    if (witness) return false;
  }
  return true;
}

/** Byte length of a prime field element. */
export const primeBytes = (p: bigint): number => Math.ceil(p.toString(16).length / 2);

export async function splitPrime(secret: Uint8Array, p: bigint, parts: number, threshold: number, random: Random): Promise<Share[]> {
  const s = toBig(secret);
  if (s >= p) throw new RangeError('the key is not below the prime');
  if (BigInt(parts) >= p) throw new RangeError('too many parts for the prime');
  const width = primeBytes(p);
  const coeffs: bigint[] = [s];
  // 64 extra bits make the bias of the reduction mod p negligible.
  for (let k = 1; k < threshold; k++) coeffs.push(toBig(await random(width + 8)) % p);
  const out: Share[] = [];
  for (let x = 1; x <= parts; x++) {
    let acc = 0n;
    for (let k = threshold - 1; k >= 0; k--) acc = (acc * BigInt(x) + coeffs[k]!) % p;
    out.push({ x, y: toBytes(acc, width) });
  }
  return out;
}

/** Lagrange interpolation at 0 mod p; the result as `length` bytes (RangeError if it does not fit). */
export function joinPrime(shares: readonly Share[], p: bigint, length: number): Uint8Array {
  let s = 0n;
  for (const a of shares) {
    let num = 1n;
    let den = 1n;
    for (const b of shares) {
      if (b.x === a.x) continue;
      num = mod(num * -BigInt(b.x), p);
      den = mod(den * BigInt(a.x - b.x), p);
    }
    s = mod(s + toBig(a.y) * num * modInverse(den, p), p);
  }
  return toBytes(s, length);
}
