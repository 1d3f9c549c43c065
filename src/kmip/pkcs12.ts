/**
 * A PKCS#12 (RFC 7292) file holding one private key and its certificate chain, for Get with Key
 * Format Type PKCS#12 (KMIP 1.4 §9.1.3.2.3, 2.1 §11.26; OASIS TC-PKCS12-1-14 / -20).
 *
 * Shape (what OpenSSL 3 writes by default, and reads without its legacy provider):
 * - PFX v3 { authSafe: Data { AuthenticatedSafe } , macData };
 * - AuthenticatedSafe = [ Data { SafeContents [certBag ...] }, Data { SafeContents [pkcs8ShroudedKeyBag] } ];
 * - the key: EncryptedPrivateKeyInfo with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), from node:crypto;
 * - certificates in the clear (they are public), the first one carrying the key's localKeyId;
 * - the MAC: HMAC-SHA256 under a key from the PKCS#12 key derivation (RFC 7292 Appendix B.2, ID 3)
 *   of the password as a BMPString.
 * Bag attributes: localKeyId (SHA-1 of the first certificate, as OpenSSL pairs them) and
 * friendlyName when given.
 */
import { type KeyObject, createHash, createHmac, randomBytes } from 'node:crypto';
import { der, octetString, seq } from './key-math.js';

const ITERATIONS = 2048;

/** DER OBJECT IDENTIFIER from dotted text. */
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const parts = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) parts.unshift((v & 0x7f) | 0x80);
    out.push(...parts);
  }
  return der(0x06, Buffer.from(out));
}

