/**
 * Reading a PKCS#12 (RFC 7292) file a client registers as a Private Key (KMIP 1.4 §9.1.3.2.3,
 * 2.1 §11.26; OASIS TC-PKCS12-2-14 / -20): the private key and the certificates it carries, under
 * the password its PKCS#12 Password Link names. The inverse of pkcs12.ts's writer.
 *
 * What is read (password-integrity mode, the only one in use):
 * - PFX v3 { authSafe: Data { AuthenticatedSafe }, macData }; the MAC (HMAC-SHA-1/224/256/384/512
 *   under the PKCS#12 KDF's ID 3 key) must verify before anything is decrypted;
 * - AuthenticatedSafe = ContentInfo*, each Data { SafeContents } or EncryptedData { SafeContents };
 * - bags: keyBag, pkcs8ShroudedKeyBag (exactly one key in all), certBag with an X.509 certificate;
 *   CRL and secret bags are ignored; nested safeContentsBag is refused;
 * - encryption: PBES2 (PBKDF2 with HMAC-SHA-1/224/256/384/512, AES-128/192/256-CBC), and the
 *   PKCS#12 PBE schemes with two- and three-key Triple DES (SHA-1). The RC2 and RC4 schemes need
 *   OpenSSL's legacy provider, which kmipd does not load: they are refused as unsupported.
 *
 * Bounded work: every iteration count is checked against MAX_ITERATIONS, and the file's total
 * against MAX_TOTAL_WORK, before the key derivation that uses it runs (a file could otherwise ask
 * for billions), the derivations leave the event loop free meanwhile, and at most
 * MAX_CERTIFICATES certificates are taken. Only definite-length DER is accepted.
 *
 * Errors are Pkcs12Error with a reason that never contains key bytes or the password.
 */
import { type KeyObject, X509Certificate, createDecipheriv, createHmac, createPrivateKey, createPublicKey, pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { readDer } from './key-math.js';
import { KDF_HASHES, type Pkcs12KdfHash, bmpPassword, pkcs12KdfAsync } from './pkcs12.js';

const pbkdf2Async = promisify(pbkdf2);

/** Highest iteration count honoured (OpenSSL writes 2048, Java 10,000, recent .NET 2,000). */
export const MAX_ITERATIONS = 100_000;
/**
 * Most key-derivation work in one file: iterations times output blocks, summed over its MAC and
 * every encrypted part. A file at MAX_ITERATIONS with Triple DES for its certificates and its key
 * needs 700,000; without a total, a file with many encrypted parts could ask for any amount.
 */
export const MAX_TOTAL_WORK = 1_000_000;
/** Most certificates taken from one file. */
export const MAX_CERTIFICATES = 10;

/** Why a PKCS#12 could not be read. `unsupported`: well formed, but a scheme kmipd does not do. */
export class Pkcs12Error extends Error {
  constructor(
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
    this.name = 'Pkcs12Error';
  }
}

export interface OpenedPkcs12 {
  readonly key: KeyObject;
  /** The key bag's friendlyName, if it has one. */
  readonly keyFriendlyName?: string;
  /** Certificates: the key's own first (when present), then the others in file order. */
  readonly certificates: readonly Pkcs12Certificate[];
}

export interface Pkcs12Certificate {
  readonly der: Buffer;
  /** The certificate bag's friendlyName, if it has one. */
  readonly friendlyName?: string;
}

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  crlBag: '1.2.840.113549.1.12.10.1.4',
  secretBag: '1.2.840.113549.1.12.10.1.5',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
} as const;

const DIGESTS: Readonly<Record<string, Pkcs12KdfHash>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const HMACS: Readonly<Record<string, Pkcs12KdfHash>> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

