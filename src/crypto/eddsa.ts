/**
 * EdDSA (RFC 8032: Ed25519, Ed448) in KMIP terms: the optional `EdDsaProvider` half of a crypto
 * provider, for Create Key Pair with Cryptographic Algorithm Ed25519 / Ed448 (KMIP 2.0+), Sign and
 * Signature Verify.
 *
 * Key model: the pair is generated in the HSM (PKCS#11 v3.0 CKM_EC_EDWARDS_KEY_PAIR_GEN). A key
 * created non-extractable stays resident in the token. An extractable one cannot be wrapped under
 * the master key on SoftHSM2 2.6 (C_WrapKey answers CKR_KEY_NOT_WRAPPABLE for CKK_EC_EDWARDS), so
 * the provider hands back its PKCS#8 (RFC 8410) and the caller keeps it wrapped as a secret value,
 * like a registered private key; signing imports it into the HSM as a transient object. Public keys
 * are DER SubjectPublicKeyInfo (RFC 8410 §4). EdDSA signs the message itself: no Digested Data.
 */
import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign as nodeSign, verify as nodeVerify } from 'node:crypto';

import { CryptoError, type CryptoProvider, type KeyRef } from './provider.js';

export type EdCurve = 'Ed25519' | 'Ed448';

/** RFC 8410 OIDs (DER, with tag), key and signature sizes. */
export const ED_CURVES: Readonly<Record<EdCurve, { readonly oid: string; readonly keyBytes: number; readonly sigBytes: number; readonly node: 'ed25519' | 'ed448' }>> = {
  Ed25519: { oid: '06032b6570', keyBytes: 32, sigBytes: 64, node: 'ed25519' },
  Ed448: { oid: '06032b6571', keyBytes: 57, sigBytes: 114, node: 'ed448' },
};

/** A private key to sign with: resident in the token, or PKCS#8 the caller unwrapped. */
export type EdPrivateKey = (KeyRef & { readonly kind: 'resident' }) | { readonly kind: 'der'; readonly der: Uint8Array };

export interface GeneratedEdPair {
  /** Resident (not extractable), or the PKCS#8 for the caller to keep wrapped. */
  readonly privateKey: (KeyRef & { readonly kind: 'resident' }) | { readonly kind: 'pkcs8'; readonly der: Uint8Array };
  /** DER SubjectPublicKeyInfo. */
  readonly publicKey: Uint8Array;
}

export interface EdDsaProvider {
  /** Generates an Ed25519 / Ed448 pair in the HSM; UNSUPPORTED when the module has no EdDSA. */
  generateEdDsaKeyPair(curve: EdCurve, extractable: boolean): Promise<GeneratedEdPair>;
  /** Signs `data` (the message, RFC 8032 "pure" EdDSA) inside the HSM. */
  signEdDsa(key: EdPrivateKey, curve: EdCurve, data: Uint8Array): Promise<Uint8Array>;
}

const METHODS = ['generateEdDsaKeyPair', 'signEdDsa'] as const;

/** The provider's EdDSA services, or undefined when it has none. */
export function edDsaProviderOf(p: CryptoProvider): (CryptoProvider & EdDsaProvider) | undefined {
  const o = p as unknown as Record<string, unknown>;
  return METHODS.every((m) => typeof o[m] === 'function') ? (p as CryptoProvider & EdDsaProvider) : undefined;
}

/** SubjectPublicKeyInfo of a raw public key (RFC 8410 §4). */
export function edSpki(curve: EdCurve, raw: Uint8Array): Uint8Array {
  const c = ED_CURVES[curve];
  if (raw.length !== c.keyBytes) throw new CryptoError('HSM_ERROR', 'unexpected EdDSA public key length');
  const alg = Buffer.concat([Buffer.from([0x30, c.oid.length / 2]), Buffer.from(c.oid, 'hex')]);
  const bits = Buffer.concat([Buffer.from([0x03, raw.length + 1, 0]), raw]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30, alg.length + bits.length]), alg, bits]));
}

/** PKCS#8 OneAsymmetricKey of a raw private key (RFC 8410 §7). */
export function edPkcs8(curve: EdCurve, raw: Uint8Array): Buffer {
  const c = ED_CURVES[curve];
  const inner = Buffer.concat([Buffer.from([0x04, raw.length]), raw]);
  const body = Buffer.concat([Buffer.from('020100', 'hex'), Buffer.from([0x30, c.oid.length / 2]), Buffer.from(c.oid, 'hex'), Buffer.from([0x04, inner.length]), inner]);
  inner.fill(0);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/** The raw private key inside a PKCS#8 of `curve`; BAD_KEY when it is not one. */
export function edRawPrivate(der: Uint8Array, curve: EdCurve): Buffer {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  } catch {
    throw new CryptoError('BAD_KEY', 'the private key is not a valid PKCS#8 encoding');
  }
  if (key.asymmetricKeyType !== ED_CURVES[curve].node) throw new CryptoError('UNSUPPORTED', `the key is not an ${curve} key`);
  return Buffer.from(key.export({ format: 'jwk' }).d ?? '', 'base64url');
}

/** The curve of an EdDSA SubjectPublicKeyInfo, or undefined for other keys. */
export function edCurveOf(spki: Uint8Array): EdCurve | undefined {
  try {
    const t = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).asymmetricKeyType;
    return t === 'ed25519' ? 'Ed25519' : t === 'ed448' ? 'Ed448' : undefined;
  } catch {
    return undefined;
  }
}

/** Signature Verify needs only the public key: node:crypto. A malformed signature is invalid. */
export function verifyEdDsa(spki: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    throw new CryptoError('BAD_KEY', 'the public key is not a valid SubjectPublicKeyInfo');
  }
  if (key.asymmetricKeyType !== 'ed25519' && key.asymmetricKeyType !== 'ed448') throw new CryptoError('UNSUPPORTED', 'not an EdDSA public key');
  try {
    return nodeVerify(null, Buffer.from(data), key, Buffer.from(signature));
  } catch {
    return false;
  }
}

/** EdDSA in node:crypto for the in-memory fake provider (NOT for production; same contract). */
export function nodeEdDsa(resident: Map<string, Buffer>): EdDsaProvider {
  return {
    async generateEdDsaKeyPair(curve, extractable) {
      const pair = curve === 'Ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ed448');
      const der = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
      const publicKey = new Uint8Array(pair.publicKey.export({ format: 'der', type: 'spki' }));
      if (extractable) return { privateKey: { kind: 'pkcs8', der: new Uint8Array(der) }, publicKey };
      const id = randomBytes(16).toString('hex');
      resident.set(id, der);
      return { privateKey: { kind: 'resident', id }, publicKey };
    },
    async signEdDsa(key, curve, data) {
      const der = key.kind === 'der' ? Buffer.from(key.der) : resident.get(key.id);
      if (der === undefined) throw new CryptoError('BAD_KEY', 'resident key not found in the token');
      edRawPrivate(der, curve).fill(0); // checks the curve
      return new Uint8Array(nodeSign(null, Buffer.from(data), createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })));
    },
  };
}
