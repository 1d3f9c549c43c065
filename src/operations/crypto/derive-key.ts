/**
 * Derive Key. KMIP 1.4 §4.6, 2.1 §6.1.15. Derives a Symmetric Key or Secret Data from one base
 * object (a Symmetric Key or Secret Data whose Cryptographic Usage Mask has Derive Key) and
 * registers it as a new managed object, kept like a registered one (objects/register.ts: an AES,
 * 3DES or HMAC key the HSM can hold is imported into it and stored wrapped under the master key;
 * any other value is wrapped as a generic secret). Links: Derivation Base Object on the new
 * object, Derived Key on the base (1.4 §3.35, 2.1 §4.35).
 *
 * Methods (Derivation Parameters: Cryptographic Parameters, Initialization Vector, Derivation
 * Data, Salt, Iteration Count):
 * - ENCRYPT: the Derivation Data encrypted with the base key under the Cryptographic Parameters,
 *   in the HSM for AES and 3DES (the base key may be non-extractable): where the HSM can make the
 *   exact leading bytes (CBC with a given IV, ECB up to one block; pkcs11/encrypt-derive.ts) the
 *   derived key is made and wrapped there and never enters this process (encryptDeriveInHsm), else
 *   by C_Encrypt, the ciphertext passing through this process once. A Blowfish key
 *   (PyKMIP's interop vector) is kept as a generic secret, since neither the HSM nor Node's
 *   OpenSSL 3 has Blowfish; it is used in process (derive/blowfish.ts), if extractable.
 * - HMAC without Salt: HMAC(base, Derivation Data), truncated (OASIS TC-DERIVEKEY-2). With a Salt:
 *   HKDF (RFC 5869) with that salt and the Derivation Data as info, which is what PyKMIP's server
 *   computes for HMAC (its interop vector is RFC 5869 test case 7).
 * - NIST800-108-C, -F and -DPI: SP 800-108 counter, feedback (the Initialization Vector is K(0))
 *   and double-pipeline modes with HMAC, the counter 32 bits (see derive/kdf.ts).
 * - HMAC and NIST800-108-C/-F/-DPI run in the HSM (C_Sign with the base key) when the base is an HSM key
 *   and the hash is one SoftHSM2 implements as HMAC; otherwise in process from the value.
 * - HASH: the hash of the base object's value (OASIS TC-DERIVEKEY-1); with Derivation Data too it
 *   is refused (Invalid Field), as PyKMIP does, rather than guess a combination.
 * - PBKDF2 (RFC 8018; Hashing Algorithm default SHA-1, Salt and Iteration Count required) and
 *   HKDF (2.1) in process: SoftHSM2 has neither mechanism.
 * - Asymmetric Key: ECDH of the caller's EC private key and the other party's public key, in the
 *   HSM (derive/ecdh.ts); a full-length result is wrapped there and never enters this process.
 * What stays in process and why (SoftHSM2 2.6 lacks the mechanisms): src/crypto/pkcs11/README.md,
 * "Derive Key: what runs in the HSM". In-process values are zeroed right after they are wrapped.
 * - AWS Signature Version 4: Feature Not Supported.
 * In-process methods need the base object's value: a base with Extractable = False (or resident
 * in the HSM) is refused with Not Extractable (Permission Denied before 1.4), never exported.
 *
 * The base may be Pre-Active or Active: KMIP names no State for Derive Key, and PyKMIP's clients
 * (its upstream suite) derive from freshly registered, never activated objects. A Deactivated,
 * Compromised or Destroyed base derives nothing (Wrong Key Lifecycle State; 1.x Permission Denied).
 */
