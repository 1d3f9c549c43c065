/**
 * Asymmetric keys on the PKCS#11 token (see ../asymmetric.ts for the model).
 *
 * - Generation: C_GenerateKeyPairAsync (worker thread). The public half is a session object read
 *   once (CKA_MODULUS/CKA_PUBLIC_EXPONENT or CKA_EC_POINT) into DER SubjectPublicKeyInfo and
 *   destroyed. The private half is wrapped under the master key with the provider's mechanism
 *   (CKM_AES_KEY_WRAP_PAD: the module wraps the PKCS#8 encoding) and destroyed, or kept as a
 *   non-extractable token object found by a random CKA_ID.
 * - Signing: the wrapped key is unwrapped into a sensitive, non-extractable session object,
 *   C_SignAsync runs over the digest (hashed here: the data is the client's, not secret), and the
 *   object is destroyed. Mechanisms: CKM_RSA_PKCS over DER DigestInfo, CKM_RSA_PKCS_PSS, CKM_ECDSA.
 */
import { createECDH, createHash, createPrivateKey, randomBytes } from 'node:crypto';

import pkcs11js from 'pkcs11js';
import type { ECDH1, Handle, Mechanism, PKCS11, Template } from 'pkcs11js';

import { slowJobs } from '../slow-jobs.js';

import {
  type AsymmetricAlgorithm,
  CURVES,
  checkCurve,
  checkRsaBits,
  curveOfOid,
  digestFor,
  ecPublicPoint,
  ecdsaToRaw,
  effectiveSignatureParams,
  pkcs1SignatureInput,
  ecdsaRawToDer,
  type GenerateKeyPairRequest,
  type GeneratedKeyPair,
  hashLength,
  type NamedCurve,
  type PrivateKeySource,
  type WrappedDerivedKey,
  type RsaCipherParams,
  type SignatureHash,
  type SignatureParams,
  spkiFromJwk,
  verifySignature,
} from '../asymmetric.js';
import { CryptoError, type KeyRef } from '../provider.js';
import { WRAP_MECHANISMS } from './algorithms.js';
import { p11, p11Async } from './ckr.js';
import type { KeyHandleCache } from './key-cache.js';
import { derivedSecretTemplate, destroyQuietly, findObjects } from './objects.js';
import { rsaDecryptIn, rsaEncryptIn } from './rsa-cipher.js';
import type { SessionPool } from './session-pool.js';
import type { MasterKeyWrapper } from './wrapping.js';

/** Largest wrapped private key we accept: RSA-4096 PKCS#8 is ~2.4 KB. */
const MAX_PRIVATE_BLOB = 8192;

const HASH_MECH: Readonly<Record<SignatureHash, { mech: number; mgf: number }>> = {
  'SHA-1': { mech: pkcs11js.CKM_SHA_1, mgf: pkcs11js.CKG_MGF1_SHA1 },
  'SHA-224': { mech: pkcs11js.CKM_SHA224, mgf: pkcs11js.CKG_MGF1_SHA224 },
  'SHA-256': { mech: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256 },
  'SHA-384': { mech: pkcs11js.CKM_SHA384, mgf: pkcs11js.CKG_MGF1_SHA384 },
  'SHA-512': { mech: pkcs11js.CKM_SHA512, mgf: pkcs11js.CKG_MGF1_SHA512 },
};

const b64u = (b: Buffer): string => b.toString('base64url');
const fromB64u = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'base64url');

/** Search template of a resident private key by CKA_ID. */
export function residentPrivateSearch(idHex: string): Template {
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
    { type: pkcs11js.CKA_TOKEN, value: true },
    { type: pkcs11js.CKA_ID, value: Buffer.from(idHex, 'hex') },
  ];
}

/** The EC point out of CKA_EC_POINT: a DER OCTET STRING (v2.40 §2.3.3), or raw from some modules. */
function ecPoint(value: Buffer, curve: NamedCurve): Buffer {
  const raw = 1 + 2 * CURVES[curve].bytes;
  if (value.length === raw) return value;
  if (value[0] !== 0x04) throw new CryptoError('HSM_ERROR', 'unexpected CKA_EC_POINT encoding');
  const hdr = (value[1] as number) < 0x80 ? 2 : 2 + ((value[1] as number) & 0x7f);
  return value.subarray(hdr);
}

