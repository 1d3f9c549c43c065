/**
 * Asymmetric keys in KMIP terms: the optional `AsymmetricProvider` half of a crypto provider, for
 * Create Key Pair (KMIP 1.4 §4.2, 2.1 §6.1.13), Get of the private half, Sign (2.1 §6.1.50) and
 * Signature Verify (2.1 §6.1.53).
 *
 * Key model (CONVENTIONS.md §4): the pair is generated in the HSM; the private key leaves it only
 * wrapped under the master key (a `KeyRef`, RFC 5649 over its PKCS#8 encoding), or stays resident
 * when created non-extractable. The public key is not secret and is kept as DER
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7, KMIP Key Format Type "X.509").
 *
 * Signature verification needs only the public key, so it runs in node:crypto (`verifySignature`)
 * for every provider. ECDSA signatures are exchanged DER-encoded (X9.62 Ecdsa-Sig-Value, as
 * PyKMIP and the OASIS TC-ECDSA vectors use); raw r||s is also accepted on verify.
 */
import {
  type KeyObject,
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateEncrypt,
  publicDecrypt,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';

import { CryptoError, type CryptoProvider, type KeyRef, type SymmetricAlgorithm } from './provider.js';

export type AsymmetricAlgorithm = 'RSA' | 'EC';
/** NIST curves, and secp256k1 (SEC 2; the OASIS TC-ECDSA vectors register keys on it). */
export type NamedCurve = 'P-256' | 'P-384' | 'P-521' | 'secp256k1';
export type SignatureHash = 'SHA-1' | 'SHA-224' | 'SHA-256' | 'SHA-384' | 'SHA-512';

export type GenerateKeyPairRequest =
  | { readonly algorithm: 'RSA'; readonly bits: number; readonly extractable: boolean }
  | { readonly algorithm: 'EC'; readonly curve: NamedCurve; readonly extractable: boolean };

export interface GeneratedKeyPair {
  /** Wrapped under the master key, or resident when not extractable. */
  readonly privateKey: KeyRef;
  /** DER SubjectPublicKeyInfo. */
  readonly publicKey: Uint8Array;
}

/** KMIP Cryptographic Parameters that matter to a signature (2.1 §11.3). */
export interface SignatureParams {
  /** PKCS1v15 (RSA Padding Method PKCS1 v1.5), PSS (RSASSA-PSS, MGF1 with the same hash, salt = hash length), ECDSA. */
  readonly scheme: 'PKCS1v15' | 'PSS' | 'ECDSA';
  readonly hash: SignatureHash;
  /** The data is already the digest (KMIP Digested Data). */
  readonly digested?: boolean;
  /**
   * No Hashing Algorithm was named (request, key attribute or Digital Signature Algorithm), so
   * `hash` is the default. Over Digested Data the hash is then the one whose output length the
   * digest has; see effectiveSignatureParams().
   */
  readonly hashImplied?: boolean;
}

/**
 * A private key to sign with: a KeyRef held by the HSM, or a DER encoding the caller unwrapped
 * (a registered key); the provider imports the latter as a transient, sensitive object.
 */
export type PrivateKeySource = KeyRef | { readonly kind: 'der'; readonly der: Uint8Array; readonly format: 'pkcs1' | 'pkcs8' | 'sec1' };

export interface AsymmetricProvider {
  /** Generates a key pair in the HSM (never on the event loop). UNSUPPORTED for bad sizes or curves. */
  generateKeyPair(req: GenerateKeyPairRequest): Promise<GeneratedKeyPair>;
  /** PKCS#8 DER of a wrapped private key, for a client entitled to it (Get); NOT_EXTRACTABLE for resident keys. */
  exportPrivateKey(ref: KeyRef, algorithm: AsymmetricAlgorithm): Promise<Uint8Array>;
  /** Signs with a private key that stays in the HSM (or a registered one imported transiently). */
  sign(key: PrivateKeySource, algorithm: AsymmetricAlgorithm, params: SignatureParams, data: Uint8Array): Promise<Uint8Array>;
  /** Whether `signature` is valid for `data` under the public key; a bad signature is `false`, not an error. */
  verify(spki: Uint8Array, algorithm: AsymmetricAlgorithm, params: SignatureParams, data: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

/**
 * RSA encryption parameters (KMIP 2.1 §11.3 Cryptographic Parameters; RFC 8017 §7): OAEP with a
 * hash, MGF1 over `mgfHash` (the OAEP hash unless the request names another, KMIP 1.4+ Mask
 * Generator Hashing Algorithm) and an optional label (P Source); PKCS#1 v1.5; or None (raw RSA,
 * RSAEP/RSADP on a block of the modulus' length).
 */
export type RsaCipherParams =
  | { readonly padding: 'OAEP'; readonly hash: SignatureHash; readonly mgfHash: SignatureHash; readonly label?: Uint8Array }
  | { readonly padding: 'PKCS1v15' }
  | { readonly padding: 'None' };

/** RSA Encrypt / Decrypt (KMIP 2.1 §6.1.18, §6.1.12) and RSA key transport; optional half of a provider. */
export interface RsaCipherProvider {
  /** Encrypts with an RSA public key (DER SubjectPublicKeyInfo). UNSUPPORTED when the data does not fit. */
  rsaEncrypt(spki: Uint8Array, params: RsaCipherParams, data: Uint8Array): Promise<Uint8Array>;
  /** Decrypts with an RSA private key held by the HSM; BAD_KEY when the padding does not check out. */
  rsaDecrypt(key: PrivateKeySource, params: RsaCipherParams, data: Uint8Array): Promise<Uint8Array>;
  /**
   * RSA key transport into the HSM (BYOK): unwraps `wrapped` with the private key as a symmetric
   * key of `algorithm` and returns it wrapped under the master key. Optional.
   */
  rsaUnwrapSymmetricKey?(key: PrivateKeySource, params: RsaCipherParams, wrapped: Uint8Array, algorithm: SymmetricAlgorithm): Promise<KeyRef>;
}

/** ECDH key agreement (KMIP Derive Key, Derivation Method Asymmetric Key); optional half of a provider. */
export interface EcdhProvider {
  /**
   * The raw shared secret Z of an EC private key and a peer's public key (DER SubjectPublicKeyInfo):
   * the x-coordinate of the shared point, the curve's field size long (SEC 1 §3.3.1, NIST SP
   * 800-56A §5.7.1.2), computed in the HSM. UNSUPPORTED when the peer key is on another curve.
   */
  ecdhSharedSecret(key: PrivateKeySource, peerSpki: Uint8Array): Promise<Uint8Array>;
  /**
   * The same shared secret, `length` bytes, kept out of this process: derived in the HSM as a
   * sensitive, extractable transient object, digested there (SHA-256, C_DigestKey) and wrapped
   * under the master key like a created key; the object is destroyed. Undefined when the module
   * cannot make exactly the leading `length` bytes (SoftHSM2 truncates CKA_VALUE_LEN to the
   * trailing bytes, so only the full field size is made in the HSM). Optional: a provider without
   * it derives through ecdhSharedSecret.
   */
  ecdhDeriveWrapped?(key: PrivateKeySource, peerSpki: Uint8Array, length: number): Promise<WrappedDerivedKey | undefined>;
}

/** A derived key that never left the HSM unwrapped (EcdhProvider.ecdhDeriveWrapped). */
export interface WrappedDerivedKey {
  /** Wrapped under the master key, of the exact value (valueLength = length). */
  readonly ref: KeyRef;
  readonly length: number;
  /** SHA-256 of the value, computed in the HSM (for the Digest attribute). */
  readonly sha256: Uint8Array;
}

/** The provider's ECDH service, or undefined when it has none. */
export function ecdhProviderOf(p: CryptoProvider): (CryptoProvider & EcdhProvider) | undefined {
  const o = p as unknown as Record<string, unknown>;
  return typeof o['ecdhSharedSecret'] === 'function' ? (p as CryptoProvider & EcdhProvider) : undefined;
}

/** Largest message the padding takes with a k-byte modulus (RFC 8017 §7.1.1, §7.2.1). */
export function maxMessageLength(params: RsaCipherParams, k: number): number {
  switch (params.padding) {
    case 'OAEP':
      return k - 2 * HASH_BYTES[params.hash] - 2;
    case 'PKCS1v15':
      return k - 11;
    case 'None':
      return k;
  }
}

/** The provider's RSA cipher services, or undefined when it has none. */
export function rsaCipherOf(p: CryptoProvider): (CryptoProvider & RsaCipherProvider) | undefined {
  const o = p as unknown as Record<string, unknown>;
  return typeof o['rsaEncrypt'] === 'function' && typeof o['rsaDecrypt'] === 'function' ? (p as CryptoProvider & RsaCipherProvider) : undefined;
}

const METHODS = ['generateKeyPair', 'exportPrivateKey', 'sign', 'verify'] as const;

/** The provider's asymmetric services, or undefined when it has none. */
export function asymmetricProviderOf(p: CryptoProvider): (CryptoProvider & AsymmetricProvider) | undefined {
  const o = p as unknown as Record<string, unknown>;
  return METHODS.every((m) => typeof o[m] === 'function') ? (p as CryptoProvider & AsymmetricProvider) : undefined;
}

/** RSA moduli we generate (KMIP profiles use 2048; larger ones for completeness). */
export const RSA_MIN_BITS = 2048;
export const RSA_MAX_BITS = 4096;

export function checkRsaBits(bits: number): void {
  if (!Number.isSafeInteger(bits) || bits < RSA_MIN_BITS || bits > RSA_MAX_BITS || bits % 8 !== 0) {
    throw new CryptoError('UNSUPPORTED', `RSA keys are ${RSA_MIN_BITS}..${RSA_MAX_BITS} bits, a multiple of 8`);
  }
}

/** Curve facts: node name, DER OID (for CKA_EC_PARAMS), field size in bytes. */
export const CURVES: Readonly<Record<NamedCurve, { readonly node: string; readonly oid: string; readonly bytes: number }>> = {
  'P-256': { node: 'prime256v1', oid: '06082a8648ce3d030107', bytes: 32 },
  'P-384': { node: 'secp384r1', oid: '06052b81040022', bytes: 48 },
  'P-521': { node: 'secp521r1', oid: '06052b81040023', bytes: 66 },
  secp256k1: { node: 'secp256k1', oid: '06052b8104000a', bytes: 32 },
};

export function checkCurve(curve: string): NamedCurve {
  if (!(curve in CURVES)) throw new CryptoError('UNSUPPORTED', `unsupported curve ${curve}`);
  return curve as NamedCurve;
}

/** The curve whose DER OID is `oid` (hex), or undefined. */
export function curveOfOid(oidHex: string): NamedCurve | undefined {
  return (Object.keys(CURVES) as NamedCurve[]).find((c) => CURVES[c].oid === oidHex);
}

const HASH_BYTES: Readonly<Record<SignatureHash, number>> = { 'SHA-1': 20, 'SHA-224': 28, 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/** node:crypto name of a hash. */
export function nodeHash(h: SignatureHash): string {
  return h.replace('-', '').toLowerCase();
}

/**
 * The digest to sign: the Data hashed here (it is not secret), or the Digested Data, which must
 * have the hash's length (KMIP 2.1 §6.1.50).
 */
export function digestFor(params: SignatureParams, data: Uint8Array): Buffer {
  if (params.digested) {
    if (params.scheme !== 'ECDSA' && data.length !== HASH_BYTES[params.hash]) {
      throw new CryptoError('UNSUPPORTED', 'Digested Data does not have the length of the hash');
    }
    return Buffer.from(data);
  }
  return createHash(nodeHash(params.hash)).update(data).digest();
}

/**
 * Over Digested Data with no hash named, the hash whose output length the digest has (20 bytes:
 * SHA-1, 32: SHA-256, ...). A digest of no such length keeps `hashImplied`: PKCS#1 v1.5 then
 * signs it as given (pkcs1SignatureInput), ECDSA signs it directly, PSS refuses it.
 */
export function effectiveSignatureParams(params: SignatureParams, data: Uint8Array): SignatureParams {
  if (!params.digested || !params.hashImplied) return params;
  const hash = (Object.keys(HASH_BYTES) as SignatureHash[]).find((h) => HASH_BYTES[h] === data.length);
  return hash === undefined ? params : { ...params, hash, hashImplied: false };
}

/**
 * The PKCS#1 v1.5 signature input T (RFC 8017 §9.2 step 2): the DER DigestInfo of the digest.
 * Digested Data with no hash named and of no hash's length is taken as T itself (the client
 * did the encoding; OASIS TC-RSA-SIGN-DIGESTEDDATA-1 signs 16 bytes that way).
 */
export function pkcs1SignatureInput(params: SignatureParams, data: Uint8Array): Buffer {
  const p = effectiveSignatureParams(params, data);
  if (p.digested && p.hashImplied) return Buffer.from(data);
  return digestInfo(p.hash, digestFor(p, data));
}

/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1) for PKCS#1 v1.5 signatures. */
const DIGEST_INFO: Readonly<Record<SignatureHash, string>> = {
  'SHA-1': '3021300906052b0e03021a05000414',
  'SHA-224': '302d300d06096086480165030402040500041c',
  'SHA-256': '3031300d060960864801650304020105000420',
  'SHA-384': '3041300d060960864801650304020205000430',
  'SHA-512': '3051300d060960864801650304020305000440',
};

export function digestInfo(hash: SignatureHash, digest: Buffer): Buffer {
  return Buffer.concat([Buffer.from(DIGEST_INFO[hash], 'hex'), digest]);
}

export function hashLength(hash: SignatureHash): number {
  return HASH_BYTES[hash];
}

function derInt(v: Buffer): Buffer {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  let b = v.subarray(i);
  if ((b[0] as number) & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return Buffer.concat([Buffer.from([0x02, b.length]), b]);
}

/** Raw r||s (PKCS#11 CKM_ECDSA output) -> DER Ecdsa-Sig-Value (X9.62, RFC 3279 §2.2.3). */
export function ecdsaRawToDer(raw: Uint8Array): Buffer {
  const n = raw.length / 2;
  const body = Buffer.concat([derInt(Buffer.from(raw.subarray(0, n))), derInt(Buffer.from(raw.subarray(n)))]);
  const len = body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([0x30]), len, body]);
}

/** DER Ecdsa-Sig-Value (or raw r||s already) -> raw r||s of `n`-byte halves; undefined if malformed. */
export function ecdsaToRaw(sig: Uint8Array, n: number): Buffer | undefined {
  const b = Buffer.from(sig);
  if (b.length === 2 * n) return b;
  if (b[0] !== 0x30) return undefined;
  let off = (b[1] as number) & 0x80 ? 2 + ((b[1] as number) & 0x7f) : 2;
  const out = Buffer.alloc(2 * n);
  for (let i = 0; i < 2; i++) {
    if (b[off] !== 0x02) return undefined;
    const len = b[off + 1] as number;
    let v = b.subarray(off + 2, off + 2 + len);
    off += 2 + len;
    while (v.length > n && v[0] === 0) v = v.subarray(1);
    if (v.length > n) return undefined;
    v.copy(out, i * n + n - v.length);
  }
  return off === b.length ? out : undefined;
}

/** Curve and uncompressed point of an EC public key. */
export function ecPublicPoint(spki: Uint8Array): { curve: NamedCurve; point: Buffer } {
  const jwk = publicKeyObject(spki).export({ format: 'jwk' });
  const curve = (Object.keys(CURVES) as NamedCurve[]).find((c) => c === jwk.crv);
  if (jwk.kty !== 'EC' || !curve) throw new CryptoError('UNSUPPORTED', 'not a public key on a supported curve');
  return { curve, point: Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]) };
}

