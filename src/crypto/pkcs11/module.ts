/**
 * One loaded, initialised PKCS#11 module per library path per process.
 *
 * PKCS#11 v2.40 §5.4: C_Initialize may be called once per process; a second call returns
 * CKR_CRYPTOKI_ALREADY_INITIALIZED, and C_Finalize ends the library for everybody in the process.
 * Several providers (and ensureSoftHsmToken) may use the same module, so initialisation is
 * reference counted here: the first user initialises, the last one finalises.
 */
import { realpathSync } from 'node:fs';

import pkcs11js from 'pkcs11js';
import type { Handle, PKCS11 } from 'pkcs11js';

import { ckrOf, p11 as call, toCryptoError } from './ckr.js';

interface Entry {
  readonly p11: PKCS11;
  refs: number;
  /** False when somebody outside this registry had already initialised the library. */
  ownsInit: boolean;
  /** SOFTHSM2_CONF when C_Initialize ran (SoftHSM2 reads its configuration then). */
  conf: string | undefined;
  /** Users logged in per slot: login state is per application and token (v2.40 §5.6). */
  readonly logins: Map<string, number>;
}

const modules = new Map<string, Entry>();

/** A counted reference to an initialised module; call `release()` exactly once. */
export interface ModuleRef {
  readonly p11: PKCS11;
  /** Resolved library path. */
  readonly path: string;
  /**
   * C_Login as CKU_USER, shared with other holders of the module on the same slot: the first
   * logs in, CKR_USER_ALREADY_LOGGED_IN from a late one is fine.
   */
  login(slotKey: string, session: Handle, pin: string): void;
  /** Undoes login(); the last one out calls C_Logout. */
  logout(slotKey: string, session: Handle): void;
  release(): void;
}

function resolve(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Loads (once) and initialises (when no one else holds it) the PKCS#11 library at `path`.
 * C_Initialize gets CKF_OS_LOCKING_OK: pkcs11js runs the *Async calls on libuv worker threads,
 * so the module must lock with native mutexes.
 */
export function acquireModule(path: string): ModuleRef {
  const key = resolve(path);
  let entry = modules.get(key);
  if (!entry) {
    const p11 = new pkcs11js.PKCS11();
    try {
      p11.load(key);
    } catch (err) {
      throw toCryptoError(err, 'initialize');
    }
    entry = { p11, refs: 0, ownsInit: false, conf: undefined, logins: new Map() };
    modules.set(key, entry);
  }
  if (entry.refs === 0) {
    try {
      entry.p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
      entry.ownsInit = true;
    } catch (err) {
      if (ckrOf(err) !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw toCryptoError(err, 'initialize');
      entry.ownsInit = false;
    }
    entry.conf = process.env['SOFTHSM2_CONF'];
  }
  entry.refs += 1;
  const held = entry;
  let released = false;
  return {
    p11: held.p11,
    path: key,
    login(slotKey: string, session: Handle, pin: string): void {
      const n = held.logins.get(slotKey) ?? 0;
      if (n === 0) {
        try {
          held.p11.C_Login(session, pkcs11js.CKU_USER, pin);
        } catch (err) {
          if (ckrOf(err) !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) throw toCryptoError(err, 'login');
        }
      }
      held.logins.set(slotKey, n + 1);
    },
    logout(slotKey: string, session: Handle): void {
      const n = held.logins.get(slotKey) ?? 0;
      if (n <= 1) {
        held.logins.delete(slotKey);
        try {
          call('login', () => held.p11.C_Logout(session));
        } catch {
          // Not logged in any more (session gone, token removed): the goal is reached.
        }
      } else {
        held.logins.set(slotKey, n - 1);
      }
    },
    release(): void {
      if (released) return;
      released = true;
      held.refs -= 1;
      if (held.refs === 0 && held.ownsInit) {
        held.ownsInit = false;
        held.logins.clear();
        try {
          held.p11.C_Finalize();
        } catch {
          // Nothing useful to do: the library is being let go either way.
        }
      }
    },
  };
}

/**
 * The SOFTHSM2_CONF a currently initialised module at `path` was started with, or undefined
 * when that module is not initialised in this process.
 */
export function initialisedConf(path: string): { conf: string | undefined } | undefined {
  const entry = modules.get(resolve(path));
  return entry && entry.refs > 0 ? { conf: entry.conf } : undefined;
}