function attrBuf(mod: PKCS11, session: Handle, obj: Handle, types: number[]): Buffer[] {
  const got = p11('read-attribute', () => mod.C_GetAttributeValue(session, obj, types.map((type) => ({ type }))));
  return got.map((a) => {
    if (!Buffer.isBuffer(a.value)) throw new CryptoError('HSM_ERROR', 'PKCS#11 module returned no attribute value');
    return a.value;
  });
}

/** Private-key template for C_CreateObject of a DER key (registered keys), from its JWK. */
function importTemplate(der: PrivateKeySource & { kind: 'der' }): { algorithm: AsymmetricAlgorithm; template: Template; wipe: Buffer[] } {
  let jwk: Record<string, string>;
  try {
    jwk = createPrivateKey({ key: Buffer.from(der.der), format: 'der', type: der.format }).export({ format: 'jwk' }) as Record<string, string>;
  } catch {
    throw new CryptoError('BAD_KEY', 'the private key is not a valid DER encoding');
  }
  const base: Template = [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
    { type: pkcs11js.CKA_TOKEN, value: false },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_SIGN, value: true },
  ];
  if (jwk['kty'] === 'RSA') {
    const parts: Array<[number, string]> = [
      [pkcs11js.CKA_MODULUS, 'n'],
      [pkcs11js.CKA_PUBLIC_EXPONENT, 'e'],
      [pkcs11js.CKA_PRIVATE_EXPONENT, 'd'],
      [pkcs11js.CKA_PRIME_1, 'p'],
      [pkcs11js.CKA_PRIME_2, 'q'],
      [pkcs11js.CKA_EXPONENT_1, 'dp'],
      [pkcs11js.CKA_EXPONENT_2, 'dq'],
      [pkcs11js.CKA_COEFFICIENT, 'qi'],
    ];
    const values = parts.map(([type, k]) => ({ type, value: fromB64u(jwk[k]) }));
    const rsaUse: Template = [
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
      { type: pkcs11js.CKA_DECRYPT, value: true },
      { type: pkcs11js.CKA_UNWRAP, value: true },
    ];
    return { algorithm: 'RSA', template: [...base, ...rsaUse, ...values], wipe: values.map((v) => v.value) };
  }
  const curve = (Object.keys(CURVES) as NamedCurve[]).find((c) => c === jwk['crv']);
  if (jwk['kty'] !== 'EC' || curve === undefined) throw new CryptoError('UNSUPPORTED', 'unsupported private key type');
  const d = fromB64u(jwk['d']);
  return {
    algorithm: 'EC',
    template: [
      ...base,
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC },
      { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from(CURVES[curve].oid, 'hex') },
      { type: pkcs11js.CKA_VALUE, value: d },
      { type: pkcs11js.CKA_DERIVE, value: true },
    ],
    wipe: [d],
  };
}

/** The mechanism and input of a signature over `data`. */
function signInput(params: SignatureParams, data: Uint8Array): { mechanism: Mechanism; input: Buffer } {
  const p = effectiveSignatureParams(params, data);
  switch (p.scheme) {
    case 'PKCS1v15':
      return { mechanism: { mechanism: pkcs11js.CKM_RSA_PKCS }, input: pkcs1SignatureInput(p, data) };
    case 'PSS': {
      if (p.digested && p.hashImplied) throw new CryptoError('UNSUPPORTED', 'Digested Data has the length of no supported hash; name the Hashing Algorithm');
      const h = HASH_MECH[p.hash];
      const parameter = { type: pkcs11js.CK_PARAMS_RSA_PSS, hashAlg: h.mech, mgf: h.mgf, saltLen: hashLength(p.hash) };
      return { mechanism: { mechanism: pkcs11js.CKM_RSA_PKCS_PSS, parameter }, input: digestFor(p, data) };
    }
    case 'ECDSA':
      return { mechanism: { mechanism: pkcs11js.CKM_ECDSA }, input: digestFor(p, data) };
  }
}

