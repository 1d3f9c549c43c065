/**
 * A fixed pool of R/W sessions on one token.
 *
 * A PKCS#11 session runs one operation at a time (v2.40 §5.6: an active C_EncryptInit or
 * C_FindObjectsInit belongs to the session), so each operation borrows a session for its whole
 * duration and gives it back in `finally`. Sessions share the application's login state (v2.40
 * §4.1: login is per application and token, not per session), so logging in once is enough.
 */
import pkcs11js from 'pkcs11js';
import type { Handle, PKCS11 } from 'pkcs11js';

import { CryptoError } from '../provider.js';
import { p11 } from './ckr.js';

/**
 * Return codes after which a session must be replaced, not reused: it is gone, or an operation
 * some failed caller began (C_*Init without its final call) still occupies it; PKCS#11 v2.40
 * has no way to cancel that other than closing the session.
 */
const DEAD_SESSION = new Set<number>([
  pkcs11js.CKR_SESSION_HANDLE_INVALID,
  pkcs11js.CKR_SESSION_CLOSED,
  pkcs11js.CKR_OPERATION_ACTIVE,
]);

/**
 * Most callers that may wait for a session at once. Beyond it the HSM is plainly overloaded;
 * failing fast (HSM_UNAVAILABLE) beats an unbounded queue of requests and their buffers.
 */
export const MAX_QUEUED_CALLERS = 4096;

/** What SessionPool.useNow() returns when no session is free. */
export const NO_FREE_SESSION: unique symbol = Symbol('no free session');

export class SessionPool {
  private readonly all: Handle[] = [];
  private readonly free: Handle[] = [];
  /** Sessions opened outside the pool for one long-running operation each (openDedicated). */
  private readonly dedicated = new Set<Handle>();
  /** Dedicated sessions left out of dedicatedCount. */
  private readonly uncounted = new Set<Handle>();
  /** Callers waiting for a session; called with undefined when the pool closes. */
  private readonly waiters: Array<(s: Handle | undefined) => void> = [];
  private closed = false;
  private onIdle: (() => void) | undefined;

  /**
   * @param onReplace called when a dead session was replaced; session objects created in it
   *   are gone (v2.40 §4.4), so the caller drops any cached handles.
   */
  constructor(
    private readonly mod: PKCS11,
    private readonly slot: Handle,
    private readonly size: number,
    private readonly onReplace: () => void = () => {},
  ) {}

  /** Opens the sessions. Throws (after closing what it opened) if the token refuses. */
  open(): void {
    try {
      for (let i = 0; i < this.size; i++) {
        const s = this.openOne();
        this.all.push(s);
        this.free.push(s);
      }
    } catch (err) {
      this.closeAll();
      throw err;
    }
  }

  /** Any one session, for token-wide calls made while no operation runs (login, logout). */
  first(): Handle {
    const s = this.all[0];
    if (!s) throw new CryptoError('HSM_UNAVAILABLE', 'PKCS#11 session pool is not open');
    return s;
  }

  /** Borrows a session for `fn` and returns it afterwards, whatever happens. */
  async use<T>(fn: (session: Handle) => Promise<T> | T): Promise<T> {
    const session = await this.borrow();
    let dead = false;
    try {
      return await fn(session);
    } catch (err) {
      dead = err instanceof CryptoError && err.ckr !== undefined && DEAD_SESSION.has(err.ckr);
      throw err;
    } finally {
      this.giveBack(dead ? this.replace(session) : session);
    }
  }

  /**
   * Runs synchronous `fn` at once in a free session, or returns NO_FREE_SESSION without running
   * it when none is free (or the pool is closed): a small module call then costs no promise hop.
   * The session goes back (replaced if dead, as in use()) before this returns.
   */
  useNow<T>(fn: (session: Handle) => T): T | typeof NO_FREE_SESSION {
    if (this.closed) return NO_FREE_SESSION;
    const session = this.free.pop();
    if (session === undefined) return NO_FREE_SESSION;
    let dead = false;
    try {
      return fn(session);
    } catch (err) {
      dead = err instanceof CryptoError && err.ckr !== undefined && DEAD_SESSION.has(err.ckr);
      throw err;
    } finally {
      this.giveBack(dead ? this.replace(session) : session);
    }
  }

  /** Stops lending and resolves once every borrowed session is back. */
  async drain(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(undefined);
    if (this.free.length === this.all.length) return;
    await new Promise<void>((resolve) => {
      this.onIdle = resolve;
    });
  }

  /**
   * Opens a session outside the pool for one operation that outlives a request (a multi-part
   * cipher kept running between KMIP requests), so it never holds one of the pool's sessions.
   * The caller bounds how many it opens and closes each with closeDedicated(); closeAll() closes
   * any left. `counted` false leaves it out of `dedicatedCount` (the cipher worker's one
   * long-lived session, which is no stream's).
   */
  openDedicated(counted = true): Handle {
    if (this.closed) throw new CryptoError('HSM_UNAVAILABLE', 'crypto provider is closed');
    const s = this.openOne();
    this.dedicated.add(s);
    if (!counted) this.uncounted.add(s);
    return s;
  }

  /**
   * Closes a session from openDedicated(): ends any operation still active in it and destroys
   * the session objects created in it (PKCS#11 v2.40 §5.6). Idempotent.
   */
  closeDedicated(session: Handle): void {
    if (!this.dedicated.delete(session)) return;
    this.uncounted.delete(session);
    try {
      this.mod.C_CloseSession(session);
    } catch {
      // Already gone; closing is best effort.
    }
  }

  /** Number of dedicated sessions open, the cipher worker's left out (tests: nothing leaks). */
  get dedicatedCount(): number {
    return this.dedicated.size - this.uncounted.size;
  }

  /** Closes every session of the pool (not other users' sessions: no C_CloseAllSessions). */
  closeAll(): void {
    for (const s of [...this.dedicated]) this.closeDedicated(s);
    for (const s of this.all.splice(0)) {
      try {
        this.mod.C_CloseSession(s);
      } catch {
        // Already gone; closing is best effort.
      }
    }
    this.free.length = 0;
  }

  private openOne(): Handle {
    return p11('open-session', () =>
      this.mod.C_OpenSession(this.slot, pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION),
    );
  }

  private borrow(): Promise<Handle> {
    if (this.closed) return Promise.reject(new CryptoError('HSM_UNAVAILABLE', 'crypto provider is closed'));
    const s = this.free.pop();
    if (s) return Promise.resolve(s);
    if (this.waiters.length >= MAX_QUEUED_CALLERS) {
      return Promise.reject(new CryptoError('HSM_UNAVAILABLE', 'the HSM is busy: too many operations waiting for a session'));
    }
    return new Promise<Handle>((resolve, reject) => {
      this.waiters.push((session) => {
        if (session) resolve(session);
        else reject(new CryptoError('HSM_UNAVAILABLE', 'crypto provider is closed'));
      });
    });
  }

  private giveBack(session: Handle): void {
    const next = this.closed ? undefined : this.waiters.shift();
    if (next) {
      next(session);
      return;
    }
    this.free.push(session);
    if (this.closed && this.free.length === this.all.length) this.onIdle?.();
  }

  /** Replaces a dead session with a fresh one; keeps the dead one if the token refuses. */
  private replace(dead: Handle): Handle {
    try {
      const fresh = this.openOne();
      const i = this.all.indexOf(dead);
      if (i >= 0) this.all[i] = fresh;
      try {
        this.mod.C_CloseSession(dead);
      } catch {
        // It was dead already.
      }
      this.onReplace();
      return fresh;
    } catch {
      return dead;
    }
  }
}