const AES_CBC: Readonly<Record<string, { cipher: string; keyLength: number }>> = {
  '2.16.840.1.101.3.4.1.2': { cipher: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { cipher: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { cipher: 'aes-256-cbc', keyLength: 32 },
};

/** PKCS#12 PBE schemes (RFC 7292 Appendix C), SHA-1 based. */
const PKCS12_PBE: Readonly<Record<string, { cipher: string; keyLength: number; ivLength: number } | undefined>> = {
  '1.2.840.113549.1.12.1.3': { cipher: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
  '1.2.840.113549.1.12.1.4': { cipher: 'des-ede-cbc', keyLength: 16, ivLength: 8 },
  // RC4 (.1, .2) and RC2 (.5, .6) need OpenSSL's legacy provider.
  '1.2.840.113549.1.12.1.1': undefined,
  '1.2.840.113549.1.12.1.2': undefined,
  '1.2.840.113549.1.12.1.5': undefined,
  '1.2.840.113549.1.12.1.6': undefined,
};

/** One DER element: tag and contents. */
interface El {
  readonly tag: number;
  readonly body: Buffer;
  /** The whole element, header included. */
  readonly raw: Buffer;
}

function element(b: Buffer, off = 0): El {
  let r: ReturnType<typeof readDer>;
  try {
    r = readDer(b, off);
  } catch {
    throw new Pkcs12Error('malformed DER');
  }
  return { tag: r.tag, body: b.subarray(r.start, r.end), raw: b.subarray(off, r.end) };
}

/** The single element `b` holds, with nothing after it. */
function only(b: Buffer): El {
  const e = element(b);
  if (e.raw.length !== b.length) throw new Pkcs12Error('trailing bytes after a DER element');
  return e;
}

/** The elements inside a constructed element. */
function children(e: El): El[] {
  if ((e.tag & 0x20) === 0) throw new Pkcs12Error('expected a constructed DER element');
  const out: El[] = [];
  for (let off = 0; off < e.body.length; ) {
    const c = element(e.body, off);
    out.push(c);
    off += c.raw.length;
  }
  return out;
}

function expectTag(e: El | undefined, tag: number, what: string): El {
  if (e === undefined || e.tag !== tag) throw new Pkcs12Error(`${what}: unexpected DER structure`);
  return e;
}

const seqOf = (e: El | undefined, what: string): El[] => children(expectTag(e, 0x30, what));

function oidText(e: El | undefined, what: string): string {
  const b = expectTag(e, 0x06, what).body;
  if (b.length === 0) throw new Pkcs12Error(`${what}: empty OBJECT IDENTIFIER`);
  const parts: number[] = [];
  let n = 0;
  for (const byte of b) {
    n = n * 128 + (byte & 0x7f);
    if (n > Number.MAX_SAFE_INTEGER / 256) throw new Pkcs12Error(`${what}: OBJECT IDENTIFIER arc too large`);
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) parts.push(n < 80 ? Math.floor(n / 40) : 2, n < 80 ? n % 40 : n - 80);
      else parts.push(n);
      n = 0;
    }
  }
  return parts.join('.');
}

function smallInt(e: El | undefined, what: string): number {
  const b = expectTag(e, 0x02, what).body;
  if (b.length === 0 || b.length > 6 || (b[0]! & 0x80) !== 0) throw new Pkcs12Error(`${what}: not a small non-negative INTEGER`);
  let n = 0;
  for (const byte of b) n = n * 256 + byte;
  return n;
}

function iterations(e: El | undefined, what: string): number {
  const n = smallInt(e, what);
  if (n < 1) throw new Pkcs12Error(`${what}: iteration count below 1`);
  if (n > MAX_ITERATIONS) throw new Pkcs12Error(`${what}: iteration count ${n} is above the limit of ${MAX_ITERATIONS}`, true);
  return n;
}

/** The contents of `[0] EXPLICIT OCTET STRING`, as a ContentInfo of type data carries. */
function explicitOctets(e: El | undefined, what: string): Buffer {
  const inner = children(expectTag(e, 0xa0, what));
  if (inner.length !== 1) throw new Pkcs12Error(`${what}: unexpected DER structure`);
  return expectTag(inner[0], 0x04, what).body;
}

/** The friendlyName among a SafeBag's attributes (a BMPString), if any. */
function friendlyName(attributes: El | undefined): string | undefined {
  if (attributes === undefined) return undefined;
  for (const a of children(expectTag(attributes, 0x31, 'SafeBag attributes'))) {
    const [id, values] = seqOf(a, 'SafeBag attribute');
    if (oidText(id, 'SafeBag attribute') !== OID.friendlyName) continue;
    const v = children(expectTag(values, 0x31, 'friendlyName'))[0];
    const b = expectTag(v, 0x1e, 'friendlyName').body;
    if (b.length % 2 !== 0) throw new Pkcs12Error('friendlyName: odd-length BMPString');
    return Buffer.from(b).swap16().toString('utf16le');
  }
  return undefined;
}

/** What is left of a file's key-derivation work (MAX_TOTAL_WORK). */
class WorkBudget {
  constructor(private left: number) {}

  /** Takes `iterations` times `blocks` before a derivation runs; refuses the file past the total. */
  spend(iterations: number, blocks: number, what: string): void {
    this.left -= iterations * blocks;
    if (this.left < 0) throw new Pkcs12Error(`${what}: the file asks for more key-derivation work than the limit of ${MAX_TOTAL_WORK_TEXT}`, true);
  }
}

const MAX_TOTAL_WORK_TEXT = MAX_TOTAL_WORK.toLocaleString('en-US');

/** Decrypts with a PBES2 or PKCS#12 PBE AlgorithmIdentifier. */
async function decrypt(algorithm: El | undefined, ciphertext: Buffer, password: Uint8Array, what: string, budget: WorkBudget): Promise<Buffer> {
  const [oid, params] = seqOf(algorithm, what);
  const scheme = oidText(oid, what);
  let cipher: string;
  let key: Buffer;
  let iv: Buffer;
  if (scheme === OID.pbes2) {
    const [kdf, enc] = seqOf(params, what);
    const [kdfOid, kdfParams] = seqOf(kdf, what);
    if (oidText(kdfOid, what) !== OID.pbkdf2) throw new Pkcs12Error(`${what}: key derivation other than PBKDF2`, true);
    const p = seqOf(kdfParams, what);
    const salt = expectTag(p[0], 0x04, what).body;
    const count = iterations(p[1], what);
    let i = 2;
    let keyLength: number | undefined;
    if (p[i]?.tag === 0x02) keyLength = smallInt(p[i++], what);
    let prf: Pkcs12KdfHash = 'sha1';
    if (p[i] !== undefined) {
      const [prfOid] = seqOf(p[i], what);
      const h = HMACS[oidText(prfOid, what)];
      if (h === undefined) throw new Pkcs12Error(`${what}: PBKDF2 pseudo-random function not supported`, true);
      prf = h;
    }
    const [encOid, encIv] = seqOf(enc, what);
    const aes = AES_CBC[oidText(encOid, what)];
    if (aes === undefined) throw new Pkcs12Error(`${what}: PBES2 cipher not supported`, true);
    if (keyLength !== undefined && keyLength !== aes.keyLength) throw new Pkcs12Error(`${what}: PBKDF2 key length does not fit the cipher`);
    iv = expectTag(encIv, 0x04, what).body;
    if (iv.length !== 16) throw new Pkcs12Error(`${what}: AES-CBC IV must be 16 bytes`);
    budget.spend(count, Math.ceil(aes.keyLength / KDF_HASHES[prf].u), what);
    // PBES2 in PKCS#12 takes the password's bytes as they are (UTF-8), not the BMPString. On the
    // thread pool: at most a tenth of a second at MAX_ITERATIONS.
    key = await pbkdf2Async(password, salt, count, aes.keyLength, prf);
    cipher = aes.cipher;
  } else if (scheme in PKCS12_PBE) {
    const pbe = PKCS12_PBE[scheme];
    if (pbe === undefined) throw new Pkcs12Error(`${what}: RC2 and RC4 encryption are not supported (OpenSSL legacy algorithms)`, true);
    const p = seqOf(params, what);
    const salt = expectTag(p[0], 0x04, what).body;
    const count = iterations(p[1], what);
    budget.spend(count, Math.ceil(pbe.keyLength / KDF_HASHES.sha1.u) + Math.ceil(pbe.ivLength / KDF_HASHES.sha1.u), what);
    const bmp = bmpPassword(password);
    try {
      key = await pkcs12KdfAsync(bmp, salt, 1, count, pbe.keyLength, 'sha1');
      iv = await pkcs12KdfAsync(bmp, salt, 2, count, pbe.ivLength, 'sha1');
    } finally {
      bmp.fill(0);
    }
    cipher = pbe.cipher;
  } else {
    throw new Pkcs12Error(`${what}: encryption scheme ${scheme} not supported`, true);
  }
  try {
    const d = createDecipheriv(cipher, key, iv);
    return Buffer.concat([d.update(ciphertext), d.final()]);
  } catch {
    // A bad password never gets here (the MAC is checked first), so this is a damaged file.
    throw new Pkcs12Error(`${what}: decryption failed`);
  } finally {
    key.fill(0);
  }
}

/** Checks the PFX's MAC over the AuthenticatedSafe. */
async function checkMac(macData: El | undefined, authSafe: Buffer, password: Uint8Array, budget: WorkBudget): Promise<void> {
  if (macData === undefined) throw new Pkcs12Error('the PKCS#12 has no MAC (public-key integrity mode is not supported)', true);
  const m = seqOf(macData, 'MAC');
  const [digestAlg, digest] = seqOf(m[0], 'MAC');
  const [digestOid] = seqOf(digestAlg, 'MAC');
  const hash = DIGESTS[oidText(digestOid, 'MAC')];
  if (hash === undefined) throw new Pkcs12Error('MAC: digest algorithm not supported', true);
  const expected = expectTag(digest, 0x04, 'MAC').body;
  const salt = expectTag(m[1], 0x04, 'MAC').body;
  const count = m[2] === undefined ? 1 : iterations(m[2], 'MAC');
  budget.spend(count, 1, 'MAC');
  const bmp = bmpPassword(password);
  // The MAC key is one hash output long (RFC 7292 Appendix B.2: u bits).
  let macKey: Buffer;
  try {
    macKey = await pkcs12KdfAsync(bmp, salt, 3, count, KDF_HASHES[hash].u, hash);
  } finally {
    bmp.fill(0);
  }
  const actual = createHmac(hash, macKey).update(authSafe).digest();
  macKey.fill(0);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new Pkcs12Error('the PKCS#12 MAC does not verify (wrong password, or a damaged file)');
  }
}