/** The asymmetric half of the PKCS#11 provider; built by Pkcs11CryptoProvider. */
/** Return codes meaning a cached key handle no longer names an object. */
const STALE_HANDLE = new Set<number>([pkcs11js.CKR_KEY_HANDLE_INVALID, pkcs11js.CKR_OBJECT_HANDLE_INVALID]);

/**
 * Cache key of an unwrapped private key: algorithm, wrap and master key, and a digest of the blob
 * (up to several KiB for RSA; ciphertext under the master key either way).
 */
function privateCacheKey(ref: KeyRef & { kind: 'wrapped' }, algorithm: AsymmetricAlgorithm): string {
  return `private:${algorithm}:${ref.mechanism}:${ref.masterKeyLabel}:${createHash('sha256').update(ref.blob).digest('base64url')}`;
}

export class Pkcs11Asymmetric {
  /**
   * @param cache unwrapped private-key objects for Sign, RSA Decrypt and ECDH, like the symmetric
   *   key cache: a burst of Signs with one key unwraps it once instead of per request (C_UnwrapKey
   *   of a private key, a PKCS#8 parse in the module, plus C_DestroyObject, each time).
   */
  constructor(
    private readonly module: () => PKCS11,
    private readonly pool: SessionPool,
    private readonly wrapper: MasterKeyWrapper,
    private readonly cache?: KeyHandleCache,
  ) {}

  /** Forgets a wrapped private key's cached object (its object was destroyed in the store). */
  evictCached(ref: KeyRef & { kind: 'wrapped' }, session: Handle): void {
    for (const algorithm of ['RSA', 'EC'] as const) this.cache?.evict(privateCacheKey(ref, algorithm), session);
  }

  private get mod(): PKCS11 {
    return this.module();
  }

