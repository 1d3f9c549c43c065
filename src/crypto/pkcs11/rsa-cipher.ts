/**
 * RSA encryption in the HSM (KMIP Encrypt / Decrypt with RSA keys, RSA key transport):
 * CKM_RSA_PKCS_OAEP, CKM_RSA_PKCS (PKCS#1 v1.5) and CKM_RSA_X_509 (Padding Method None).
 *
 * The private key never leaves the module. Some modules implement OAEP only with SHA-1 (SoftHSM2
 * 2.6 answers CKR_ARGUMENTS_BAD for any other hash or MGF1 hash); for those the RSA operation
 * still runs in the module as raw RSA (CKM_RSA_X_509) and the EME-OAEP encoding (RFC 8017 §7.1)
 * is done here. The decoding follows RFC 8017 §7.1.2 note: every check is made without an early
 * exit and every failure is the same error, so the answer does not tell an attacker which check
 * failed (Manger's attack).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import pkcs11js from 'pkcs11js';
import type { Handle, Mechanism, PKCS11 } from 'pkcs11js';

import { type RsaCipherParams, type SignatureHash, hashLength, maxMessageLength, mgf1, nodeHash, publicKeyObject } from '../asymmetric.js';
import { CryptoError } from '../provider.js';
import { ckrOf, p11, p11Async } from './ckr.js';
import { destroyQuietly } from './objects.js';

const HASH_MECH: Readonly<Record<SignatureHash, number>> = {
  'SHA-1': pkcs11js.CKM_SHA_1,
  'SHA-224': pkcs11js.CKM_SHA224,
  'SHA-256': pkcs11js.CKM_SHA256,
  'SHA-384': pkcs11js.CKM_SHA384,
  'SHA-512': pkcs11js.CKM_SHA512,
};
const MGF: Readonly<Record<SignatureHash, number>> = {
  'SHA-1': pkcs11js.CKG_MGF1_SHA1,
  'SHA-224': pkcs11js.CKG_MGF1_SHA224,
  'SHA-256': pkcs11js.CKG_MGF1_SHA256,
  'SHA-384': pkcs11js.CKG_MGF1_SHA384,
  'SHA-512': pkcs11js.CKG_MGF1_SHA512,
};
/** CK_RSA_PKCS_OAEP_SOURCE_TYPE: the label is given in pSourceData (PKCS#11 v2.40 §2.1.8). */
const CKZ_DATA_SPECIFIED = 1;

/** Return codes of a module that does not offer the mechanism with these parameters. */
export const NOT_OFFERED = new Set<number>([pkcs11js.CKR_ARGUMENTS_BAD, pkcs11js.CKR_MECHANISM_PARAM_INVALID, pkcs11js.CKR_MECHANISM_INVALID]);

/** Modulus length in bytes and public exponent of an RSA public key. */
export function rsaPublicParts(spki: Uint8Array): { n: Buffer; e: Buffer; k: number } {
  const key = publicKeyObject(spki);
  if (key.asymmetricKeyType !== 'rsa') throw new CryptoError('UNSUPPORTED', 'the key is not an RSA key');
  const jwk = key.export({ format: 'jwk' });
  const n = Buffer.from(jwk.n ?? '', 'base64url');
  const e = Buffer.from(jwk.e ?? '', 'base64url');
  return { n, e, k: n.length };
}

function checkMessageLength(params: RsaCipherParams, k: number, length: number): void {
  const max = maxMessageLength(params, k);
  if (max < 0) throw new CryptoError('UNSUPPORTED', 'the key is too small for OAEP with this hash');
  if (length > max) throw new CryptoError('UNSUPPORTED', `the data is too long for this key and padding (at most ${max} bytes)`);
}

export function oaepMechanism(params: RsaCipherParams & { padding: 'OAEP' }): Mechanism {
  const label = params.label !== undefined && params.label.length > 0 ? Buffer.from(params.label) : undefined;
  const parameter: pkcs11js.RsaOAEP = {
    type: pkcs11js.CK_PARAMS_RSA_OAEP,
    hashAlg: HASH_MECH[params.hash],
    mgf: MGF[params.mgfHash],
    source: CKZ_DATA_SPECIFIED,
    ...(label !== undefined ? { sourceData: label } : {}),
  };
  return { mechanism: pkcs11js.CKM_RSA_PKCS_OAEP, parameter };
}

