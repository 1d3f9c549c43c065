/**
 * Opening the PKCS#11 provider: module, slot, sessions, login, master key, capability probes.
 * The provider itself is in ./pkcs11-provider.ts.
 */
import pkcs11js from 'pkcs11js';
import type { Handle, PKCS11 } from 'pkcs11js';

import { CryptoError } from '../provider.js';
import { checkPolicy as checkExportCachePolicy } from './export-cache.js';
import { p11, p11Async } from './ckr.js';
import {
  DEFAULT_MASTER_KEY_LABEL,
  DEFAULT_SESSION_POOL_SIZE,
  MAX_SESSION_POOL_SIZE,
  type Pkcs11Config,
  type Pkcs11ProviderOptions,
  type ProviderLogger,
} from './config.js';
import { acquireModule } from './module.js';
import { createMasterKey, destroyQuietly, findMasterKey, readValue } from './objects.js';
import { Pkcs11CryptoProvider } from './pkcs11-provider.js';
import { SessionPool } from './session-pool.js';
import { findTokenSlot, slotNumber, trimField } from './token.js';

export { MAX_RANDOM_BYTES, Pkcs11CryptoProvider, type ProviderInfo, type UnwrappedKey } from './pkcs11-provider.js';

const silent: ProviderLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Default size of the unwrapped-key handle cache. */
export const DEFAULT_KEY_CACHE_SIZE = 64;

/** The best AES key wrap the token offers: RFC 5649 (any length), else RFC 3394. */
function chooseWrapMechanism(mod: PKCS11, slot: Handle): 'CKM_AES_KEY_WRAP_PAD' | 'CKM_AES_KEY_WRAP' {
  const mechanisms = p11('initialize', () => mod.C_GetMechanismList(slot));
  if (mechanisms.includes(pkcs11js.CKM_AES_KEY_WRAP_PAD)) return 'CKM_AES_KEY_WRAP_PAD';
  if (mechanisms.includes(pkcs11js.CKM_AES_KEY_WRAP)) return 'CKM_AES_KEY_WRAP';
  throw new CryptoError('UNSUPPORTED', 'the token supports neither CKM_AES_KEY_WRAP_PAD nor CKM_AES_KEY_WRAP');
}

/**
 * Whether C_UnwrapKey with CKM_AES_KEY_WRAP_PAD returns the value with its RFC 5649 padding
 * still on (SoftHSM2 2.6 does). Wraps and unwraps a throwaway 3-byte generic secret.
 */
export async function probeUnwrapPadding(mod: PKCS11, session: Handle, master: Handle): Promise<boolean> {
  const mech = { mechanism: pkcs11js.CKM_AES_KEY_WRAP_PAD };
  const secret = [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_GENERIC_SECRET },
    { type: pkcs11js.CKA_TOKEN, value: false },
    { type: pkcs11js.CKA_EXTRACTABLE, value: true },
  ];
  const probe = p11('create', () =>
    mod.C_CreateObject(session, [...secret, { type: pkcs11js.CKA_SENSITIVE, value: true }, { type: pkcs11js.CKA_VALUE, value: Buffer.from([1, 2, 3]) }]),
  );
  let back: Handle | undefined;
  try {
    const blob = await p11Async('wrap', () => mod.C_WrapKeyAsync(session, mech, master, probe, Buffer.alloc(32)));
    back = await p11Async('unwrap', () => mod.C_UnwrapKeyAsync(session, mech, master, blob, [...secret, { type: pkcs11js.CKA_SENSITIVE, value: false }]));
    return readValue(mod, session, back).length !== 3;
  } finally {
    destroyQuietly(mod, session, probe);
    if (back) destroyQuietly(mod, session, back);
  }
}

/**
 * Refuses a token whose user PIN is locked (a login attempt would only say CKR_PIN_LOCKED after
 * the fact) and warns when one more wrong PIN would lock it (CK_TOKEN_INFO flags, v2.40 §3.2).
 */
function checkPinState(flags: number, tokenLabel: string, log: ProviderLogger): void {
  if (flags & pkcs11js.CKF_USER_PIN_LOCKED) {
    throw new CryptoError('HSM_UNAVAILABLE', `the user PIN of token "${tokenLabel}" is locked`);
  }
  if (flags & (pkcs11js.CKF_USER_PIN_FINAL_TRY | pkcs11js.CKF_USER_PIN_COUNT_LOW)) {
    log.warn({ tokenLabel, finalTry: (flags & pkcs11js.CKF_USER_PIN_FINAL_TRY) !== 0 }, 'the token reports failed user PIN attempts');
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
  if (opts.exportCache !== undefined) {
    try {
      checkExportCachePolicy(opts.exportCache);
    } catch (err) {
      throw new CryptoError('UNSUPPORTED', (err as Error).message);
    }
  }
  const masterLabel = cfg.masterKeyLabel ?? DEFAULT_MASTER_KEY_LABEL;
  const module = acquireModule(cfg.module);
  const cleanup: Array<() => void> = [() => module.release()];
  try {
    const found = findTokenSlot(module.p11, cfg.tokenLabel, cfg.slot);
    if (!found) throw new CryptoError('HSM_UNAVAILABLE', `no initialised token labelled "${cfg.tokenLabel}"`);
    checkPinState(found.info.flags, cfg.tokenLabel, log);
    const slotKey = `${slotNumber(found.slot)}`;
    const wrapMechanism = chooseWrapMechanism(module.p11, found.slot);

    const holder: { provider?: Pkcs11CryptoProvider } = {};
    const pool = new SessionPool(module.p11, found.slot, poolSize, () => holder.provider?.forgetCachedKeys());
    pool.open();
    cleanup.unshift(() => pool.closeAll());
    module.login(slotKey, pool.first(), cfg.pin);
    cleanup.unshift(() => module.logout(slotKey, pool.first()));

    const session = pool.first();
    let masterKey = findMasterKey(module.p11, session, masterLabel);
    if (!masterKey) {
      masterKey = await createMasterKey(module.p11, session, masterLabel);
      log.info({ tokenLabel: cfg.tokenLabel, masterKeyLabel: masterLabel }, 'created the master wrapping key');
    }
    let unwrapKeepsPadding = false;
    if (wrapMechanism === 'CKM_AES_KEY_WRAP_PAD') {
      try {
        unwrapKeepsPadding = await probeUnwrapPadding(module.p11, session, masterKey);
      } catch (err) {
        // Not fatal: only odd-length HMAC keys used for crypto inside the HSM depend on it.
        log.warn({ err: { code: err instanceof CryptoError ? err.code : 'unknown' } }, 'could not probe RFC 5649 unwrap padding');
      }
    }
    const info = {
      module: cfg.module,
      tokenLabel: cfg.tokenLabel,
      manufacturer: trimField(found.info.manufacturerID),
      model: trimField(found.info.model),
    };
    const provider = new Pkcs11CryptoProvider({
      module,
      pool,
      slotKey,
      masterLabel,
      masterKey,
      wrapMechanism,
      unwrapKeepsPadding,
      info,
      log,
      cacheSize: opts.keyCacheSize ?? DEFAULT_KEY_CACHE_SIZE,
      exportCache: opts.exportCache ?? { ttlMs: 0, maxEntries: 0 },
      exportInWorker: opts.exportInWorker ?? true,
      cipherInWorker: opts.cipherInWorker ?? false,
    });
    holder.provider = provider;
    log.info({ ...info, slot: slotKey, wrapMechanism, unwrapKeepsPadding, sessions: poolSize, exportCache: opts.exportCache ?? 'off' }, 'PKCS#11 provider open');
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
