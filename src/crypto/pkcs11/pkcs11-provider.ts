/**
 * The CryptoProvider on a PKCS#11 token (SoftHSM2 by default, any HSM with AES key wrap).
 *
 * Threading: pkcs11js runs C_GenerateKey, C_WrapKey and C_UnwrapKey (and the C_Encrypt/C_Sign
 * families) as *Async calls on libuv worker threads, so slow HSM work does not stall other
 * connections. Still synchronous on the event loop, because they are quick or rare: C_Initialize,
 * C_OpenSession, C_Login, C_FindObjects*, C_GetAttributeValue, C_CreateObject, C_DestroyObject,
 * C_GenerateRandom (bounded by MAX_RANDOM_BYTES) and C_Finalize. Key export (Get) is the
 * exception: its unwrap, read and destroy run together on an export worker thread
 * (export-worker.ts), and repeated exports of one key may come from the export cache.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';

import pkcs11js from 'pkcs11js';
import type { Handle, PKCS11 } from 'pkcs11js';

import {
  CryptoError,
  type CryptoProvider,
  type ExportOptions,
  type GenerateSymmetricKeyRequest,
  type KeyRef,
  type SymmetricAlgorithm,
} from '../provider.js';
import { specOf, usageAttributes } from './algorithms.js';
import type { CipherProvider, CipherStream, CipherStreamProvider, HashAlgorithm } from '../cipher.js';
import type {
  AsymmetricAlgorithm,
  AsymmetricProvider,
  GenerateKeyPairRequest,
  GeneratedKeyPair,
  PrivateKeySource,
  RsaCipherParams,
  RsaCipherProvider,
  SignatureParams,
  WrappedDerivedKey,
} from '../asymmetric.js';
import { Pkcs11Asymmetric } from './asymmetric.js';
import type { EdCurve, EdDsaProvider, EdPrivateKey, GeneratedEdPair } from '../eddsa.js';
import { Pkcs11EdDsa } from './eddsa.js';
import type { EncryptDeriveRequest } from '../encrypt-derive.js';
import { encryptDataMechanism, encryptDeriveIn } from './encrypt-derive.js';
import type { CipherParams, EncryptResult } from './cipher-params.js';
import { Pkcs11CipherStreams } from './cipher-stream.js';
import { decryptWith, digestIn, encryptWith, macVerifyWith, macWith, prepareEncrypt, runsSynchronously, seedIn } from './cipher.js';
import { CipherWorker } from './cipher-worker.js';
import type { CachedKey } from './key-cache.js';
import { checkImportLength, generateLengthBytes, HMAC_GENERATE_MIN_BITS, SYMMETRIC_ALGORITHMS } from './key-lengths.js';
import { p11, p11Async } from './ckr.js';
import type { ProviderLogger } from './config.js';
import { ExportCache, type ExportCachePolicy } from './export-cache.js';
import { ExportWorker } from './export-worker.js';
import { KeyHandleCache } from './key-cache.js';
import type { ModuleRef } from './module.js';
import { destroyQuietly, findObjects, residentSearch } from './objects.js';
import { NO_FREE_SESSION, type SessionPool } from './session-pool.js';
import { cacheKey, unwrapTemplate } from './unwrap.js';
import { NOT_OFFERED, rsaTransportMechanism } from './rsa-cipher.js';
import { MasterKeyWrapper } from './wrapping.js';

/** Return codes meaning a cached key handle no longer names an object. */
const STALE_HANDLE = new Set<number>([pkcs11js.CKR_KEY_HANDLE_INVALID, pkcs11js.CKR_OBJECT_HANDLE_INVALID]);

/** Return codes after which the cipher worker's session is replaced (as the pool does for its own). */
const WORKER_SESSION_DEAD = new Set<number>([pkcs11js.CKR_SESSION_HANDLE_INVALID, pkcs11js.CKR_SESSION_CLOSED, pkcs11js.CKR_OPERATION_ACTIVE]);

/** What cachedKeyNow() returns when it cannot run its callback at once. */
const NOT_NOW: unique symbol = Symbol('not now');

/** Largest C_GenerateRandom request: it runs synchronously on the event loop. */
export const MAX_RANDOM_BYTES = 65_536;