const OID = {
  data: '1.2.840.113549.1.7.1',
  keyBag: '1.2.840.113549.1.12.10.1.2', // pkcs8ShroudedKeyBag
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  localKeyId: '1.2.840.113549.1.9.21',
  friendlyName: '1.2.840.113549.1.9.20',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

const explicit0 = (...c: Uint8Array[]): Buffer => der(0xa0, ...c);
const set = (...c: Uint8Array[]): Buffer => der(0x31, ...c);
const integer = (n: number): Buffer => der(0x02, Buffer.from([n]));
const dataContentInfo = (content: Uint8Array): Buffer => seq(oid(OID.data), explicit0(octetString(content)));

/** A password as a PKCS#12 BMPString: UTF-16BE with a terminating NUL (RFC 7292 Appendix B.1). */
export function bmpPassword(password: Uint8Array): Buffer {
  const s = Buffer.from(password).toString('utf8');
  const out = Buffer.alloc((s.length + 1) * 2);
  for (let i = 0; i < s.length; i++) out.writeUInt16BE(s.charCodeAt(i), i * 2);
  return out;
}

/** Hashes the PKCS#12 key derivation may use: output size u and block size v, in bytes. */
export const KDF_HASHES = {
  sha1: { u: 20, v: 64 },
  sha224: { u: 28, v: 64 },
  sha256: { u: 32, v: 64 },
  sha384: { u: 48, v: 128 },
  sha512: { u: 64, v: 128 },
} as const;
export type Pkcs12KdfHash = keyof typeof KDF_HASHES;

/** Iterations of the PKCS#12 key derivation between two turns of the event loop (a few ms). */
const KDF_SLICE = 1024;

/**
 * The PKCS#12 key derivation (RFC 7292 Appendix B.2), pausing (`yield`) after every KDF_SLICE
 * iterations; {@link pkcs12KdfAsync} runs it.
 */
function* pkcs12KdfSteps(password: Uint8Array, salt: Uint8Array, id: number, iterations: number, size: number, hash: Pkcs12KdfHash): Generator<void, Buffer> {
  const { u, v } = KDF_HASHES[hash];
  const D = Buffer.alloc(v, id);
  const fill = (x: Uint8Array): Buffer => {
    if (x.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(x.length / v));
    for (let i = 0; i < out.length; i++) out[i] = x[i % x.length]!;
    return out;
  };
  const I = Buffer.concat([fill(salt), fill(password)]);
  const out: Buffer[] = [];
  try {
    for (let produced = 0; produced < size; produced += u) {
      let A = createHash(hash).update(D).update(I).digest();
      for (let r = 1; r < iterations; r++) {
        A = createHash(hash).update(A).digest();
        if (r % KDF_SLICE === 0) yield;
      }
      out.push(A);
      const B = fill(A).subarray(0, v);
      // I_j = (I_j + B + 1) mod 2^(8v), for each v-byte block of I.
      for (let j = 0; j < I.length; j += v) {
        let carry = 1;
        for (let k = v - 1; k >= 0; k--) {
          const sum = I[j + k]! + B[k]! + carry;
          I[j + k] = sum & 0xff;
          carry = sum >> 8;
        }
      }
    }
  } finally {
    I.fill(0);
  }
  return Buffer.concat(out).subarray(0, size);
}

/**
 * The PKCS#12 key derivation (RFC 7292 Appendix B.2). `password` is the BMPString form; `id` 1
 * derives a key, 2 an IV, 3 a MAC key. Computed in slices with a turn of the event loop between
 * them, so that other connections are served meanwhile: the counts come from clients' files
 * (100,000 iterations take about half a second here).
 */
export async function pkcs12KdfAsync(password: Uint8Array, salt: Uint8Array, id: number, iterations: number, size: number, hash: Pkcs12KdfHash): Promise<Buffer> {
  const steps = pkcs12KdfSteps(password, salt, id, iterations, size, hash);
  for (;;) {
    const s = steps.next();
    if (s.done === true) return s.value;
    await new Promise<void>((r) => setImmediate(r));
  }
}

export interface Pkcs12Input {
  readonly key: KeyObject;
  /** DER certificates: the key's own first, then its issuers. */
  readonly certificates: readonly Uint8Array[];
  readonly password: Uint8Array;
  readonly friendlyName?: string;
}

/**
 * The DER of a PFX holding the key and certificates (see the module comment). The MAC key's
 * derivation (ITERATIONS rounds, about 10 ms here) runs in slices, leaving the event loop free.
 */
export async function buildPkcs12(input: Pkcs12Input): Promise<Buffer> {
  const pass = Buffer.from(input.password);
  const bmp = bmpPassword(pass);
  try {
    const attrs: Buffer[] = [];
    if (input.certificates.length > 0) {
      attrs.push(seq(oid(OID.localKeyId), set(octetString(createHash('sha1').update(input.certificates[0]!).digest()))));
    }
    if (input.friendlyName !== undefined) {
      const name = Buffer.from(input.friendlyName, 'utf16le').swap16();
      attrs.push(seq(oid(OID.friendlyName), set(der(0x1e, name))));
    }
    const bagAttrs = attrs.length > 0 ? [set(...attrs)] : [];
    const certBags = input.certificates.map((c, i) =>
      seq(oid(OID.certBag), explicit0(seq(oid(OID.x509Certificate), explicit0(octetString(c)))), ...(i === 0 ? bagAttrs : [])),
    );
    const shrouded = input.key.export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: pass });
    const keyBag = seq(oid(OID.keyBag), explicit0(shrouded), ...bagAttrs);
    const contents = [...(certBags.length > 0 ? [dataContentInfo(seq(...certBags))] : []), dataContentInfo(seq(keyBag))];
    const authSafe = seq(...contents);
    const salt = randomBytes(16);
    const macKey = await pkcs12KdfAsync(bmp, salt, 3, ITERATIONS, 32, 'sha256');
    const mac = createHmac('sha256', macKey).update(authSafe).digest();
    macKey.fill(0);
    const macData = seq(seq(seq(oid(OID.sha256), der(0x05)), octetString(mac)), octetString(salt), der(0x02, Buffer.from([ITERATIONS >> 8, ITERATIONS & 0xff])));
    return seq(integer(3), dataContentInfo(authSafe), macData);
  } finally {
    pass.fill(0);
    bmp.fill(0);
  }
}
