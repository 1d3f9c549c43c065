/**
 * The CryptoProvider on a PKCS#11 token (SoftHSM2 by default, any HSM with AES key wrap).
 *
 * Threading: pkcs11js runs C_GenerateKey, C_WrapKey and C_UnwrapKey (and the C_Encrypt/C_Sign
 * families) as *Async calls on libuv worker threads, so slow HSM work does not stall other
 * connections. Still synchronous on the event loop, because they are quick or rare: C_Initialize,
 * C_OpenSession, C_Login, C_FindObjects*, C_GetAttributeValue, C_CreateObject, C_DestroyObject,
 * C_GenerateRandom (bounded by MAX_RANDOM_BYTES) and C_Finalize.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';

import pkcs11js from 'pkcs11js';
import type { Handle, PKCS11 } from 'pkcs11js';

import {
  CryptoError,
  type CryptoProvider,
  type GenerateSymmetricKeyRequest,
  type KeyRef,
  type SymmetricAlgorithm,
} from '../provider.js';
import { specOf, usageAttributes, WRAP_MECHANISMS } from './algorithms.js';
import { checkImportLength, generateLengthBytes, SYMMETRIC_ALGORITHMS } from './key-lengths.js';
import { p11, p11Async } from './ckr.js';
import type { ProviderLogger } from './config.js';
import { KeyHandleCache } from './key-cache.js';
import type { ModuleRef } from './module.js';
import { destroyQuietly, findMasterKey, findObjects, readValue, residentSearch } from './objects.js';
import type { SessionPool } from './session-pool.js';
import { cacheKey, checkBlob, fitValue, unwrapTemplate } from './unwrap.js';

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
}

/** The PKCS#11 provider. Build it with openPkcs11Provider(). */
export class Pkcs11CryptoProvider implements CryptoProvider {
  private readonly masters = new Map<string, Handle>();
  private readonly cache: KeyHandleCache;
  private closing: Promise<void> | undefined;

  private readonly module: ModuleRef;
  private readonly pool: SessionPool;
  private readonly slotKey: string;
  private readonly masterLabel: string;
  private readonly info: ProviderInfo;
  private readonly log: ProviderLogger;
  private readonly unwrapKeepsPadding: boolean;
  /** Name of the mechanism new keys are wrapped with (a key of WRAP_MECHANISMS). */
  readonly wrapMechanism: string;

  /** @internal use openPkcs11Provider() */
  constructor(parts: ProviderParts) {
    this.module = parts.module;
    this.pool = parts.pool;
    this.slotKey = parts.slotKey;
    this.masterLabel = parts.masterLabel;
    this.info = parts.info;
    this.log = parts.log;
    this.unwrapKeepsPadding = parts.unwrapKeepsPadding;
    this.wrapMechanism = parts.wrapMechanism;
    this.masters.set(parts.masterLabel, parts.masterKey);
    this.cache = new KeyHandleCache(parts.cacheSize, (h, s) => this.mod.C_DestroyObject(s, h));
  }

  private get mod(): PKCS11 {
    return this.module.p11;
  }

