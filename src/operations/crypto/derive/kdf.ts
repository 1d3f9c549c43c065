/**
 * Key derivation functions Derive Key runs in the server process (KMIP 1.4 §4.6, 2.1 §6.1.15),
 * for the methods SoftHSM2 2.6 has no mechanism for (PBKDF2, HKDF, hashing a key's value): they
 * get the base object's value only when it is extractable (see ../derive-key.ts). The HMAC-based
 * ones take a `Prf`, so that with a base key held by the HSM the HMAC runs in the HSM (C_Sign)
 * and the base key never leaves it.
 *
 * Known-answer tests: derive/kdf.test.ts (RFC 6070 PBKDF2-HMAC-SHA1, RFC 5869 HKDF, NIST SP
 * 800-108 counter mode as PyKMIP's interop vector, feedback and double-pipeline modes from the
 * NIST CAVP KBKDF files).
 */
import { createHash, createHmac, pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { HASH_LENGTHS, type HashAlgorithm } from '../../../crypto/cipher.js';

const pbkdf2Async = promisify(pbkdf2);

/** node:crypto digest names. */
const NODE_HASH: Readonly<Record<HashAlgorithm, string>> = {
  'SHA-1': 'sha1',
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/** HMAC keyed with the base object: HMAC(base, data). */
export type Prf = (data: Uint8Array) => Promise<Uint8Array>;

/** A PRF keyed with `key` bytes, in process. */
export function hmacPrf(hash: HashAlgorithm, key: Uint8Array): Prf {
  return (data) => Promise.resolve(copyAndZero(createHmac(NODE_HASH[hash], key).update(data).digest()));
}

/** A fresh copy of a node:crypto output, which is then zeroed (it may sit in Node's buffer pool). */
function copyAndZero(b: Buffer): Uint8Array {
  const out = Uint8Array.from(b);
  b.fill(0);
  return out;
}

export function digest(hash: HashAlgorithm, data: Uint8Array): Uint8Array {
  return copyAndZero(createHash(NODE_HASH[hash]).update(data).digest());
}

/** PBKDF2 (RFC 8018 §5.2) with HMAC-`hash`; runs on libuv's thread pool. */
export async function pbkdf2Derive(hash: HashAlgorithm, password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Promise<Uint8Array> {
  return copyAndZero(await pbkdf2Async(password, salt, iterations, length, NODE_HASH[hash]));
}

/**
 * HKDF (RFC 5869): PRK = HMAC(salt, IKM) (salt absent: HashLen zero bytes, §2.2), then
 * T(i) = HMAC(PRK, T(i-1) | info | i). `length` at most 255 * HashLen.
 */
export function hkdf(hash: HashAlgorithm, ikm: Uint8Array, salt: Uint8Array | undefined, info: Uint8Array, length: number): Uint8Array {
  const hl = HASH_LENGTHS[hash];
  if (length > 255 * hl) throw new RangeError('HKDF output is at most 255 hash lengths');
  const prk = createHmac(NODE_HASH[hash], salt ?? new Uint8Array(hl)).update(ikm).digest();
  const out = Buffer.alloc(Math.ceil(length / hl) * hl);
  let t: Buffer = Buffer.alloc(0);
  try {
    for (let i = 1; i * hl <= out.length; i++) {
      const next = createHmac(NODE_HASH[hash], prk).update(t).update(info).update(Uint8Array.of(i)).digest();
      t.fill(0);
      t = next;
      t.copy(out, (i - 1) * hl);
    }
    return Uint8Array.from(out.subarray(0, length));
  } finally {
    t.fill(0);
    prk.fill(0);
    out.fill(0);
  }
}

/**
 * NIST SP 800-108 KDF in counter mode with an HMAC PRF: K(i) = PRF(K_I, [i]_32 || Fixed Input
 * Data), i = 1..n, the counter a 32-bit big-endian integer before the fixed data (the layout
 * PyKMIP's server and the NIST CAVP "BEFORE_FIXED, RLEN 32" vectors use); the Derivation Data is
 * the fixed input data, so any Label / Context / [L] encoding is the client's.
 */
export async function kbkdfCounter(prf: Prf, hashLength: number, fixed: Uint8Array, length: number): Promise<Uint8Array> {
  const n = Math.ceil(length / hashLength);
  const out = Buffer.alloc(n * hashLength);
  const input = Buffer.alloc(4 + fixed.length);
  Buffer.from(fixed).copy(input, 4);
  try {
    for (let i = 1; i <= n; i++) {
      input.writeUInt32BE(i, 0);
      const k = await prf(input);
      out.set(k, (i - 1) * hashLength);
      k.fill(0);
    }
    return Uint8Array.from(out.subarray(0, length));
  } finally {
    out.fill(0);
  }
}

/** Runs `block` for blocks 1..n and returns the first `length` bytes; each block's output is zeroed once copied. */
async function kbkdfBlocks(hashLength: number, length: number, block: (i: number) => Promise<Uint8Array>): Promise<Uint8Array> {
  const n = Math.ceil(length / hashLength);
  const out = Buffer.alloc(n * hashLength);
  try {
    for (let i = 1; i <= n; i++) {
      const k = await block(i);
      out.set(k, (i - 1) * hashLength);
      k.fill(0);
    }
    return Uint8Array.from(out.subarray(0, length));
  } finally {
    out.fill(0);
  }
}

const counter32 = (i: number): Buffer => {
  const c = Buffer.alloc(4);
  c.writeUInt32BE(i, 0);
  return c;
};

/**
 * NIST SP 800-108 §5.2 feedback mode with an HMAC PRF: K(0) = IV (may be empty), K(i) =
 * PRF(K_I, K(i-1) || [i]_32 || Fixed Input Data), the counter after the iteration variable as in
 * the §5.2 formula (NIST CAVP KDFFeedback "AFTER_ITER, RLEN 32"). KMIP carries the IV as the
 * Derivation Parameters' Initialization Vector and the fixed input as the Derivation Data.
 */
export async function kbkdfFeedback(prf: Prf, hashLength: number, iv: Uint8Array, fixed: Uint8Array, length: number): Promise<Uint8Array> {
  let prev: Uint8Array = Uint8Array.from(iv);
  try {
    return await kbkdfBlocks(hashLength, length, async (i) => {
      const input = Buffer.concat([prev, counter32(i), fixed]);
      const k = await prf(input);
      input.fill(0);
      prev.fill(0);
      prev = k;
      return Uint8Array.from(k);
    });
  } finally {
    prev.fill(0);
  }
}

/**
 * NIST SP 800-108 §5.3 double-pipeline iteration mode with an HMAC PRF: A(0) = Fixed Input Data,
 * A(i) = PRF(K_I, A(i-1)), K(i) = PRF(K_I, A(i) || [i]_32 || Fixed Input Data) (NIST CAVP
 * KDFDblPipeline "AFTER_ITER, RLEN 32").
 */
export async function kbkdfDoublePipeline(prf: Prf, hashLength: number, fixed: Uint8Array, length: number): Promise<Uint8Array> {
  let a: Uint8Array = Uint8Array.from(fixed);
  try {
    return await kbkdfBlocks(hashLength, length, async (i) => {
      const next = await prf(a);
      a.fill(0);
      a = next;
      const input = Buffer.concat([a, counter32(i), fixed]);
      const k = await prf(input);
      input.fill(0);
      return k;
    });
  } finally {
    a.fill(0);
  }
}