import type { WrappedDerivedKey } from '../../crypto/asymmetric.js';
import { type CipherParams, type HashAlgorithm, HASH_LENGTHS } from '../../crypto/cipher.js';
import { encryptDeriveProviderOf } from '../../crypto/encrypt-derive.js';
import { type Attribute, decodeRequestAttributes } from '../../kmip/attributes.js';
import type { Fields } from '../../kmip/fields.js';
import { KmipError, featureNotSupported, invalidField, missingData } from '../../kmip/errors.js';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  DerivationMethod,
  HashingAlgorithm,
  KeyFormatType,
  LinkType,
  ObjectType,
  Operation,
  PaddingMethod,
  ResultReason,
  SecretDataType,
  State,
  Tag,
} from '../../kmip/generated/index.js';
import type { ObjectContent } from '../../kmip/key-block.js';
import { is2x } from '../../kmip/protocol-version.js';
import { enm, struct, text } from '../../ttlv/build.js';
import { effectiveState, loadCurrent, requireUsage, touched, wrongState } from '../lifecycle/state.js';
import { type ManagedObject, attrNumber, resolveUid, saveObject } from '../objects.js';
import { prewrappedFits, registerObject } from '../objects/register.js';
import { type RequestContext, defineOperation } from '../types.js';
import { cipherServices } from './common.js';
import { blowfishEncrypt } from './derive/blowfish.js';
import { agreementKeys, ecdhDerive, ecdhDeriveInHsm } from './derive/ecdh.js';
import { type Prf, digest, hkdf, hmacPrf, kbkdfCounter, kbkdfDoublePipeline, kbkdfFeedback, pbkdf2Derive } from './derive/kdf.js';
import { secretValue as baseValue } from './derive/value.js';
import { type CryptoParamFields, cipherParams, decodeCryptoParams, withCipherErrors } from './params.js';
import { slowJobs } from '../../crypto/slow-jobs.js';

interface DeriveParams {
  readonly crypto?: CryptoParamFields;
  readonly iv?: Uint8Array;
  readonly data?: Uint8Array;
  readonly salt?: Uint8Array;
  readonly iterations?: number;
}

interface DeriveKeyRequest {
  readonly objectType: number;
  readonly uids: string[];
  readonly method: number;
  readonly params: DeriveParams;
  readonly attributes: Attribute[];
}

/** Largest derived value, in bytes: bounds memory and the HMAC/PBKDF2 block count. */
export const MAX_DERIVED_BYTES = 1024;
/**
 * PBKDF2 work bound: Iteration Count times output blocks, i.e. HMAC pairs computed on one libuv
 * pool thread (about a second or two of one core). Keeps one request from holding a pool thread
 * for minutes; ordinary password hashing (e.g. 600,000 iterations, one block) stays well within it.
 */
export const MAX_PBKDF2_WORK = 4_000_000;
/**
 * Bound on the bytes the HMAC-based KDFs hash: Derivation Data times PRF calls. HKDF and NIST
 * SP 800-108 run the Derivation Data through the PRF once per output block (once more in double
 * pipeline mode), in process on the event loop or in the HSM; 16 MiB of it (a whole message) for
 * 1024 bytes of SHA-1 output would be 832 MiB of hashing. Real fixed input data is tens of bytes.
 */
export const MAX_KDF_INPUT_WORK = 16 * 1024 * 1024;

/** Refuses Derivation Data that the PRF would hash more than MAX_KDF_INPUT_WORK bytes of in all. */
function checkKdfWork(data: Uint8Array, prfCalls: number): void {
  if (data.length * prfCalls > MAX_KDF_INPUT_WORK) {
    throw invalidField(`Derivation Data times PRF calls exceeds ${MAX_KDF_INPUT_WORK} bytes (shorten the Derivation Data or the requested length)`);
  }
}

const HASHES: ReadonlyMap<number, HashAlgorithm> = new Map([
  [HashingAlgorithm.SHA_1, 'SHA-1'],
  [HashingAlgorithm.SHA_224, 'SHA-224'],
  [HashingAlgorithm.SHA_256, 'SHA-256'],
  [HashingAlgorithm.SHA_384, 'SHA-384'],
  [HashingAlgorithm.SHA_512, 'SHA-512'],
]);

/** HMAC algorithms SoftHSM2 implements (C_Sign), by hash. */
const HSM_HMAC: Partial<Record<HashAlgorithm, 'HMAC-SHA1' | 'HMAC-SHA256' | 'HMAC-SHA384' | 'HMAC-SHA512'>> = {
  'SHA-1': 'HMAC-SHA1',
  'SHA-256': 'HMAC-SHA256',
  'SHA-384': 'HMAC-SHA384',
  'SHA-512': 'HMAC-SHA512',
};