/** EME-OAEP encoding (RFC 8017 §7.1.1 step 2) of `m` into a k-byte block. */
export function oaepEncode(m: Buffer, k: number, hash: SignatureHash, mgfHash: SignatureHash, label: Uint8Array = new Uint8Array(0)): Buffer {
  const hLen = hashLength(hash);
  const lHash = createHash(nodeHash(hash)).update(label).digest();
  const db = Buffer.concat([lHash, Buffer.alloc(k - m.length - 2 * hLen - 2), Buffer.from([1]), m]);
  const seed = randomBytes(hLen);
  const dbMask = mgf1(seed, db.length, mgfHash);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] as number) ^ (dbMask[i] as number);
  const seedMask = mgf1(db, hLen, mgfHash);
  for (let i = 0; i < hLen; i++) seed[i] = (seed[i] as number) ^ (seedMask[i] as number);
  return Buffer.concat([Buffer.from([0]), seed, db]);
}

/**
 * EME-OAEP decoding (RFC 8017 §7.1.2 step 3) of a k-byte block; undefined for any defect. The
 * checks run to the end whatever fails first.
 */
export function oaepDecode(em: Buffer, hash: SignatureHash, mgfHash: SignatureHash, label: Uint8Array = new Uint8Array(0)): Buffer | undefined {
  const hLen = hashLength(hash);
  const k = em.length;
  if (k < 2 * hLen + 2) return undefined;
  const lHash = createHash(nodeHash(hash)).update(label).digest();
  const maskedSeed = em.subarray(1, 1 + hLen);
  const maskedDB = em.subarray(1 + hLen);
  const seedMask = mgf1(Buffer.from(maskedDB), hLen, mgfHash);
  const seed = Buffer.alloc(hLen);
  for (let i = 0; i < hLen; i++) seed[i] = (maskedSeed[i] as number) ^ (seedMask[i] as number);
  const dbMask = mgf1(seed, maskedDB.length, mgfHash);
  const db = Buffer.alloc(maskedDB.length);
  for (let i = 0; i < db.length; i++) db[i] = (maskedDB[i] as number) ^ (dbMask[i] as number);
  let bad = em[0] as number;
  bad |= timingSafeEqual(db.subarray(0, hLen), lHash) ? 0 : 1;
  // The first non-zero byte after lHash must be 0x01; scan all of DB, remembering its index.
  let found = 0;
  let index = 0;
  for (let i = hLen; i < db.length; i++) {
    const b = db[i] as number;
    const isOne = b === 1 ? 1 : 0;
    const isZero = b === 0 ? 1 : 0;
    const first = isOne & (found ^ 1);
    index = first ? i : index;
    // A byte that is neither 0 nor 1 before the separator is a defect.
    bad |= (found ^ 1) & (isZero ^ 1) & (isOne ^ 1);
    found |= isOne;
  }
  bad |= found ^ 1;
  seed.fill(0);
  if (bad !== 0) {
    db.fill(0);
    return undefined;
  }
  const out = Buffer.from(db.subarray(index + 1));
  db.fill(0);
  return out;
}

/** A session object of the RSA public key, for C_Encrypt / C_WrapKey. */
export function createRsaPublic(mod: PKCS11, session: Handle, spki: Uint8Array): Handle {
  const { n, e } = rsaPublicParts(spki);
  return p11('create', () =>
    mod.C_CreateObject(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
      { type: pkcs11js.CKA_TOKEN, value: false },
      { type: pkcs11js.CKA_ENCRYPT, value: true },
      { type: pkcs11js.CKA_WRAP, value: true },
      { type: pkcs11js.CKA_MODULUS, value: n },
      { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: e },
    ]),
  );
}

/** C_EncryptInit, or undefined when the module does not offer the mechanism with these parameters. */
function tryInit(init: () => void): boolean {
  try {
    init();
    return true;
  } catch (err) {
    const code = ckrOf(err);
    if (code !== undefined && NOT_OFFERED.has(code)) return false;
    throw err;
  }
}