/** What withUnwrappedKey() lends to its callback. */
export interface UnwrappedKey {
  readonly mod: PKCS11;
  /** The borrowed session; valid only until the callback's promise settles. */
  readonly session: Handle;
  /** A sensitive, non-extractable object of the key, usable per its algorithm. */
  readonly handle: Handle;
}

/** Describes the module and token; never the PIN. */
export interface ProviderInfo {
  readonly module: string;
  readonly tokenLabel: string;
  readonly manufacturer: string;
  readonly model: string;
}

/** @internal What openPkcs11Provider() assembles. */
export interface ProviderParts {
  readonly module: ModuleRef;
  readonly pool: SessionPool;
  /** Slot id as a string, the login bookkeeping key. */
  readonly slotKey: string;
  readonly masterLabel: string;
  readonly masterKey: Handle;
  readonly wrapMechanism: string;
  /** The module leaves RFC 5649 padding on unwrapped values (SoftHSM2 2.6); see probeUnwrapPadding(). */
  readonly unwrapKeepsPadding: boolean;
  readonly info: ProviderInfo;
  readonly log: ProviderLogger;
  readonly cacheSize: number;
  /** Policy of the cache of values exported for Get; ttlMs or maxEntries 0 disables it. */
  readonly exportCache: ExportCachePolicy;
  /** Run exports (unwrap + read + destroy) as one job on a worker thread (export-worker.ts). */
  readonly exportInWorker: boolean;
  /** Run small encryptions with cached keys in batches on a worker thread (cipher-worker.ts). */
  readonly cipherInWorker?: boolean;
}

/** The PKCS#11 provider. Build it with openPkcs11Provider(). */
export class Pkcs11CryptoProvider implements CryptoProvider, CipherProvider, CipherStreamProvider, AsymmetricProvider, EdDsaProvider, RsaCipherProvider {
  private readonly cache: KeyHandleCache;
  /** Unwrapped private keys (Sign, RSA Decrypt, ECDH), kept apart so neither kind evicts the other. */
  private readonly privateCache: KeyHandleCache;
  private readonly edDsa: Pkcs11EdDsa;
  private readonly exported: ExportCache;
  private readonly exportWorker: ExportWorker | undefined;
  private readonly cipherWorker: CipherWorker | undefined;
  /** The dedicated session the cipher worker works in; opened on first use, replaced when it dies. */
  private cipherSession: Handle | undefined;
  /** Multi-part Encrypt/Decrypt held between requests (cipher-stream.ts). */
  readonly cipherStreams: Pkcs11CipherStreams;
  private readonly asymmetric: Pkcs11Asymmetric;
  private closing: Promise<void> | undefined;

  private readonly module: ModuleRef;
  private readonly pool: SessionPool;
  private readonly slotKey: string;
  private readonly info: ProviderInfo;
  private readonly log: ProviderLogger;
  private readonly wrapper: MasterKeyWrapper;

  /** @internal use openPkcs11Provider() */
  constructor(parts: ProviderParts) {
    this.module = parts.module;
    this.pool = parts.pool;
    this.slotKey = parts.slotKey;
    this.info = parts.info;
    this.log = parts.log;
    this.exportWorker = parts.exportInWorker ? new ExportWorker(parts.module.path) : undefined;
    this.cipherWorker = parts.cipherInWorker === true ? new CipherWorker(
            parts.module.path,
            () => (this.cipherSession ??= this.pool.openDedicated(false)),
            () => this.replaceCipherSession(),
          ) : undefined;
    this.wrapper = new MasterKeyWrapper(
      parts.module.p11,
      parts.masterLabel,
      parts.masterKey,
      parts.wrapMechanism,
      parts.unwrapKeepsPadding,
      this.exportWorker,
    );
    this.cache = new KeyHandleCache(parts.cacheSize, (h, s) => this.mod.C_DestroyObject(s, h));
    this.exported = new ExportCache(parts.exportCache);
    this.privateCache = new KeyHandleCache(parts.cacheSize, (h, s) => this.mod.C_DestroyObject(s, h));
    this.asymmetric = new Pkcs11Asymmetric(() => this.mod, this.pool, this.wrapper, this.privateCache);
    this.edDsa = new Pkcs11EdDsa(() => this.mod, this.pool);
    this.cipherStreams = new Pkcs11CipherStreams(() => this.mod, this.pool, this.wrapper);
  }