function decodeParams(f: Fields | undefined): DeriveParams {
  if (f === undefined) return {};
  const crypto = decodeCryptoParams(f);
  const iv = f.bytes(Tag.InitializationVector);
  const data = f.bytes(Tag.DerivationData);
  const salt = f.bytes(Tag.Salt);
  const iterations = f.int(Tag.IterationCount);
  return {
    ...(crypto !== undefined ? { crypto } : {}),
    ...(iv !== undefined ? { iv } : {}),
    ...(data !== undefined ? { data } : {}),
    ...(salt !== undefined ? { salt } : {}),
    ...(iterations !== undefined ? { iterations } : {}),
  };
}

function hashOf(p: DeriveParams, fallback?: HashAlgorithm): HashAlgorithm {
  const h = p.crypto?.hashingAlgorithm;
  if (h === undefined) {
    if (fallback !== undefined) return fallback;
    throw invalidField('The Derivation Parameters must name a Hashing Algorithm');
  }
  const r = HASHES.get(h);
  if (r === undefined) throw featureNotSupported('Hashing Algorithm not supported for derivation (SHA-1, SHA-224, SHA-256, SHA-384 and SHA-512 are)');
  return r;
}

/** HMAC keyed with the base object: in the HSM when it holds the key, else in process. */
async function basePrf(ctx: RequestContext, base: ManagedObject, hash: HashAlgorithm): Promise<{ prf: Prf; done: () => void }> {
  const hsm = HSM_HMAC[hash];
  if (base.key !== undefined && hsm !== undefined) {
    const cipher = cipherServices(ctx);
    const { ref } = base.key;
    return { prf: (data) => cipher.mac(ref, hsm, data), done: () => undefined };
  }
  const value = await baseValue(ctx, base);
  return { prf: hmacPrf(hash, value), done: () => value.fill(0) };
}

/** The derived value, `length` bytes. */
async function derive(ctx: RequestContext, base: ManagedObject, req: DeriveKeyRequest, length: number): Promise<Uint8Array> {
  const p = req.params;
  switch (req.method) {
    case DerivationMethod.PBKDF2: {
      const hash = hashOf(p, 'SHA-1');
      if (p.salt === undefined) throw invalidField('PBKDF2 needs a Salt');
      if (p.iterations === undefined) throw invalidField('PBKDF2 needs an Iteration Count');
      if (p.iterations < 1) throw invalidField('Iteration Count must be positive');
      if (p.iterations * Math.ceil(length / HASH_LENGTHS[hash]) > MAX_PBKDF2_WORK) {
        throw invalidField(`Iteration Count times output blocks exceeds ${MAX_PBKDF2_WORK}`);
      }
      const password = await baseValue(ctx, base);
      try {
        // Up to MAX_PBKDF2_WORK on a libuv pool thread: through the slow-job gate (crypto/slow-jobs.ts).
        const { salt, iterations } = p;
        return await slowJobs.run(() => pbkdf2Derive(hash, password, salt, iterations, length));
      } finally {
        password.fill(0);
      }
    }
    case DerivationMethod.HASH: {
      const hash = hashOf(p);
      if (p.data !== undefined) throw invalidField('HASH derives from the base object alone; Derivation Data is not taken');
      if (length > HASH_LENGTHS[hash]) throw invalidField('The requested length exceeds the hash output');
      const value = await baseValue(ctx, base);
      try {
        const h = digest(hash, value);
        const out = h.slice(0, length);
        h.fill(0);
        return out;
      } finally {
        value.fill(0);
      }
    }
    case DerivationMethod.HMAC:
    case DerivationMethod.HKDF: {
      const hash = hashOf(p, req.method === DerivationMethod.HKDF ? 'SHA-256' : undefined);
      if (req.method === DerivationMethod.HKDF || p.salt !== undefined) {
        if (length > 255 * HASH_LENGTHS[hash]) throw invalidField('HKDF derives at most 255 hash lengths');
        if (p.data !== undefined) checkKdfWork(p.data, Math.ceil(length / HASH_LENGTHS[hash]));
        const ikm = await baseValue(ctx, base);
        try {
          return hkdf(hash, ikm, p.salt, p.data ?? new Uint8Array(0), length);
        } finally {
          ikm.fill(0);
        }
      }
      if (p.data === undefined) throw invalidField('HMAC derivation needs Derivation Data');
      if (length > HASH_LENGTHS[hash]) throw invalidField('The requested length exceeds the HMAC output (give a Salt for HKDF)');
      const { prf, done } = await basePrf(ctx, base, hash);
      try {
        const m = await prf(p.data);
        const out = m.slice(0, length);
        m.fill(0);
        return out;
      } finally {
        done();
      }
    }
    case DerivationMethod.NIST800_108_C: {
      const hash = hashOf(p);
      if (p.data === undefined) throw invalidField('NIST 800-108 derivation needs Derivation Data (the fixed input data)');
      checkKdfWork(p.data, Math.ceil(length / HASH_LENGTHS[hash]));
      const { prf, done } = await basePrf(ctx, base, hash);
      try {
        return await kbkdfCounter(prf, HASH_LENGTHS[hash], p.data, length);
      } finally {
        done();
      }
    }
    case DerivationMethod.NIST800_108_F:
    case DerivationMethod.NIST800_108_DPI: {
      const hash = hashOf(p);
      if (p.data === undefined) throw invalidField('NIST 800-108 derivation needs Derivation Data (the fixed input data)');
      const feedback = req.method === DerivationMethod.NIST800_108_F;
      if (!feedback && p.iv !== undefined) throw invalidField('Double-pipeline mode takes no Initialization Vector');
      // Double pipeline hashes the fixed input once more, for A(1).
      checkKdfWork(p.data, Math.ceil(length / HASH_LENGTHS[hash]) + (feedback ? 0 : 1));
      const { prf, done } = await basePrf(ctx, base, hash);
      try {
        const hl = HASH_LENGTHS[hash];
        return await (feedback ? kbkdfFeedback(prf, hl, p.iv ?? new Uint8Array(0), p.data, length) : kbkdfDoublePipeline(prf, hl, p.data, length));
      } finally {
        done();
      }
    }
    case DerivationMethod.ENCRYPT:
      return deriveByEncryption(ctx, base, p, length);
    default:
      throw featureNotSupported('Derivation Method not supported (PBKDF2, HASH, HMAC, ENCRYPT, NIST800-108-C/-F/-DPI, HKDF and Asymmetric Key are)');
  }
}