/**
 * Reads the key and certificates of a password-protected PKCS#12 (see the module comment). The key
 * derivations run in slices or on the thread pool, so the event loop keeps serving meanwhile;
 * `maxWork` (tests) lowers MAX_TOTAL_WORK.
 */
export async function readPkcs12(pfx: Uint8Array, password: Uint8Array, maxWork = MAX_TOTAL_WORK): Promise<OpenedPkcs12> {
  const budget = new WorkBudget(Math.min(maxWork, MAX_TOTAL_WORK));
  const top = seqOf(only(Buffer.from(pfx.buffer, pfx.byteOffset, pfx.length)), 'PFX');
  if (smallInt(top[0], 'PFX version') !== 3) throw new Pkcs12Error('PFX version is not 3');
  const [authType, authContent] = seqOf(top[1], 'PFX authSafe');
  if (oidText(authType, 'PFX authSafe') !== OID.data) throw new Pkcs12Error('PFX authSafe is not Data (public-key integrity mode is not supported)', true);
  const authSafe = explicitOctets(authContent, 'PFX authSafe');
  await checkMac(top[2], authSafe, password, budget);
  if (top.length > 3) throw new Pkcs12Error('PFX: unexpected DER structure');

  const keys: Buffer[] = [];
  let keyFriendlyName: string | undefined;
  const certificates: Pkcs12Certificate[] = [];
  for (const info of seqOf(only(authSafe), 'AuthenticatedSafe')) {
    const [type, content] = seqOf(info, 'ContentInfo');
    const t = oidText(type, 'ContentInfo');
    let safe: Buffer;
    if (t === OID.data) {
      safe = explicitOctets(content, 'ContentInfo');
    } else if (t === OID.encryptedData) {
      const wrapped = children(expectTag(content, 0xa0, 'EncryptedData'));
      const [, encrypted] = seqOf(wrapped[0], 'EncryptedData');
      const [contentType, algorithm, ciphertext] = seqOf(encrypted, 'EncryptedData');
      if (oidText(contentType, 'EncryptedData') !== OID.data) throw new Pkcs12Error('EncryptedData does not hold Data');
      safe = await decrypt(algorithm, expectTag(ciphertext, 0x80, 'EncryptedData').body, password, 'EncryptedData', budget);
    } else {
      throw new Pkcs12Error('ContentInfo of a type other than Data or EncryptedData (enveloped data is not supported)', true);
    }
    for (const bag of seqOf(only(safe), 'SafeContents')) {
      const [bagId, bagValue, bagAttributes] = seqOf(bag, 'SafeBag');
      const id = oidText(bagId, 'SafeBag');
      const value = children(expectTag(bagValue, 0xa0, 'SafeBag'))[0];
      if (id === OID.keyBag) {
        keys.push(Buffer.from(expectTag(value, 0x30, 'keyBag').raw)); // a copy: zeroed below, the input left alone
        keyFriendlyName = friendlyName(bagAttributes);
      } else if (id === OID.shroudedKeyBag) {
        const [algorithm, ciphertext] = seqOf(value, 'pkcs8ShroudedKeyBag');
        keys.push(await decrypt(algorithm, expectTag(ciphertext, 0x04, 'pkcs8ShroudedKeyBag').body, password, 'pkcs8ShroudedKeyBag', budget));
        keyFriendlyName = friendlyName(bagAttributes);
      } else if (id === OID.certBag) {
        const [certId, certValue] = seqOf(value, 'certBag');
        if (oidText(certId, 'certBag') !== OID.x509Certificate) throw new Pkcs12Error('certBag: only X.509 certificates are supported', true);
        if (certificates.length >= MAX_CERTIFICATES) throw new Pkcs12Error(`more than ${MAX_CERTIFICATES} certificates`);
        const name = friendlyName(bagAttributes);
        certificates.push({ der: Buffer.from(explicitOctets(certValue, 'certBag')), ...(name !== undefined ? { friendlyName: name } : {}) });
      } else if (id === OID.safeContentsBag) {
        throw new Pkcs12Error('nested safeContentsBag is not supported', true);
      } // CRL and secret bags, and unknown ones, are not what a Private Key is made of: skipped.
    }
  }
  if (keys.length !== 1) {
    for (const k of keys) k.fill(0);
    throw new Pkcs12Error(keys.length === 0 ? 'the PKCS#12 holds no private key' : 'the PKCS#12 holds more than one private key');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keys[0]!, format: 'der', type: 'pkcs8' });
  } catch {
    throw new Pkcs12Error('the PKCS#12 private key is not a readable PKCS#8 key');
  } finally {
    keys[0]!.fill(0);
  }
  // The key's own certificate first: the one whose public key is the key's.
  const spki = (k: KeyObject): Buffer => k.export({ type: 'spki', format: 'der' });
  const mine = spki(createPublicKey(key));
  const parsed = certificates.map((c) => {
    try {
      return new X509Certificate(c.der);
    } catch {
      throw new Pkcs12Error('a PKCS#12 certificate is not a readable X.509 certificate');
    }
  });
  const own = parsed.findIndex((c) => spki(c.publicKey).equals(mine));
  const ordered = own <= 0 ? certificates : [certificates[own]!, ...certificates.filter((_, i) => i !== own)];
  return { key, certificates: ordered, ...(keyFriendlyName !== undefined ? { keyFriendlyName } : {}) };
}