  async generateSymmetricKey(req: GenerateSymmetricKeyRequest): Promise<KeyRef> {
    const spec = specOf(req.algorithm);
    const bytes = generateLengthBytes(req.algorithm, req.lengthBits);
    this.checkWrappable(bytes, req.extractable);
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
        return await this.wrap(session, key, bytes);
      } finally {
        destroyQuietly(this.mod, session, key);
      }
    });
  }

  async importSymmetricKey(algorithm: SymmetricAlgorithm, material: Uint8Array): Promise<KeyRef> {
    const spec = specOf(algorithm);
    checkImportLength(algorithm, material.length);
    this.checkWrappable(material.length, true);
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
        return await this.wrap(session, key, material.length);
      } finally {
        destroyQuietly(this.mod, session, key);
      }
    });
  }

  async exportKeyMaterial(ref: KeyRef, algorithm: SymmetricAlgorithm): Promise<Uint8Array> {
    if (ref.kind === 'resident') throw new CryptoError('NOT_EXTRACTABLE', 'the key is not extractable from the HSM');
    const spec = specOf(algorithm);
    const mech = this.unwrapMechanism(ref);
    checkBlob(ref);
    return this.pool.use(async (session) => {
      const master = this.masterFor(session, ref.masterKeyLabel);
      const key = await p11Async('unwrap', () =>
        this.mod.C_UnwrapKeyAsync(session, { mechanism: mech }, master, Buffer.from(ref.blob), unwrapTemplate(spec, 'export')),
      );
      try {
        const value = readValue(this.mod, session, key);
        let exact: Buffer | undefined;
        try {
          exact = fitValue(value, ref, algorithm);
          // A fresh array: Buffer.from() may slice Node's shared pool, which must not leak out.
          return Uint8Array.from(exact);
        } finally {
          value.fill(0);
          exact?.fill(0);
        }
      } finally {
        destroyQuietly(this.mod, session, key);
      }
    });
  }

  /**
   * Lends a usable object of the key to `fn` (for Encrypt/Decrypt/Sign/MAC): a wrapped key is
   * unwrapped into a sensitive, non-extractable session object and cached by blob hash; a
   * resident key is found by CKA_ID. The handle must not be kept beyond `fn`.
   */
  async withUnwrappedKey<T>(ref: KeyRef, algorithm: SymmetricAlgorithm, fn: (key: UnwrappedKey) => Promise<T> | T): Promise<T> {
    specOf(algorithm);
    const mech = ref.kind === 'wrapped' ? this.unwrapMechanism(ref) : 0;
    if (ref.kind === 'wrapped') checkBlob(ref);
    const key = cacheKey(ref, algorithm);
    return this.pool.use(async (session) => {
      let entry = this.cache.acquire(key);
      if (!entry) {
        if (ref.kind === 'resident') {
          const handle = findObjects(this.mod, session, residentSearch(ref.id))[0];
          if (!handle) throw new CryptoError('BAD_KEY', 'resident key not found in the token');
          entry = this.cache.add(key, handle, false, session);
        } else {
          entry = this.cache.add(key, await this.unwrapForUse(session, ref, algorithm, mech), true, session);
        }
      }
      try {
        return await fn({ mod: this.mod, session, handle: entry.handle });
      } finally {
        this.cache.release(entry, session);
      }
    });
  }

  async destroyKey(ref: KeyRef): Promise<void> {
    if (ref.kind === 'wrapped') return; // Nothing in the HSM: the store deletes the blob.
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
      await this.pool.drain();
      try {
        const session = this.pool.first();
        this.cache.clear(session);
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

  /** @internal Drops cached handles whose session died (called by the session pool). */
  forgetCachedKeys(): void {
    this.cache.clear();
  }

  /**
   * C_UnwrapKey into a sensitive, non-extractable object for crypto use. On a module that keeps
   * RFC 5649 padding, a key whose length is not a multiple of 8 bytes would come out longer
   * than it is (harmless for HMAC keys up to the hash block size, wrong beyond it and for
   * ciphers), so such keys are unwrapped for export, cut to size and re-created as a sensitive
   * object; their bytes pass through process memory briefly and are zeroed at once.
   */
  private async unwrapForUse(session: Handle, ref: KeyRef & { kind: 'wrapped' }, algorithm: SymmetricAlgorithm, mech: number): Promise<Handle> {
    const spec = specOf(algorithm);
    const master = this.masterFor(session, ref.masterKeyLabel);
    const blob = Buffer.from(ref.blob);
    if (!(this.unwrapKeepsPadding && ref.valueLength !== undefined && ref.valueLength % 8 !== 0)) {
      return p11Async('unwrap', () => this.mod.C_UnwrapKeyAsync(session, { mechanism: mech }, master, blob, unwrapTemplate(spec, 'use')));
    }
    const transient = await p11Async('unwrap', () =>
      this.mod.C_UnwrapKeyAsync(session, { mechanism: mech }, master, blob, unwrapTemplate(spec, 'export')),
    );
    let value: Buffer | undefined;
    let exact: Buffer | undefined;
    try {
      value = readValue(this.mod, session, transient);
      exact = fitValue(value, ref, algorithm);
      const bytes = exact;
      return p11('create', () =>
        this.mod.C_CreateObject(session, [...unwrapTemplate(spec, 'use'), { type: pkcs11js.CKA_VALUE, value: bytes }]),
      );
    } finally {
      value?.fill(0);
      exact?.fill(0);
      destroyQuietly(this.mod, session, transient);
    }
  }

  /** C_WrapKey under the current master key. */
  private async wrap(session: Handle, key: Handle, valueLength: number): Promise<KeyRef> {
    const master = this.masterFor(session, this.masterLabel);
    const mech = WRAP_MECHANISMS[this.wrapMechanism] as number;
    // RFC 5649 output: the value padded to a multiple of 8, plus the 8-byte integrity block.
    const out = Buffer.alloc(valueLength + 16);
    const blob = await p11Async('wrap', () => this.mod.C_WrapKeyAsync(session, { mechanism: mech }, master, key, out));
    return {
      kind: 'wrapped',
      mechanism: this.wrapMechanism,
      masterKeyLabel: this.masterLabel,
      blob: new Uint8Array(blob),
      valueLength,
    };
  }

  /** RFC 3394 (no padding) only wraps multiples of 8 bytes; say so before the HSM does. */
  private checkWrappable(bytes: number, extractable: boolean): void {
    if (extractable && this.wrapMechanism === 'CKM_AES_KEY_WRAP' && bytes % 8 !== 0) {
      throw new CryptoError('UNSUPPORTED', 'this HSM cannot wrap keys whose length is not a multiple of 64 bits');
    }
  }

  private unwrapMechanism(ref: KeyRef & { kind: 'wrapped' }): number {
    const mech = WRAP_MECHANISMS[ref.mechanism];
    if (mech === undefined) throw new CryptoError('UNSUPPORTED', `unknown wrapping mechanism ${ref.mechanism}`);
    return mech;
  }

  /** The master key with this label: ours, or an older one still in the token (rotation). */
  private masterFor(session: Handle, label: string): Handle {
    const known = this.masters.get(label);
    if (known) return known;
    const found = findMasterKey(this.mod, session, label);
    if (!found) throw new CryptoError('BAD_KEY', `master key "${label}" is not in the token`);
    this.masters.set(label, found);
    return found;
  }
}