/** The checked setup of an ENCRYPT derivation from an HSM key; undefined for a Blowfish base. */
function encryptionSetup(ctx: RequestContext, base: ManagedObject, p: DeriveParams): { key: NonNullable<ManagedObject['key']> & { algorithm: 'AES' | 'TDES' }; params: CipherParams; data: Uint8Array } | undefined {
  if (p.data === undefined) throw invalidField('ENCRYPT derivation needs Derivation Data');
  const k = base.key;
  if (k === undefined && base.objectType === ObjectType.SymmetricKey && attrNumber(base, Tag.CryptographicAlgorithm) === CryptographicAlgorithm.Blowfish) {
    return undefined;
  }
  if (k === undefined || (k.algorithm !== 'AES' && k.algorithm !== 'TDES')) {
    throw featureNotSupported('ENCRYPT derivation needs an AES or 3DES base key held by the HSM, or a Blowfish key');
  }
  const named = p.crypto?.cryptographicAlgorithm;
  const keyAlg = k.algorithm === 'AES' ? CryptographicAlgorithm.AES : CryptographicAlgorithm.DES3;
  if (named !== undefined && named !== keyAlg) throw invalidField('The Cryptographic Algorithm does not match the base key');
  const params = cipherParams(ctx.version, p.crypto ?? {}, { ...(p.iv !== undefined ? { iv: p.iv } : {}) }, 'encrypt');
  return { key: { ...k, algorithm: k.algorithm }, params, data: p.data };
}

/**
 * ENCRYPT with the derived key made and wrapped inside the HSM (EncryptDeriveProvider), when the
 * provider can make exactly the bytes deriveByEncryption would return and `fits` says the result
 * is stored as registerObject would store them; else undefined and the caller derives in process.
 */
async function encryptDeriveInHsm(
  ctx: RequestContext,
  base: ManagedObject,
  p: DeriveParams,
  length: number,
  fits: (length: number) => boolean,
): Promise<WrappedDerivedKey | undefined> {
  const provider = encryptDeriveProviderOf(ctx.crypto);
  if (provider === undefined || !fits(length)) return undefined;
  const setup = encryptionSetup(ctx, base, p);
  if (setup === undefined) return undefined;
  const { key, params, data } = setup;
  return withCipherErrors(ctx.version, () => provider.encryptDeriveWrapped(key.ref, key.algorithm, { params, data, length }));
}