  async generateKeyPair(req: GenerateKeyPairRequest): Promise<GeneratedKeyPair> {
    let mechanism: Mechanism;
    let pubTemplate: Template;
    let keyType: number;
    if (req.algorithm === 'RSA') {
      checkRsaBits(req.bits);
      mechanism = { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN };
      keyType = pkcs11js.CKK_RSA;
      pubTemplate = [
        { type: pkcs11js.CKA_MODULUS_BITS, value: req.bits },
        { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
      ];
    } else {
      const curve = checkCurve(req.curve);
      mechanism = { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN };
      keyType = pkcs11js.CKK_EC;
      pubTemplate = [{ type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from(CURVES[curve].oid, 'hex') }];
    }
    const id = req.extractable ? undefined : randomBytes(16);
    const privTemplate: Template = [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: keyType },
      { type: pkcs11js.CKA_TOKEN, value: id !== undefined },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
      { type: pkcs11js.CKA_EXTRACTABLE, value: req.extractable },
      { type: pkcs11js.CKA_SIGN, value: true },
      // EC keys also agree keys (ECDH, KMIP Derive Key).
      ...(req.algorithm === 'EC' ? [{ type: pkcs11js.CKA_DERIVE, value: true }] : []),
      ...(req.algorithm === 'RSA'
        ? [
            { type: pkcs11js.CKA_DECRYPT, value: true },
            { type: pkcs11js.CKA_UNWRAP, value: true },
          ]
        : []),
      ...(id ? [{ type: pkcs11js.CKA_ID, value: id }] : []),
    ];
    const pub: Template = [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: keyType },
      { type: pkcs11js.CKA_TOKEN, value: false },
      { type: pkcs11js.CKA_VERIFY, value: true },
      ...pubTemplate,
    ];
    // RSA generation holds a libuv pool thread for up to seconds: through the slow-job gate
    // (../slow-jobs.ts), so that LevelDB writes always find a thread. EC takes milliseconds.
    const generate = (): Promise<GeneratedKeyPair> => this.pool.use(async (session) => {
      const pair = await p11Async('generate', () => this.mod.C_GenerateKeyPairAsync(session, mechanism, pub, privTemplate));
      let keep = false;
      try {
        const publicKey = this.readPublic(session, pair.publicKey, req);
        if (id) {
          keep = true;
          return { privateKey: { kind: 'resident', id: id.toString('hex') }, publicKey };
        }
        return { privateKey: await this.wrapPrivate(session, pair.privateKey), publicKey };
      } finally {
        destroyQuietly(this.mod, session, pair.publicKey);
        if (!keep) destroyQuietly(this.mod, session, pair.privateKey);
      }
    });
    return req.algorithm === 'RSA' ? slowJobs.run(generate) : generate();
  }

  async exportPrivateKey(ref: KeyRef, algorithm: AsymmetricAlgorithm): Promise<Uint8Array> {
    if (ref.kind === 'resident') throw new CryptoError('NOT_EXTRACTABLE', 'the key is not extractable from the HSM');
    return this.pool.use(async (session) => {
      const key = await this.unwrap(session, ref, algorithm, 'export');
      const wipe: Buffer[] = [];
      try {
        let jwk: Record<string, string>;
        if (algorithm === 'RSA') {
          const v = attrBuf(this.mod, session, key, [
            pkcs11js.CKA_MODULUS,
            pkcs11js.CKA_PUBLIC_EXPONENT,
            pkcs11js.CKA_PRIVATE_EXPONENT,
            pkcs11js.CKA_PRIME_1,
            pkcs11js.CKA_PRIME_2,
            pkcs11js.CKA_EXPONENT_1,
            pkcs11js.CKA_EXPONENT_2,
            pkcs11js.CKA_COEFFICIENT,
          ]);
          wipe.push(...v);
          const [n, e, d, p, q, dp, dq, qi] = v.map(b64u);
          jwk = { kty: 'RSA', n: n!, e: e!, d: d!, p: p!, q: q!, dp: dp!, dq: dq!, qi: qi! };
        } else {
          const [params, value] = attrBuf(this.mod, session, key, [pkcs11js.CKA_EC_PARAMS, pkcs11js.CKA_VALUE]);
          wipe.push(value!);
          const curve = curveOfOid(params!.toString('hex'));
          if (!curve) throw new CryptoError('UNSUPPORTED', 'the key is on an unsupported curve');
          const d = Buffer.alloc(CURVES[curve].bytes);
          value!.copy(d, d.length - value!.length);
          wipe.push(d);
          const ecdh = createECDH(CURVES[curve].node);
          ecdh.setPrivateKey(d);
          const point = ecdh.getPublicKey();
          const n = CURVES[curve].bytes;
          jwk = { kty: 'EC', crv: curve, x: b64u(point.subarray(1, 1 + n)), y: b64u(point.subarray(1 + n)), d: b64u(d) };
        }
        return new Uint8Array(createPrivateKey({ key: jwk, format: 'jwk' }).export({ format: 'der', type: 'pkcs8' }));
      } finally {
        for (const b of wipe) b.fill(0);
        destroyQuietly(this.mod, session, key);
      }
    });
  }

  async sign(source: PrivateKeySource, algorithm: AsymmetricAlgorithm, params: SignatureParams, data: Uint8Array): Promise<Uint8Array> {
    if ((params.scheme === 'ECDSA') !== (algorithm === 'EC')) throw new CryptoError('UNSUPPORTED', 'the signature scheme does not match the key');
    const { mechanism, input } = signInput(params, data);
    return this.withPrivateKey(source, algorithm, async (session, key) => {
      p11('crypto', () => this.mod.C_SignInit(session, mechanism, key));
      const out = await p11Async('crypto', () => this.mod.C_SignAsync(session, input, Buffer.alloc(1024)));
      return algorithm === 'EC' ? new Uint8Array(ecdsaRawToDer(out)) : Uint8Array.from(out);
    });
  }

  /**
   * ECDH (KMIP Derive Key, Asymmetric Key): CKM_ECDH1_DERIVE with CKD_NULL (the raw shared
   * secret) into a transient generic secret of the field size, read once and destroyed. The
   * private key is used as any other (withPrivateKey: unwrapped into a session object, or the
   * resident token object). The peer point is checked to be on the key's curve first.
   */
  async ecdhSharedSecret(source: PrivateKeySource, peerSpki: Uint8Array): Promise<Uint8Array> {
    const peer = ecdhPeer(peerSpki);
    return this.withPrivateKey(source, 'EC', async (session, key) => {
      const secret = await this.ecdhDeriveIn(session, key, peer, [{ type: pkcs11js.CKA_SENSITIVE, value: false }]);
      try {
        const [z] = attrBuf(this.mod, session, secret, [pkcs11js.CKA_VALUE]);
        const out = Uint8Array.from(z!);
        z!.fill(0);
        return out;
      } finally {
        destroyQuietly(this.mod, session, secret);
      }
    });
  }

  /**
   * ECDH into the HSM (KMIP Derive Key, Asymmetric Key) without the shared secret entering this
   * process: CKM_ECDH1_DERIVE with CKD_NULL into a transient generic secret (CKA_TOKEN false,
   * CKA_SENSITIVE true, CKA_EXTRACTABLE true), its SHA-256 taken in the HSM (C_DigestKey, for the
   * Digest attribute), wrapped under the master key as created keys are, then destroyed.
   * SoftHSM2 2.6 cuts a shorter CKA_VALUE_LEN from the END of Z (probed: RFC 5903 §8.1 with 16
   * bytes gives Z[16..32]), whereas KMIP's key is its leading bytes, and it has no
   * CKM_EXTRACT_KEY_FROM_KEY; so only the full field size is derived here and any other length
   * answers undefined (the caller then derives through ecdhSharedSecret).
   */
  async ecdhDeriveWrapped(source: PrivateKeySource, peerSpki: Uint8Array, length: number): Promise<WrappedDerivedKey | undefined> {
    const peer = ecdhPeer(peerSpki);
    const bytes = CURVES[peer.curve].bytes;
    if (length !== bytes) return undefined;
    this.wrapper.checkWrappable(bytes);
    return this.withPrivateKey(source, 'EC', async (session, key) => {
      const secret = await this.ecdhDeriveIn(session, key, peer, [
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
      ]);
      try {
        return await this.wrapper.wrapDerived(session, secret, bytes);
      } finally {
        destroyQuietly(this.mod, session, secret);
      }
    });
  }

  /**
   * CKM_ECDH1_DERIVE (CKD_NULL) of `key` with the peer point into a transient, extractable
   * generic secret of the curve's full size, after checking that `key` is on the peer's curve;
   * `protection` adds the secret's CKA_PRIVATE / CKA_SENSITIVE. The caller destroys the object.
   */
  private async ecdhDeriveIn(session: Handle, key: Handle, peer: EcdhPeer, protection: Template): Promise<Handle> {
    const [params] = attrBuf(this.mod, session, key, [pkcs11js.CKA_EC_PARAMS]);
    if (curveOfOid(params!.toString('hex')) !== peer.curve) throw new CryptoError('UNSUPPORTED', 'the peer key is on another curve');
    const parameter: ECDH1 = { type: pkcs11js.CK_PARAMS_EC_DH, kdf: pkcs11js.CKD_NULL, publicData: peer.point };
    const mechanism: Mechanism = { mechanism: pkcs11js.CKM_ECDH1_DERIVE, parameter };
    const template = derivedSecretTemplate(CURVES[peer.curve].bytes, protection);
    return p11Async('crypto', () => this.mod.C_DeriveKeyAsync(session, mechanism, key, template));
  }

  /** Encrypts with an RSA public key in the module (KMIP Encrypt); see rsa-cipher.ts. */
  rsaEncrypt(spki: Uint8Array, params: RsaCipherParams, data: Uint8Array): Promise<Uint8Array> {
    return this.pool.use((session) => rsaEncryptIn(this.mod, session, spki, params, data));
  }

  /** Decrypts with an RSA private key that stays in the module (KMIP Decrypt). */
  rsaDecrypt(source: PrivateKeySource, params: RsaCipherParams, data: Uint8Array): Promise<Uint8Array> {
    return this.withPrivateKey(source, 'RSA', (session, key) => rsaDecryptIn(this.mod, session, key, params, data));
  }

  /**
   * Lends a usable object of the private key to `fn`: a registered DER key imported as a
   * transient, sensitive object; a resident key found by CKA_ID; a wrapped key unwrapped under
   * the master key. Transient objects are destroyed when `fn` settles.
   */
  async withPrivateKey<T>(source: PrivateKeySource, algorithm: AsymmetricAlgorithm, fn: (session: Handle, key: Handle) => Promise<T>): Promise<T> {
    return this.pool.use(async (session) => {
      let key: Handle;
      let transient = true;
      if (source.kind === 'der') {
        const t = importTemplate(source);
        if (t.algorithm !== algorithm) {
          for (const b of t.wipe) b.fill(0);
          throw new CryptoError('UNSUPPORTED', 'the key does not match the algorithm');
        }
        try {
          key = p11('create', () => this.mod.C_CreateObject(session, t.template));
        } finally {
          for (const b of t.wipe) b.fill(0);
        }
      } else if (source.kind === 'resident') {
        const found = findObjects(this.mod, session, residentPrivateSearch(source.id))[0];
        if (!found) throw new CryptoError('BAD_KEY', 'resident key not found in the token');
        key = found;
        transient = false;
      } else if (this.cache !== undefined) {
        const ck = privateCacheKey(source, algorithm);
        const entry = this.cache.acquire(ck) ?? this.cache.add(ck, await this.unwrap(session, source, algorithm, 'use'), true, session);
        try {
          return await fn(session, entry.handle);
        } catch (err) {
          // The object went away (its session was replaced): look it up afresh next time.
          if (err instanceof CryptoError && err.ckr !== undefined && STALE_HANDLE.has(err.ckr)) this.cache.evict(ck, session);
          throw err;
        } finally {
          this.cache.release(entry, session);
        }
      } else {
        key = await this.unwrap(session, source, algorithm, 'use');
      }
      try {
        return await fn(session, key);
      } finally {
        if (transient) destroyQuietly(this.mod, session, key);
      }
    });
  }

  /**
   * Signature Verify with the public key: node:crypto, except ECDSA over Digested Data, which
   * node:crypto cannot do without hashing again; the module verifies that (CKM_ECDSA).
   */
  async verify(spki: Uint8Array, algorithm: AsymmetricAlgorithm, params: SignatureParams, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
    if (!(params.scheme === 'ECDSA' && params.digested && algorithm === 'EC')) return verifySignature(spki, algorithm, params, data, signature);
    const { curve, point } = ecPublicPoint(spki);
    const raw = ecdsaToRaw(signature, CURVES[curve].bytes);
    if (!raw) return false;
    return this.verifyEcdsaDigest(curve, point, data, raw);
  }

  private async verifyEcdsaDigest(curve: NamedCurve, point: Buffer, digest: Uint8Array, rawSignature: Buffer): Promise<boolean> {
    return this.pool.use(async (session) => {
      const octet = Buffer.concat([Buffer.from(point.length < 0x80 ? [0x04, point.length] : [0x04, 0x81, point.length]), point]);
      const key = p11('create', () =>
        this.mod.C_CreateObject(session, [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
          { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_EC },
          { type: pkcs11js.CKA_TOKEN, value: false },
          { type: pkcs11js.CKA_VERIFY, value: true },
          { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from(CURVES[curve].oid, 'hex') },
          { type: pkcs11js.CKA_EC_POINT, value: octet },
        ]),
      );
      try {
        p11('crypto', () => this.mod.C_VerifyInit(session, { mechanism: pkcs11js.CKM_ECDSA }, key));
        try {
          return await this.mod.C_VerifyAsync(session, Buffer.from(digest), rawSignature);
        } catch (err) {
          const e = err as { code?: number };
          if (e.code === pkcs11js.CKR_SIGNATURE_INVALID || e.code === pkcs11js.CKR_SIGNATURE_LEN_RANGE) return false;
          throw err;
        }
      } finally {
        destroyQuietly(this.mod, session, key);
      }
    });
  }

  /** Removes a resident private key (Destroy); missing is fine. */
  destroyResident(id: string): Promise<void> {
    return this.pool.use((session) => {
      for (const h of findObjects(this.mod, session, residentPrivateSearch(id))) {
        p11('destroy', () => this.mod.C_DestroyObject(session, h));
      }
    });
  }

  private readPublic(session: Handle, pub: Handle, req: GenerateKeyPairRequest): Uint8Array {
    if (req.algorithm === 'RSA') {
      const [n, e] = attrBuf(this.mod, session, pub, [pkcs11js.CKA_MODULUS, pkcs11js.CKA_PUBLIC_EXPONENT]);
      return spkiFromJwk({ kty: 'RSA', n: b64u(n!), e: b64u(e!) });
    }
    const [raw] = attrBuf(this.mod, session, pub, [pkcs11js.CKA_EC_POINT]);
    const point = ecPoint(raw!, req.curve);
    const n = CURVES[req.curve].bytes;
    return spkiFromJwk({ kty: 'EC', crv: req.curve, x: b64u(point.subarray(1, 1 + n)), y: b64u(point.subarray(1 + n)) });
  }

  private async wrapPrivate(session: Handle, key: Handle): Promise<KeyRef> {
    // The module wraps the PKCS#8 encoding; its length is not known beforehand, so the output
    // buffer is the bound and the ref records no value length.
    const { valueLength: _ignored, ...ref } = (await this.wrapper.wrap(session, key, MAX_PRIVATE_BLOB - 16)) as KeyRef & { kind: 'wrapped' };
    return ref;
  }

  private unwrap(session: Handle, ref: KeyRef & { kind: 'wrapped' }, algorithm: AsymmetricAlgorithm, purpose: 'export' | 'use'): Promise<Handle> {
    const mech = WRAP_MECHANISMS[ref.mechanism];
    if (mech === undefined) throw new CryptoError('UNSUPPORTED', `unknown wrapping mechanism ${ref.mechanism}`);
    if (ref.blob.length < 24 || ref.blob.length > MAX_PRIVATE_BLOB || ref.blob.length % 8 !== 0) {
      throw new CryptoError('BAD_KEY', 'wrapped key blob has an impossible length');
    }
    const master = this.wrapper.masterKey(session, ref.masterKeyLabel);
    const exporting = purpose === 'export';
    const template: Template = [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: algorithm === 'RSA' ? pkcs11js.CKK_RSA : pkcs11js.CKK_EC },
      { type: pkcs11js.CKA_TOKEN, value: false },
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: !exporting },
      { type: pkcs11js.CKA_EXTRACTABLE, value: exporting },
      { type: pkcs11js.CKA_SIGN, value: !exporting },
      // RSA keys also decrypt and unwrap (KMIP Decrypt, RSA key transport).
      ...(algorithm === 'EC' && !exporting ? [{ type: pkcs11js.CKA_DERIVE, value: true }] : []),
      ...(algorithm === 'RSA' && !exporting
        ? [
            { type: pkcs11js.CKA_DECRYPT, value: true },
            { type: pkcs11js.CKA_UNWRAP, value: true },
          ]
        : []),
    ];
    return p11Async('unwrap', () => this.mod.C_UnwrapKeyAsync(session, { mechanism: mech }, master, Buffer.from(ref.blob), template));
  }
}

interface EcdhPeer {
  readonly curve: NamedCurve;
  readonly point: Buffer;
}

/** The peer's curve and point from its SubjectPublicKeyInfo, or UNSUPPORTED. */
function ecdhPeer(peerSpki: Uint8Array): EcdhPeer {
  try {
    return ecPublicPoint(peerSpki);
  } catch {
    throw new CryptoError('UNSUPPORTED', 'the peer key is not an EC public key on a supported curve');
  }
}