  private get mod(): PKCS11 {
    return this.module.p11;
  }

  /** Name of the mechanism new keys are wrapped with, e.g. 'CKM_AES_KEY_WRAP_PAD'. */
  get wrapMechanism(): string {
    return this.wrapper.mechanism;
  }

  async generateSymmetricKey(req: GenerateSymmetricKeyRequest): Promise<KeyRef> {
    const spec = specOf(req.algorithm);
    const bytes = generateLengthBytes(req.algorithm, req.lengthBits);
    if (req.extractable) this.wrapper.checkWrappable(bytes);
    const mechanism = { mechanism: spec.genMechanism };
    const base = [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_KEY_TYPE, value: spec.keyType },
      // DES3 keys have a fixed size; CKA_VALUE_LEN is not allowed in their template.
      ...(req.algorithm === 'TDES' ? [] : [{ type: pkcs11js.CKA_VALUE_LEN, value: bytes }]),
      { type: pkcs11js.CKA_PRIVATE, value: true },
      { type: pkcs11js.CKA_SENSITIVE, value: true },
    ];
    return this.pool.use(async (session) => {
      if (!req.extractable) {
        // A persistent token object that never leaves the HSM, found again by its random CKA_ID.
        const id = nodeRandomBytes(16);
        await p11Async('generate', () =>
          this.mod.C_GenerateKeyAsync(session, mechanism, [
            ...base,
            { type: pkcs11js.CKA_TOKEN, value: true },
            { type: pkcs11js.CKA_EXTRACTABLE, value: false },
            { type: pkcs11js.CKA_ID, value: id },
            ...usageAttributes(spec, true),
          ]),
        );
        return { kind: 'resident', id: id.toString('hex') };
      }
      // A transient session object, wrapped under the master key and destroyed at once.
      const key = await p11Async('generate', () =>
        this.mod.C_GenerateKeyAsync(session, mechanism, [
          ...base,
          { type: pkcs11js.CKA_TOKEN, value: false },
          { type: pkcs11js.CKA_EXTRACTABLE, value: true },
        ]),
      );
      try {
        return await this.wrapper.wrap(session, key, bytes);
      } finally {
        destroyQuietly(this.mod, session, key);
      }
    });
  }

  async importSymmetricKey(algorithm: SymmetricAlgorithm, material: Uint8Array): Promise<KeyRef> {
    const spec = specOf(algorithm);
    checkImportLength(algorithm, material.length);
    this.wrapper.checkWrappable(material.length);
    // A private copy pkcs11js can read, zeroed once the HSM has its own.
    const value = Buffer.alloc(material.length);
    value.set(material);
    return this.pool.use(async (session) => {
      let key: Handle;
      try {
        key = p11('create', () =>
          this.mod.C_CreateObject(session, [
            { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
            { type: pkcs11js.CKA_KEY_TYPE, value: spec.keyType },
            { type: pkcs11js.CKA_TOKEN, value: false },
            { type: pkcs11js.CKA_PRIVATE, value: true },
            { type: pkcs11js.CKA_SENSITIVE, value: true },
            { type: pkcs11js.CKA_EXTRACTABLE, value: true },
            { type: pkcs11js.CKA_VALUE, value },
          ]),
        );
      } finally {
        value.fill(0);
      }
      try {
        return await this.wrapper.wrap(session, key, material.length);
      } finally {
        destroyQuietly(this.mod, session, key);
      }
    });
  }

  async exportKeyMaterial(ref: KeyRef, algorithm: SymmetricAlgorithm, opts?: ExportOptions): Promise<Uint8Array> {
    if (ref.kind === 'resident') throw new CryptoError('NOT_EXTRACTABLE', 'the key is not extractable from the HSM');
    specOf(algorithm);
    this.wrapper.check(ref);
    const load = (): Promise<Uint8Array> => this.pool.use((session) => this.wrapper.exportValue(session, ref, algorithm));
    if (opts?.cacheAs === undefined || !this.exported.enabled) return load();
    return this.exported.get(opts.cacheAs, exportIdentity(ref, algorithm), load);
  }

  /** Drops cached exports of objects that were just written (called by the dispatcher). */
  forgetExported(uids: readonly string[]): void {
    this.exported.invalidate(uids);
  }

  /** @internal Hit/miss counters of the export cache, for tests. */
  get exportCacheStats(): Readonly<ExportCache['stats']> {
    return { ...this.exported.stats };
  }

  /**
   * Returns the ref re-wrapped under the current master key (the one named by the config's
   * masterKeyLabel), or the same ref if it already is; resident refs are returned unchanged.
   * For master key rotation: open with a new label, rewrap every stored ref, then retire the
   * old master key. Older master keys stay usable as long as they are in the token.
   */
  async rewrapKey(ref: KeyRef, algorithm: SymmetricAlgorithm): Promise<KeyRef> {
    if (ref.kind === 'resident') return ref;
    specOf(algorithm);
    this.wrapper.check(ref);
    return this.pool.use((session) => this.wrapper.rewrap(session, ref, algorithm));
  }

  /**
   * Lends a usable object of the key to `fn` (for Encrypt/Decrypt/Sign/MAC): a wrapped key is
   * unwrapped into a sensitive, non-extractable session object and cached by blob hash; a
   * resident key is found by CKA_ID. The handle must not be kept beyond `fn`.
   */
  async withUnwrappedKey<T>(ref: KeyRef, algorithm: SymmetricAlgorithm, fn: (key: UnwrappedKey) => Promise<T> | T): Promise<T> {
    specOf(algorithm);
    if (ref.kind === 'wrapped') this.wrapper.check(ref);
    const key = cacheKey(ref, algorithm);
    return this.pool.use(async (session) => {
      let entry = this.cache.acquire(key);
      if (!entry) {
        if (ref.kind === 'resident') {
          const handle = findObjects(this.mod, session, residentSearch(ref.id))[0];
          if (!handle) throw new CryptoError('BAD_KEY', 'resident key not found in the token');
          entry = this.cache.add(key, handle, false, session);
        } else {
          entry = this.cache.add(key, await this.unwrapForUse(session, ref, algorithm), true, session);
        }
      }
      try {
        return await fn({ mod: this.mod, session, handle: entry.handle });
      } catch (err) {
        // The object went away behind our back (another process destroyed a resident key):
        // forget it, so the next request looks it up again instead of failing forever.
        if (err instanceof CryptoError && err.ckr !== undefined && STALE_HANDLE.has(err.ckr)) this.cache.evict(key, session);
        throw err;
      } finally {
        this.cache.release(entry, session);
      }
    });
  }

  /**
   * withUnwrappedKey() without a promise, for a synchronous `fn`: runs it at once when a session
   * is free and the key's object is already cached (the same cache, references and stale-handle
   * eviction as withUnwrappedKey), else returns NOT_NOW and runs nothing. `fn` must not return a
   * promise: the session goes back to the pool when this returns.
   */
  private cachedKeyNow<T>(ref: KeyRef, algorithm: SymmetricAlgorithm, fn: (key: UnwrappedKey) => T): T | typeof NOT_NOW {
    specOf(algorithm);
    if (ref.kind === 'wrapped') this.wrapper.check(ref);
    const key = cacheKey(ref, algorithm);
    const r = this.pool.useNow((session) => {
      const entry = this.cache.acquire(key);
      if (!entry) return NOT_NOW;
      try {
        return fn({ mod: this.mod, session, handle: entry.handle });
      } catch (err) {
        if (err instanceof CryptoError && err.ckr !== undefined && STALE_HANDLE.has(err.ckr)) this.cache.evict(key, session);
        throw err;
      } finally {
        this.cache.release(entry, session);
      }
    });
    return r === NO_FREE_SESSION ? NOT_NOW : r;
  }

  /**
   * A cipher or MAC call with the key: at once when the input is small enough for the module
   * call to run synchronously and the key's object is cached (no promise hop per layer; the
   * bulk of small Encrypt/Decrypt/MAC requests), else through withUnwrappedKey().
   */
  private withKey<T>(ref: KeyRef, algorithm: SymmetricAlgorithm, inputBytes: number, fn: (key: UnwrappedKey) => T | Promise<T>): Promise<T> {
    if (runsSynchronously(inputBytes)) {
      try {
        const r = this.cachedKeyNow(ref, algorithm, fn as (key: UnwrappedKey) => T);
        if (r !== NOT_NOW) return Promise.resolve(r);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.withUnwrappedKey(ref, algorithm, fn);
  }

  /**
   * The usable session object of a wrapped key. An HMAC key shorter than the module's minimum
   * (SoftHSM2: the hash output length; RFC 4231 and the OASIS CS-AC vectors use shorter keys) is
   * zero-padded up to it: HMAC pads every key shorter than the hash block with zeros (RFC 2104
   * §2), so the padded key computes the same MAC. The value passes through memory only for that.
   */
  private async unwrapForUse(session: Handle, ref: KeyRef & { kind: 'wrapped' }, algorithm: SymmetricAlgorithm): Promise<Handle> {
    const minBits = HMAC_GENERATE_MIN_BITS[algorithm];
    if (minBits === undefined || ref.valueLength === undefined || ref.valueLength * 8 >= minBits) {
      return this.wrapper.unwrapForUse(session, ref, algorithm);
    }
    const value = await this.wrapper.exportValue(session, ref, algorithm);
    const padded = Buffer.alloc(minBits / 8);
    padded.set(value);
    value.fill(0);
    try {
      return p11('create', () =>
        this.mod.C_CreateObject(session, [...unwrapTemplate(specOf(algorithm), 'use'), { type: pkcs11js.CKA_VALUE, value: padded }]),
      );
    } finally {
      padded.fill(0);
    }
  }

  /** Encrypts with a key that stays in the HSM (KMIP Encrypt); see cipher.ts for the parameters. */
  encrypt(ref: KeyRef, algorithm: SymmetricAlgorithm, params: CipherParams, data: Uint8Array): Promise<EncryptResult> {
    if (this.cipherWorker !== undefined && data.length > 0 && runsSynchronously(data.length)) {
      const r = this.encryptInWorker(this.cipherWorker, ref, algorithm, params, data);
      if (r !== NOT_NOW) return r;
    }
    return this.withKey(ref, algorithm, data.length, (k) => encryptWith(k, algorithm, params, data));
  }

  /**
   * A small encryption with a cached key on the cipher worker; NOT_NOW (nothing done) when the
   * key's object is not cached yet. The cache reference is held until the worker answers.
   */
  private encryptInWorker(
    worker: CipherWorker,
    ref: KeyRef,
    algorithm: SymmetricAlgorithm,
    params: CipherParams,
    data: Uint8Array,
  ): Promise<EncryptResult> | typeof NOT_NOW {
    specOf(algorithm);
    if (ref.kind === 'wrapped') this.wrapper.check(ref);
    const key = cacheKey(ref, algorithm);
    const entry = this.cache.acquire(key);
    if (!entry) return NOT_NOW;
    let e: ReturnType<typeof prepareEncrypt>;
    try {
      e = prepareEncrypt(algorithm, params, data);
    } catch (err) {
      this.releaseSoon(entry);
      return Promise.reject(err);
    }
    return worker.encrypt(entry.handle, e.mechanism, e.input, e.outLength).then(
      (out) => {
        this.releaseSoon(entry);
        return e.finish(out);
      },
      (err: unknown) => {
        const ckr = err instanceof CryptoError ? err.ckr : undefined;
        if (ckr !== undefined && STALE_HANDLE.has(ckr)) this.cache.evict(key, this.pool.first());
        if (ckr !== undefined && WORKER_SESSION_DEAD.has(ckr)) this.replaceCipherSession();
        this.releaseSoon(entry);
        throw err;
      },
    );
  }

  /** Gives a cache reference back; a pool session is needed only to destroy an evicted object. */
  private releaseSoon(entry: CachedKey): void {
    if (entry.refs > 1 || entry.cached) {
      this.cache.release(entry, this.pool.first());
      return;
    }
    const r = this.pool.useNow((s) => this.cache.release(entry, s));
    if (r === NO_FREE_SESSION) {
      this.pool.use((s) => this.cache.release(entry, s)).catch(() => {
        // The provider is closing: the object goes with its session.
      });
    }
  }

  /** Closes the cipher worker's session after it died or was left unusable; the next batch opens a new one. */
  private replaceCipherSession(): void {
    const s = this.cipherSession;
    this.cipherSession = undefined;
    if (s !== undefined) this.pool.closeDedicated(s);
  }

  /** Decrypts with a key that stays in the HSM (KMIP Decrypt); `tag` is the GCM tag. */
  decrypt(ref: KeyRef, algorithm: SymmetricAlgorithm, params: CipherParams, data: Uint8Array, tag?: Uint8Array): Promise<Uint8Array> {
    return this.withKey(ref, algorithm, data.length, (k) => decryptWith(k, algorithm, params, data, tag));
  }

  /** Starts a multi-part Encrypt or Decrypt kept in the HSM between requests (cipher-stream.ts). */
  openCipherStream(ref: KeyRef, algorithm: SymmetricAlgorithm, params: CipherParams, direction: 'encrypt' | 'decrypt'): Promise<CipherStream> {
    specOf(algorithm);
    return this.cipherStreams.open(ref, algorithm, params, direction);
  }

  /** Message digest inside the HSM (KMIP Hash). */
  digest(algorithm: HashAlgorithm, data: Uint8Array): Promise<Uint8Array> {
    return this.pool.use((session) => digestIn(this.mod, session, algorithm, data));
  }

  /** Mixes seed material into the HSM's RNG (KMIP RNG Seed); resolves to the bytes used. */
  seedRandom(seed: Uint8Array): Promise<number> {
    return this.pool.use((session) => seedIn(this.mod, session, seed));
  }

  /** HMAC or CMAC with a key that stays in the HSM (KMIP MAC). */
  mac(ref: KeyRef, algorithm: SymmetricAlgorithm, data: Uint8Array): Promise<Uint8Array> {
    return this.withKey(ref, algorithm, data.length, (k) => macWith(k, algorithm, data));
  }

  /** Checks an HMAC inside the HSM (KMIP MAC Verify). */
  macVerify(ref: KeyRef, algorithm: SymmetricAlgorithm, data: Uint8Array, mac: Uint8Array): Promise<boolean> {
    return this.withKey(ref, algorithm, data.length, (k) => macVerifyWith(k, algorithm, data, mac));
  }

  /** Generates a key pair in the HSM (KMIP Create Key Pair); see asymmetric.ts. */
  generateKeyPair(req: GenerateKeyPairRequest): Promise<GeneratedKeyPair> {
    return this.asymmetric.generateKeyPair(req);
  }

  /** PKCS#8 DER of a wrapped private key (Get). */
  exportPrivateKey(ref: KeyRef, algorithm: AsymmetricAlgorithm): Promise<Uint8Array> {
    return this.asymmetric.exportPrivateKey(ref, algorithm);
  }

  /** Signs with a private key inside the HSM (KMIP Sign). */
  sign(key: PrivateKeySource, algorithm: AsymmetricAlgorithm, params: SignatureParams, data: Uint8Array): Promise<Uint8Array> {
    return this.asymmetric.sign(key, algorithm, params, data);
  }

  /** Checks a signature with a public key (KMIP Signature Verify). */
  verify(spki: Uint8Array, algorithm: AsymmetricAlgorithm, params: SignatureParams, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return this.asymmetric.verify(spki, algorithm, params, data, signature);
  }

  /** Generates an Ed25519 / Ed448 pair in the HSM (KMIP Create Key Pair); see eddsa.ts. */
  generateEdDsaKeyPair(curve: EdCurve, extractable: boolean): Promise<GeneratedEdPair> {
    return this.edDsa.generate(curve, extractable);
  }

  /** Signs with an EdDSA key inside the HSM (KMIP Sign). */
  signEdDsa(key: EdPrivateKey, curve: EdCurve, data: Uint8Array): Promise<Uint8Array> {
    return this.edDsa.sign(key, curve, data);
  }

  /** ECDH shared secret in the HSM (KMIP Derive Key, Asymmetric Key); see asymmetric.ts. */
  ecdhSharedSecret(key: PrivateKeySource, peerSpki: Uint8Array): Promise<Uint8Array> {
    return this.asymmetric.ecdhSharedSecret(key, peerSpki);
  }

  /** ECDH whose result stays in the HSM and is stored wrapped; see asymmetric.ts. */
  ecdhDeriveWrapped(key: PrivateKeySource, peerSpki: Uint8Array, length: number): Promise<WrappedDerivedKey | undefined> {
    return this.asymmetric.ecdhDeriveWrapped(key, peerSpki, length);
  }

  /**
   * KMIP Derive Key by ENCRYPT with the derived key kept in the HSM (encrypt-derive.ts): undefined
   * when the module cannot make exactly these bytes inside (a longer ECB key, a resident base key,
   * which has no CKA_DERIVE, a module without the mechanism), and the caller uses encrypt().
   */
  async encryptDeriveWrapped(ref: KeyRef, algorithm: 'AES' | 'TDES', req: EncryptDeriveRequest): Promise<WrappedDerivedKey | undefined> {
    const mechanism = encryptDataMechanism(algorithm, req);
    if (mechanism === undefined || ref.kind !== 'wrapped') return undefined;
    if (this.wrapper.mechanism === 'CKM_AES_KEY_WRAP' && req.length % 8 !== 0) return undefined;
    this.wrapper.check(ref);
    try {
      return await this.pool.use(async (session) => {
        const base = await this.wrapper.unwrapForDerive(session, ref, algorithm);
        try {
          return await encryptDeriveIn(this.mod, session, this.wrapper, base, mechanism, req.length);
        } finally {
          destroyQuietly(this.mod, session, base);
        }
      });
    } catch (err) {
      if (err instanceof CryptoError && err.ckr === pkcs11js.CKR_MECHANISM_INVALID) return undefined;
      throw err;
    }
  }

  /** Encrypts with an RSA public key (KMIP Encrypt); see rsa-cipher.ts. */
  rsaEncrypt(spki: Uint8Array, params: RsaCipherParams, data: Uint8Array): Promise<Uint8Array> {
    return this.asymmetric.rsaEncrypt(spki, params, data);
  }

  /** Decrypts with an RSA private key inside the HSM (KMIP Decrypt). */
  rsaDecrypt(key: PrivateKeySource, params: RsaCipherParams, data: Uint8Array): Promise<Uint8Array> {
    return this.asymmetric.rsaDecrypt(key, params, data);
  }

  /**
   * RSA key transport (BYOK): C_UnwrapKey with the RSA private key straight into a session object
   * that is wrapped under the master key, so the key value never reaches this process. A module
   * without that OAEP hash (SoftHSM2 2.6 unwraps OAEP with SHA-1 only), or that does not report
   * the unwrapped key's CKA_VALUE_LEN, decrypts in the module instead and the value is imported
   * like a registered key (it passes through this process's memory, zeroed after).
   */
  async rsaUnwrapSymmetricKey(key: PrivateKeySource, params: RsaCipherParams, wrapped: Uint8Array, algorithm: SymmetricAlgorithm): Promise<KeyRef> {
    const spec = specOf(algorithm);
    const mechanism = rsaTransportMechanism(params);
    const direct = await this.asymmetric.withPrivateKey(key, 'RSA', async (session, priv) => {
      let handle: Handle;
      try {
        handle = await p11Async('unwrap', () =>
          this.mod.C_UnwrapKeyAsync(session, mechanism, priv, Buffer.from(wrapped), [
            { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
            { type: pkcs11js.CKA_KEY_TYPE, value: spec.keyType },
            { type: pkcs11js.CKA_TOKEN, value: false },
            { type: pkcs11js.CKA_PRIVATE, value: true },
            { type: pkcs11js.CKA_SENSITIVE, value: true },
            { type: pkcs11js.CKA_EXTRACTABLE, value: true },
          ]),
        );
      } catch (e) {
        if (e instanceof CryptoError && e.ckr !== undefined && NOT_OFFERED.has(e.ckr)) return undefined;
        throw e;
      }
      try {
        const [len] = p11('read-attribute', () => this.mod.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_VALUE_LEN }]));
        const bytes = Buffer.isBuffer(len?.value) ? len.value.readUIntLE(0, Math.min(len.value.length, 6)) : 0;
        // The wrap under the master key records the value length; a module that does not report
        // it (SoftHSM2 2.6 leaves CKA_VALUE_LEN 0 on unwrapped keys) takes the path below.
        if (bytes === 0) return undefined;
        checkImportLength(algorithm, bytes);
        this.wrapper.checkWrappable(bytes);
        return await this.wrapper.wrap(session, handle, bytes);
      } finally {
        destroyQuietly(this.mod, session, handle);
      }
    });
    if (direct !== undefined) return direct;
    const value = await this.asymmetric.rsaDecrypt(key, params, wrapped);
    try {
      return await this.importSymmetricKey(algorithm, value);
    } finally {
      value.fill(0);
    }
  }

  async destroyKey(ref: KeyRef): Promise<void> {
    if (ref.kind === 'wrapped') {
      // Nothing in the HSM but cached objects of the key: drop them now rather than at eviction
      // (best effort: without a session they go with their session or at eviction).
      try {
        await this.pool.use((session) => {
          for (const algorithm of SYMMETRIC_ALGORITHMS) this.cache.evict(cacheKey(ref, algorithm), session);
          this.asymmetric.evictCached(ref, session);
        });
      } catch {
        // The provider is closing or the HSM is gone: the store deletes the blob all the same.
      }
      return;
    }
    // A resident private key of a key pair (no-op when the id names a secret key).
    await this.asymmetric.destroyResident(ref.id);
    await this.pool.use((session) => {
      for (const algorithm of SYMMETRIC_ALGORITHMS) {
        this.cache.evict(cacheKey(ref, algorithm), session);
      }
      // Missing is fine: Destroy may be retried after a crash between HSM and store.
      for (const handle of findObjects(this.mod, session, residentSearch(ref.id))) {
        p11('destroy', () => this.mod.C_DestroyObject(session, handle));
      }
    });
  }

  async randomBytes(length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(length) || length < 0 || length > MAX_RANDOM_BYTES) {
      throw new CryptoError('UNSUPPORTED', `random length must be 0..${MAX_RANDOM_BYTES} bytes`);
    }
    if (length === 0) return new Uint8Array(0);
    return this.pool.use((session) => {
      const out = p11('random', () => this.mod.C_GenerateRandom(session, Buffer.alloc(length)));
      return new Uint8Array(out);
    });
  }

  describe(): ProviderInfo {
    return { ...this.info };
  }

  /** Waits for running operations, logs out, closes the sessions and finalises. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.cipherStreams.abortAll();
      // Its jobs hold cache references and its session: finished before the pool drains.
      await this.cipherWorker?.close();
      await this.pool.drain();
      this.exported.clear();
      // Before C_Logout / C_Finalize: the worker uses this process's PKCS#11 state.
      await this.exportWorker?.close();
      try {
        const session = this.pool.first();
        this.cache.clear(session);
        this.privateCache.clear(session);
        this.module.logout(this.slotKey, session);
      } catch {
        // The pool never opened or the token is gone; closing the rest still matters.
      }
      this.pool.closeAll();
      this.module.release();
      this.log.info({ tokenLabel: this.info.tokenLabel }, 'PKCS#11 provider closed');
    })();
    return this.closing;
  }

  /** @internal Numbers of cached unwrapped objects (symmetric, private), for tests. */
  get cachedObjects(): { readonly symmetric: number; readonly private: number } {
    return { symmetric: this.cache.size, private: this.privateCache.size };
  }

  /** @internal The cipher worker, when `cipherInWorker` is on (tests). */
  get cipherWorkerForTests(): CipherWorker | undefined {
    return this.cipherWorker;
  }

  /** @internal Drops cached handles whose session died (called by the session pool). */
  forgetCachedKeys(): void {
    this.cache.clear();
    this.privateCache.clear();
  }
}

/**
 * Everything an exported value depends on: a cache entry is used only for exactly the same
 * wrapped blob under the same master key, mechanism, recorded length and algorithm. The blob
 * is ciphertext under a non-extractable key, so holding it in a string reveals nothing.
 */
function exportIdentity(ref: KeyRef & { kind: 'wrapped' }, algorithm: SymmetricAlgorithm): string {
  const blob = Buffer.from(ref.blob.buffer, ref.blob.byteOffset, ref.blob.length).toString('base64');
  return `${algorithm}|${ref.mechanism}|${ref.masterKeyLabel}|${ref.valueLength ?? ''}|${blob}`;
}