async function deriveByEncryption(ctx: RequestContext, base: ManagedObject, p: DeriveParams, length: number): Promise<Uint8Array> {
  const setup = encryptionSetup(ctx, base, p);
  if (setup === undefined) return deriveByBlowfish(ctx, base, p, length);
  const { key, params, data } = setup;
  const cipher = cipherServices(ctx);
  const r = await withCipherErrors(ctx.version, () => cipher.encrypt(key.ref, key.algorithm, params, data));
  if (r.data.length < length) {
    r.data.fill(0);
    throw invalidField('The encrypted Derivation Data is shorter than the requested length');
  }
  const out = r.data.slice(0, length);
  r.data.fill(0);
  return out;
}

/** ENCRYPT with a Blowfish base key, in process (derive/blowfish.ts): ECB or CBC, PKCS#5 or no padding. */
async function deriveByBlowfish(ctx: RequestContext, base: ManagedObject, p: DeriveParams, length: number): Promise<Uint8Array> {
  const named = p.crypto?.cryptographicAlgorithm;
  if (named !== undefined && named !== CryptographicAlgorithm.Blowfish) throw invalidField('The Cryptographic Algorithm does not match the base key');
  const bcm = p.crypto?.blockCipherMode;
  const mode = bcm === BlockCipherMode.CBC ? 'CBC' : bcm === BlockCipherMode.ECB ? 'ECB' : undefined;
  if (mode === undefined) throw featureNotSupported('Blowfish derivation offers the ECB and CBC modes');
  const pad = p.crypto?.paddingMethod;
  if (pad !== undefined && pad !== PaddingMethod.PKCS5 && pad !== PaddingMethod.None) throw featureNotSupported('Padding Method not supported (None and PKCS5 are)');
  if (mode === 'CBC' && p.iv?.length !== 8) throw invalidField('Blowfish CBC needs an 8-byte Initialization Vector');
  if (mode === 'ECB' && p.iv !== undefined) throw invalidField('ECB takes no Initialization Vector');
  if (pad !== PaddingMethod.PKCS5 && (p.data as Uint8Array).length % 8 !== 0) throw invalidField('Without padding the Derivation Data must be whole 8-byte blocks');
  // In ECB and CBC a ciphertext block depends on the plaintext up to it only, so the blocks past
  // the requested length need not be encrypted: this JavaScript cipher runs on the event loop
  // (about 170 ms per MiB here), and Derivation Data may be as large as a message.
  const data = p.data as Uint8Array;
  const needed = Math.ceil(length / 8) * 8;
  const truncated = data.length > needed;
  const key = await baseValue(ctx, base);
  let out: Uint8Array;
  try {
    out = blowfishEncrypt(key, mode, !truncated && pad === PaddingMethod.PKCS5 ? 'PKCS5' : 'none', p.iv, truncated ? data.subarray(0, needed) : data);
  } catch (e) {
    if (e instanceof RangeError) throw invalidField('The Blowfish key must be 32 to 448 bits');
    throw e;
  } finally {
    key.fill(0);
  }
  if (out.length < length) throw invalidField('The encrypted Derivation Data is shorter than the requested length');
  const r = out.slice(0, length);
  out.fill(0);
  return r;
}

function link(type: number, uid: string): Attribute {
  return { tag: Tag.Link, value: struct(Tag.Link, [enm(Tag.LinkType, type), text(Tag.LinkedObjectIdentifier, uid)]) };
}

/** The derived object's content, as Register would have received it (Raw key / Seed). */
function contentOf(objectType: number, algorithm: number | undefined, value: Uint8Array, length = value.length): ObjectContent {
  if (objectType === ObjectType.SymmetricKey) {
    return {
      objectType,
      fields: [],
      keyBlock: { formatType: KeyFormatType.Raw, ...(algorithm !== undefined ? { algorithm } : {}), length: length * 8, form: 'bytes', keyValueAttributes: [] },
      value,
    };
  }
  return {
    objectType,
    fields: [enm(Tag.SecretDataType, SecretDataType.Seed)],
    keyBlock: { formatType: KeyFormatType.Opaque, form: 'bytes', keyValueAttributes: [] },
    value,
  };
}