/** The SPKI of a JWK public key (node:crypto does the DER). */
export function spkiFromJwk(jwk: Record<string, string>): Uint8Array {
  return new Uint8Array(createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'der', type: 'spki' }));
}

/** Parses a DER SubjectPublicKeyInfo; BAD_KEY when it is not one. */
export function publicKeyObject(spki: Uint8Array): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    throw new CryptoError('BAD_KEY', 'the public key is not a valid SubjectPublicKeyInfo');
  }
}

/** RSA modulus bits or EC curve of a public key. */
export function describePublicKey(spki: Uint8Array): { algorithm: AsymmetricAlgorithm; bits: number } {
  const k = publicKeyObject(spki);
  const d = k.asymmetricKeyDetails ?? {};
  if (k.asymmetricKeyType === 'rsa') return { algorithm: 'RSA', bits: d.modulusLength ?? 0 };
  if (k.asymmetricKeyType === 'ec') {
    const c = (Object.keys(CURVES) as NamedCurve[]).find((n) => CURVES[n].node === d.namedCurve);
    if (c) return { algorithm: 'EC', bits: c === 'P-521' ? 521 : CURVES[c].bytes * 8 };
  }
  throw new CryptoError('UNSUPPORTED', 'unsupported public key type');
}

/**
 * Signature verification with a public key (no secret involved, so node:crypto serves every
 * provider). Digested Data is verified without hashing again.
 */
