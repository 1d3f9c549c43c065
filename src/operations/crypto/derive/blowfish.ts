/**
 * Blowfish (B. Schneier, "Description of a New Variable-Length Key, 64-Bit Block Cipher", FSE
 * 1993), ECB and CBC with optional PKCS#5 padding, for Derive Key's ENCRYPT method with a
 * Blowfish base key (KMIP Cryptographic Algorithm BLOWFISH). Neither SoftHSM2 nor Node's OpenSSL 3
 * (its legacy provider is not loaded) offers Blowfish, so the derivation runs in process, from an
 * extractable base key only (see ../derive-key.ts). Nothing else in kmipd encrypts with it.
 *
 * The initial P-array and S-boxes are the fractional hexadecimal digits of pi, in order (P1..P18,
 * then S1..S4); they are computed once, on first use, with Machin's formula in BigInt fixed point
 * rather than kept as a 4 KB table. Known answers: blowfish.test.ts (Eric Young's test vectors).
 */

const WORDS = 18 + 4 * 256;

let initial: Uint32Array | undefined;

/** arctan(1/x) * 2^bits, by its Taylor series. */
function arctanInv(x: bigint, bits: bigint): bigint {
  const x2 = x * x;
  let term = (1n << bits) / x;
  let sum = term;
  for (let k = 1n; term !== 0n; k++) {
    term /= x2;
    const t = term / (2n * k + 1n);
    sum += k % 2n === 1n ? -t : t;
  }
  return sum;
}

/** The first 1042 32-bit words of pi's fractional part (P-array then S-boxes). */
function piWords(): Uint32Array {
  if (initial !== undefined) return initial;
  const bits = BigInt(WORDS * 32);
  const guard = 64n;
  // pi = 16 arctan(1/5) - 4 arctan(1/239).
  const pi = 16n * arctanInv(5n, bits + guard) - 4n * arctanInv(239n, bits + guard);
  const frac = (pi >> guard) & ((1n << bits) - 1n);
  const hex = frac.toString(16).padStart(WORDS * 8, '0');
  const out = new Uint32Array(WORDS);
  for (let i = 0; i < WORDS; i++) out[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
  initial = out;
  return out;
}

export class Blowfish {
  readonly #p: Uint32Array;
  readonly #s: Uint32Array;

  /** Keys of 4 to 56 bytes (32 to 448 bits). */
  constructor(key: Uint8Array) {
    if (key.length < 4 || key.length > 56) throw new RangeError('Blowfish keys are 4 to 56 bytes');
    const init = piWords();
    this.#p = init.slice(0, 18);
    this.#s = init.slice(18);
    let j = 0;
    for (let i = 0; i < 18; i++) {
      let w = 0;
      for (let k = 0; k < 4; k++) {
        w = ((w << 8) | key[j]!) >>> 0;
        j = (j + 1) % key.length;
      }
      this.#p[i] = (this.#p[i]! ^ w) >>> 0;
    }
    const lr = [0, 0] as [number, number];
    for (let i = 0; i < 18; i += 2) {
      this.#block(lr);
      this.#p[i] = lr[0];
      this.#p[i + 1] = lr[1];
    }
    for (let i = 0; i < 1024; i += 2) {
      this.#block(lr);
      this.#s[i] = lr[0];
      this.#s[i + 1] = lr[1];
    }
  }

  #f(x: number): number {
    const s = this.#s;
    const h = (s[x >>> 24]! + s[256 + ((x >>> 16) & 0xff)]!) >>> 0;
    return ((h ^ s[512 + ((x >>> 8) & 0xff)]!) + s[768 + (x & 0xff)]!) >>> 0;
  }

  /** Encrypts one block in place: [L, R]. */
  #block(lr: [number, number]): void {
    let [l, r] = lr;
    for (let i = 0; i < 16; i++) {
      l = (l ^ this.#p[i]!) >>> 0;
      r = (r ^ this.#f(l)) >>> 0;
      [l, r] = [r, l];
    }
    [l, r] = [r, l];
    r = (r ^ this.#p[16]!) >>> 0;
    l = (l ^ this.#p[17]!) >>> 0;
    lr[0] = l;
    lr[1] = r;
  }

  encryptBlock(block: Uint8Array): Uint8Array {
    const b = Buffer.from(block);
    const lr: [number, number] = [b.readUInt32BE(0), b.readUInt32BE(4)];
    this.#block(lr);
    const out = Buffer.alloc(8);
    out.writeUInt32BE(lr[0], 0);
    out.writeUInt32BE(lr[1], 4);
    return new Uint8Array(out);
  }
}

/**
 * Blowfish encryption in ECB or CBC (8-byte IV), with PKCS#5 padding or none (whole blocks).
 */
export function blowfishEncrypt(key: Uint8Array, mode: 'ECB' | 'CBC', padding: 'none' | 'PKCS5', iv: Uint8Array | undefined, data: Uint8Array): Uint8Array {
  const bf = new Blowfish(key);
  let input: Uint8Array = data;
  if (padding === 'PKCS5') {
    const n = 8 - (data.length % 8);
    input = new Uint8Array(data.length + n);
    input.set(data);
    input.fill(n, data.length);
  } else if (data.length % 8 !== 0) throw new RangeError('data is not whole 8-byte blocks');
  if (mode === 'CBC' && iv?.length !== 8) throw new RangeError('CBC needs an 8-byte IV');
  if (mode === 'ECB' && iv !== undefined) throw new RangeError('ECB takes no IV');
  const out = new Uint8Array(input.length);
  let prev = mode === 'CBC' ? iv! : undefined;
  for (let off = 0; off < input.length; off += 8) {
    const blk = input.slice(off, off + 8);
    if (prev !== undefined) for (let i = 0; i < 8; i++) blk[i]! ^= prev[i]!;
    const c = bf.encryptBlock(blk);
    out.set(c, off);
    if (mode === 'CBC') prev = c;
  }
  return out;
}