async function loadBase(ctx: RequestContext, uid: string): Promise<ManagedObject> {
  const base = await loadCurrent(ctx, uid);
  if (base.objectType !== ObjectType.SymmetricKey && base.objectType !== ObjectType.SecretData) {
    throw new KmipError(is2x(ctx.version) ? ResultReason.InvalidObjectType : ResultReason.InvalidField, 'The base object must be a Symmetric Key or Secret Data');
  }
  const s = effectiveState(base, ctx.now);
  if (s !== State.PreActive && s !== State.Active) throw wrongState(ctx.version, 'The base object cannot be used for derivation in its current state');
  requireUsage(base, CryptographicUsageMask.DeriveKey, ctx.version);
  return base;
}

export default defineOperation<DeriveKeyRequest, { uid: string }>({
  operation: Operation.DeriveKey,
  decode(payload) {
    if (payload === undefined) throw missingData('Derive Key needs a payload');
    const objectType = payload.req(Tag.ObjectType, 'Enumeration').value;
    const uids = payload.many(Tag.UniqueIdentifier, 'TextString').map((n) => n.value);
    const method = payload.req(Tag.DerivationMethod, 'Enumeration').value;
    const params = decodeParams(payload.struct(Tag.DerivationParameters));
    return { objectType, uids, method, params, attributes: decodeRequestAttributes(payload) };
  },
  async handle(ctx, req) {
    if (req.objectType !== ObjectType.SymmetricKey && req.objectType !== ObjectType.SecretData) {
      throw new KmipError(is2x(ctx.version) ? ResultReason.InvalidObjectType : ResultReason.InvalidField, 'Derive Key derives a Symmetric Key or Secret Data');
    }
    // Asymmetric Key (ECDH) takes a private and a public key (derive/ecdh.ts); the others one base.
    const agreement = req.method === DerivationMethod.AsymmetricKey ? await agreementKeys(ctx, req.uids) : undefined;
    if (agreement === undefined && req.uids.length > 1) throw featureNotSupported('Derivation from more than one base object is not supported');
    const base = agreement?.base ?? (await loadBase(ctx, resolveUid(ctx, req.uids[0])));

    const probe = { attributes: req.attributes };
    const bits = attrNumber(probe, Tag.CryptographicLength);
    if (bits === undefined) throw missingData('Cryptographic Length of the derived object is required');
    if (bits <= 0 || bits % 8 !== 0 || bits / 8 > MAX_DERIVED_BYTES) throw invalidField(`Cryptographic Length must be a multiple of 8 from 8 to ${MAX_DERIVED_BYTES * 8}`);
    const algorithm = attrNumber(probe, Tag.CryptographicAlgorithm);
    if (req.objectType === ObjectType.SymmetricKey && algorithm === undefined) throw missingData('Cryptographic Algorithm of the derived key is required');

    const fits = (n: number): boolean => prewrappedFits(req.objectType, algorithm, n);
    const inHsm =
      agreement !== undefined
        ? await ecdhDeriveInHsm(ctx, agreement, req.params, bits / 8, fits)
        : req.method === DerivationMethod.ENCRYPT
          ? await encryptDeriveInHsm(ctx, base, req.params, bits / 8, fits)
          : undefined;
    let obj: ManagedObject;
    if (inHsm !== undefined) {
      obj = await registerObject(ctx, { objectType: req.objectType, attributes: req.attributes, content: contentOf(req.objectType, algorithm, new Uint8Array(0), inHsm.length) }, inHsm);
    } else {
      const value = agreement !== undefined ? await ecdhDerive(ctx, agreement, req.params, bits / 8) : await derive(ctx, base, req, bits / 8);
      try {
        obj = await registerObject(ctx, { objectType: req.objectType, attributes: req.attributes, content: contentOf(req.objectType, algorithm, value) });
      } finally {
        value.fill(0);
      }
    }
    saveObject(ctx, { ...obj, attributes: [...obj.attributes, link(LinkType.DerivationBaseObjectLink, base.uid)] });
    const updated = touched({ ...base, attributes: [...base.attributes, link(LinkType.DerivedKeyLink, obj.uid)] }, ctx.now);
    saveObject(ctx, { ...updated, revision: base.revision + 1 });
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid };
  },
  encode(res) {
    return [text(Tag.UniqueIdentifier, res.uid)];
  },
  uids: (req, res) => [...req.uids, ...(res ? [res.uid] : [])],
});