export function verifySignature(spki: Uint8Array, algorithm: AsymmetricAlgorithm, params: SignatureParams, data: Uint8Array, signature: Uint8Array): boolean {
  const key = publicKeyObject(spki);
  const kind = key.asymmetricKeyType === 'rsa' ? 'RSA' : key.asymmetricKeyType === 'ec' ? 'EC' : undefined;
  if (kind !== algorithm) throw new CryptoError('UNSUPPORTED', 'the key does not match the signature algorithm');
  if ((params.scheme === 'ECDSA') !== (kind === 'EC')) throw new CryptoError('UNSUPPORTED', 'the signature scheme does not match the key');
  const sig = Buffer.from(signature);
  try {
    if (kind === 'EC') {
      const n = CURVES[(Object.keys(CURVES) as NamedCurve[]).find((c) => CURVES[c].node === key.asymmetricKeyDetails?.namedCurve) ?? 'P-256'].bytes;
      const dsaEncoding = sig[0] === 0x30 && sig.length !== 2 * n ? 'der' : 'ieee-p1363';
      if (params.digested) return nodeVerify(null, Buffer.from(data), { key, dsaEncoding }, sig);
      return nodeVerify(nodeHash(params.hash), Buffer.from(data), { key, dsaEncoding }, sig);
    }
    if (params.digested) {
      // RSA over a digest: recover the encoded message with the public key and compare.
      return verifyRsaDigest(key, params, Buffer.from(data), sig);
    }
    const padding = params.scheme === 'PSS' ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING;
    return nodeVerify(nodeHash(params.hash), Buffer.from(data), { key, padding, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig);
  } catch {
    // A malformed signature is an invalid one (KMIP Validity Indicator Invalid), not an error.
    return false;
  }
}

function verifyRsaDigest(key: KeyObject, params: SignatureParams, digest: Buffer, sig: Buffer): boolean {
  // node:crypto's verify() always hashes the input, so over Digested Data PKCS#1 v1.5 compares
  // the DigestInfo recovered with the public key, and PSS checks EMSA-PSS on the raw RSA output.
  if (params.scheme === 'PKCS1v15') {
    const em = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, sig);
    return em.equals(pkcs1SignatureInput(params, digest));
  }
  const p = effectiveSignatureParams(params, digest);
  if (p.hashImplied || digest.length !== HASH_BYTES[p.hash]) return false;
  const em = publicDecrypt({ key, padding: constants.RSA_NO_PADDING }, sig);
  return pssVerify(em, digest, p.hash, (key.asymmetricKeyDetails?.modulusLength ?? 0) - 1);
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with MGF1 on the same hash, any salt length. */
function pssVerify(emFull: Buffer, mHash: Buffer, hash: SignatureHash, emBits: number): boolean {
  const emLen = Math.ceil(emBits / 8);
  const em = emFull.subarray(emFull.length - emLen);
  if (emFull.subarray(0, emFull.length - emLen).some((b) => b !== 0)) return false;
  const hLen = HASH_BYTES[hash];
  if (emLen < hLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const maskedDB = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const mask = mgf1(h, maskedDB.length, hash);
  const db = Buffer.alloc(maskedDB.length);
  for (let i = 0; i < db.length; i++) db[i] = (maskedDB[i] as number) ^ (mask[i] as number);
  db[0] = (db[0] as number) & (0xff >> (8 * emLen - emBits));
  const one = db.indexOf(1);
  if (one < 0 || db.subarray(0, one).some((b) => b !== 0)) return false;
  const salt = db.subarray(one + 1);
  const h2 = createHash(nodeHash(hash)).update(Buffer.concat([Buffer.alloc(8), mHash, salt])).digest();
  return h2.equals(h);
}

/** MGF1 (RFC 8017 §B.2.1). */
export function mgf1(seed: Buffer, len: number, hash: SignatureHash): Buffer {
  const out: Buffer[] = [];
  for (let c = 0; out.length * HASH_BYTES[hash] < len; c++) {
    const ctr = Buffer.alloc(4);
    ctr.writeUInt32BE(c);
    out.push(createHash(nodeHash(hash)).update(seed).update(ctr).digest());
  }
  return Buffer.concat(out).subarray(0, len);
}

/** What the node:crypto implementation needs from its host (the in-memory fake provider). */
export interface NodeKeyVault {
  /** Wraps a value under the host's master key. */
  wrap(value: Buffer): KeyRef;
  /** Unwraps a wrapped ref (BAD_KEY when it does not unwrap). */
  unwrap(ref: KeyRef & { kind: 'wrapped' }): Buffer;
  /** Resident values by id. */
  readonly resident: Map<string, Buffer>;
}

/**
 * The AsymmetricProvider in node:crypto, for the in-memory fake (NOT for production: private
 * keys exist in JavaScript memory). Same contract and errors as the PKCS#11 half; private keys
 * are kept as PKCS#8 DER, wrapped or resident.
 */
export function nodeAsymmetric(vault: NodeKeyVault): AsymmetricProvider {
  const privateDer = (src: PrivateKeySource): KeyObject => {
    let der: Buffer;
    let type: 'pkcs1' | 'pkcs8' | 'sec1' = 'pkcs8';
    if (src.kind === 'der') {
      der = Buffer.from(src.der);
      type = src.format;
    } else if (src.kind === 'resident') {
      const v = vault.resident.get(src.id);
      if (!v) throw new CryptoError('BAD_KEY', 'resident key not found in the token');
      der = v;
    } else {
      der = vault.unwrap(src);
    }
    try {
      return createPrivateKey({ key: der, format: 'der', type });
    } catch {
      throw new CryptoError('BAD_KEY', 'the private key is not a valid DER encoding');
    }
  };
  return {
    async generateKeyPair(req) {
      let pair;
      if (req.algorithm === 'RSA') {
        checkRsaBits(req.bits);
        pair = generateKeyPairSync('rsa', { modulusLength: req.bits });
      } else {
        pair = generateKeyPairSync('ec', { namedCurve: CURVES[checkCurve(req.curve)].node });
      }
      const der = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
      const publicKey = new Uint8Array(pair.publicKey.export({ format: 'der', type: 'spki' }));
      if (req.extractable) return { privateKey: vault.wrap(der), publicKey };
      const id = randomBytes(16).toString('hex');
      vault.resident.set(id, der);
      return { privateKey: { kind: 'resident', id }, publicKey };
    },
    async exportPrivateKey(ref, algorithm) {
      if (ref.kind === 'resident') throw new CryptoError('NOT_EXTRACTABLE', 'the key is not extractable from the HSM');
      const k = privateDer(ref);
      if ((k.asymmetricKeyType === 'rsa' ? 'RSA' : 'EC') !== algorithm) throw new CryptoError('BAD_KEY', 'the key is not of the expected algorithm');
      return new Uint8Array(k.export({ format: 'der', type: 'pkcs8' }));
    },
    async sign(src, algorithm, params, data) {
      const key = privateDer(src);
      const kind = key.asymmetricKeyType === 'rsa' ? 'RSA' : 'EC';
      if (kind !== algorithm || (params.scheme === 'ECDSA') !== (kind === 'EC')) {
        throw new CryptoError('UNSUPPORTED', 'the signature scheme does not match the key');
      }
      if (params.digested) {
        if (params.scheme !== 'PKCS1v15') throw new CryptoError('UNSUPPORTED', 'the fake signs Digested Data with PKCS#1 v1.5 only');
        return new Uint8Array(privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, pkcs1SignatureInput(params, data)));
      }
      const opts =
        params.scheme === 'ECDSA'
          ? { key, dsaEncoding: 'der' as const }
          : { key, padding: params.scheme === 'PSS' ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING, saltLength: hashLength(params.hash) };
      return new Uint8Array(nodeSign(nodeHash(params.hash), Buffer.from(data), opts));
    },
    async verify(spki, algorithm, params, data, signature) {
      if (params.scheme === 'ECDSA' && params.digested) throw new CryptoError('UNSUPPORTED', 'the fake does not verify ECDSA over Digested Data');
      return verifySignature(spki, algorithm, params, data, signature);
    },
  };
}