/** Encrypts `data` with the RSA public key `spki` in the module. */
export async function rsaEncryptIn(mod: PKCS11, session: Handle, spki: Uint8Array, params: RsaCipherParams, data: Uint8Array): Promise<Uint8Array> {
  const { k } = rsaPublicParts(spki);
  checkMessageLength(params, k, data.length);
  const key = createRsaPublic(mod, session, spki);
  try {
    let input: Buffer = Buffer.from(data);
    let mechanism: Mechanism;
    if (params.padding === 'PKCS1v15') mechanism = { mechanism: pkcs11js.CKM_RSA_PKCS };
    else if (params.padding === 'None') {
      mechanism = { mechanism: pkcs11js.CKM_RSA_X_509 };
      input = Buffer.concat([Buffer.alloc(k - input.length), input]);
    } else mechanism = oaepMechanism(params);
    if (!tryInit(() => mod.C_EncryptInit(session, mechanism, key))) {
      if (params.padding !== 'OAEP') throw new CryptoError('UNSUPPORTED', 'the cryptographic module does not offer this RSA padding');
      // The module has no OAEP with this hash: raw RSA in the module over the encoding made here.
      input = oaepEncode(input, k, params.hash, params.mgfHash, params.label);
      p11('crypto', () => mod.C_EncryptInit(session, { mechanism: pkcs11js.CKM_RSA_X_509 }, key));
    }
    const out = await p11Async('crypto', () => mod.C_EncryptAsync(session, input, Buffer.alloc(k)));
    return Uint8Array.from(out);
  } finally {
    destroyQuietly(mod, session, key);
  }
}

/** Decrypts `data` with the RSA private key object `key` (modulus length `k` bytes) in the module. */
export async function rsaDecryptIn(mod: PKCS11, session: Handle, key: Handle, params: RsaCipherParams, data: Uint8Array): Promise<Uint8Array> {
  const [mod_] = p11('read-attribute', () => mod.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_MODULUS }]));
  const k = Buffer.isBuffer(mod_?.value) ? mod_.value.length : 0;
  // RFC 8017 §7.1.2 step 1 / §7.2.2 step 1: a ciphertext of the wrong length is a decryption error.
  if (k === 0 || data.length !== k) throw new CryptoError('BAD_KEY', 'decryption error');
  const input = Buffer.from(data);
  let mechanism: Mechanism;
  if (params.padding === 'PKCS1v15') mechanism = { mechanism: pkcs11js.CKM_RSA_PKCS };
  else if (params.padding === 'None') mechanism = { mechanism: pkcs11js.CKM_RSA_X_509 };
  else mechanism = oaepMechanism(params);
  if (tryInit(() => mod.C_DecryptInit(session, mechanism, key))) {
    const out = await p11Async('decrypt', () => mod.C_DecryptAsync(session, input, Buffer.alloc(k)));
    return Uint8Array.from(out);
  }
  if (params.padding !== 'OAEP') throw new CryptoError('UNSUPPORTED', 'the cryptographic module does not offer this RSA padding');
  p11('crypto', () => mod.C_DecryptInit(session, { mechanism: pkcs11js.CKM_RSA_X_509 }, key));
  const raw = await p11Async('decrypt', () => mod.C_DecryptAsync(session, input, Buffer.alloc(k)));
  // Raw RSA output may come back without its leading zero bytes; restore the k-byte block.
  const em = raw.length === k ? raw : Buffer.concat([Buffer.alloc(k - raw.length), raw]);
  const m = oaepDecode(em, params.hash, params.mgfHash, params.label);
  em.fill(0);
  raw.fill(0);
  if (m === undefined) throw new CryptoError('BAD_KEY', 'decryption error');
  return new Uint8Array(m);
}

/** The mechanism of an RSA key transport (C_UnwrapKey): OAEP or PKCS#1 v1.5; raw RSA is refused. */
export function rsaTransportMechanism(params: RsaCipherParams): Mechanism {
  if (params.padding === 'OAEP') return oaepMechanism(params);
  if (params.padding === 'PKCS1v15') return { mechanism: pkcs11js.CKM_RSA_PKCS };
  throw new CryptoError('UNSUPPORTED', 'raw RSA does not unwrap keys');
}
