/**
 * CryptoProvider on a PKCS#11 token (SoftHSM2 by default, any HSM with AES key wrap).
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
import {
  DEFAULT_MASTER_KEY_LABEL,
  DEFAULT_SESSION_POOL_SIZE,
  MAX_SESSION_POOL_SIZE,
  type Pkcs11Config,
  type Pkcs11ProviderOptions,
  type ProviderLogger,
} from './config.js';
import { KeyHandleCache } from './key-cache.js';
import { acquireModule, type ModuleRef } from './module.js';
import { createMasterKey, destroyQuietly, findMasterKey, findObjects, readValue, residentSearch } from './objects.js';
import { SessionPool } from './session-pool.js';
import { findTokenSlot, slotNumber, trimField } from './token.js';
import { cacheKey, checkBlob, fitValue, unwrapTemplate } from './unwrap.js';

/** Largest C_GenerateRandom request: it runs synchronously on the event loop. */
export const MAX_RANDOM_BYTES = 65_536;

const silent: ProviderLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** What withUnwrappedKey() lends to its callback. */
export interface UnwrappedKey {
  readonly mod: PKCS11;
  /** The borrowed session; valid only until the callback's promise settles. */
  readonly session: Handle;
  /** A sensitive, non-extractable object of the key, usable per its algorithm. */
  readonly handle: Handle;
}

/** The PKCS#11 provider. Build it with openPkcs11Provider(). */
export class Pkcs11CryptoProvider implements CryptoProvider {
  private readonly masters = new Map<string, Handle>();
  private readonly cache: KeyHandleCache;
  private closing: Promise<void> | undefined;

  /** @internal use openPkcs11Provider() */
  constructor(
    private readonly module: ModuleRef,
    private readonly pool: SessionPool,
    private readonly slotKey: string,
    private readonly masterLabel: string,
    masterKey: Handle,
    /** Name of the mechanism new keys are wrapped with (a key of WRAP_MECHANISMS). */
    readonly wrapMechanism: string,
    private readonly info: { module: string; tokenLabel: string; manufacturer: string; model: string },
    private readonly log: ProviderLogger,
    cacheSize: number,
  ) {
    this.masters.set(masterLabel, masterKey);
    this.cache = new KeyHandleCache(cacheSize, (h, s) => this.mod.C_DestroyObject(s, h));
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
    return this.pool.use(async (session) => {
      const key = p11('create', () =>
        this.mod.C_CreateObject(session, [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
          { type: pkcs11js.CKA_KEY_TYPE, value: spec.keyType },
          { type: pkcs11js.CKA_TOKEN, value: false },
          { type: pkcs11js.CKA_PRIVATE, value: true },
          { type: pkcs11js.CKA_SENSITIVE, value: true },
          { type: pkcs11js.CKA_EXTRACTABLE, value: true },
          { type: pkcs11js.CKA_VALUE, value: Buffer.from(material) },
        ]),
      );
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
        try {
          return new Uint8Array(fitValue(value, ref, algorithm));
        } finally {
          value.fill(0);
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
    const spec = specOf(algorithm);
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
          const master = this.masterFor(session, ref.masterKeyLabel);
          const handle = await p11Async('unwrap', () =>
            this.mod.C_UnwrapKeyAsync(session, { mechanism: mech }, master, Buffer.from(ref.blob), unwrapTemplate(spec, 'use')),
          );
          entry = this.cache.add(key, handle, true, session);
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

  describe(): { readonly module: string; readonly tokenLabel: string; readonly manufacturer: string; readonly model: string } {
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

/**
 * Opens the token: C_Initialize (shared per process), finds the slot by token label, opens the
 * session pool, logs in as CKU_USER once, and finds or creates the master wrapping key.
 * Errors are CryptoErrors and never contain the PIN.
 */
export async function openPkcs11Provider(cfg: Pkcs11Config, opts: Pkcs11ProviderOptions = {}): Promise<Pkcs11CryptoProvider> {
  const log = opts.log ?? silent;
  const poolSize = cfg.sessionPoolSize ?? DEFAULT_SESSION_POOL_SIZE;
  if (!Number.isSafeInteger(poolSize) || poolSize < 1 || poolSize > MAX_SESSION_POOL_SIZE) {
    throw new CryptoError('UNSUPPORTED', `sessionPoolSize must be 1..${MAX_SESSION_POOL_SIZE}`);
  }
  const masterLabel = cfg.masterKeyLabel ?? DEFAULT_MASTER_KEY_LABEL;
  const module = acquireModule(cfg.module);
  const cleanup: Array<() => void> = [() => module.release()];
  try {
    const found = findTokenSlot(module.p11, cfg.tokenLabel, cfg.slot);
    if (!found) throw new CryptoError('HSM_UNAVAILABLE', `no initialised token labelled "${cfg.tokenLabel}"`);
    const slotKey = `${slotNumber(found.slot)}`;
    const mechanisms = p11('initialize', () => module.p11.C_GetMechanismList(found.slot));
    const wrapMechanism = mechanisms.includes(pkcs11js.CKM_AES_KEY_WRAP_PAD)
      ? 'CKM_AES_KEY_WRAP_PAD'
      : mechanisms.includes(pkcs11js.CKM_AES_KEY_WRAP)
        ? 'CKM_AES_KEY_WRAP'
        : undefined;
    if (!wrapMechanism) throw new CryptoError('UNSUPPORTED', 'the token supports neither CKM_AES_KEY_WRAP_PAD nor CKM_AES_KEY_WRAP');

    const holder: { provider?: Pkcs11CryptoProvider } = {};
    const pool = new SessionPool(module.p11, found.slot, poolSize, () => holder.provider?.forgetCachedKeys());
    pool.open();
    cleanup.unshift(() => pool.closeAll());
    module.login(slotKey, pool.first(), cfg.pin);
    cleanup.unshift(() => module.logout(slotKey, pool.first()));

    const session = pool.first();
    let master = findMasterKey(module.p11, session, masterLabel);
    if (!master) {
      master = await createMasterKey(module.p11, session, masterLabel);
      log.info({ tokenLabel: cfg.tokenLabel, masterKeyLabel: masterLabel }, 'created the master wrapping key');
    }
    const info = {
      module: cfg.module,
      tokenLabel: cfg.tokenLabel,
      manufacturer: trimField(found.info.manufacturerID),
      model: trimField(found.info.model),
    };
    const provider = new Pkcs11CryptoProvider(module, pool, slotKey, masterLabel, master, wrapMechanism, info, log, opts.keyCacheSize ?? 64);
    holder.provider = provider;
    log.info({ ...info, slot: slotKey, wrapMechanism, sessions: poolSize }, 'PKCS#11 provider open');
    return provider;
  } catch (err) {
    for (const undo of cleanup) {
      try {
        undo();
      } catch {
        // Keep undoing; the original error is what matters.
      }
    }
    throw err;
  }
}
