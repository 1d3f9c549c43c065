/**
 * The object lifecycle: KMIP 1.4 §3.22 / 2.1 §4.57 State and its transition figure, and the date
 * attributes that drive it (KMIP 1.4 §3.24–3.27: Activation, Process Start, Protect Stop and
 * Deactivation Date).
 *
 * Dates take effect when they pass, with no timers: `effectiveState(obj, now)` is a pure function
 * of the stored State and the dates, applied whenever an object is loaded or used, and the new
 * State is persisted the next time the object is written (`applyDateTransitions`). So a key whose
 * Deactivation Date passed while the server was down is Deactivated on its first use after a
 * restart.
 *
 * Storage status (KMIP 1.4 §4.22–4.23 Archive / Recover, §9.1.3.3.2 Storage Status Mask): an
 * object is in archival storage exactly when it carries an Archive Date attribute; Recover
 * removes it. `isArchived` / `storageStatus` are the single definition other operations (Get,
 * Locate's Storage Status Mask) use.
 */
import { KmipError, wrongKeyLifecycleState } from '../../kmip/errors.js';
import { ResultReason, State, StorageStatusMask, Tag } from '../../kmip/generated/index.js';
import { type ProtocolVersion, atLeast, is2x } from '../../kmip/protocol-version.js';
import { dateTime, enm } from '../../ttlv/build.js';
import { type ManagedObject, attr, attrNumber, loadObject, objectState, resolveUid, withAttribute } from '../objects.js';
import type { RequestContext } from '../types.js';

/** KMIP Date-Time values are whole seconds since the epoch (KMIP 1.4 §9.1.1.4). */
export function seconds(now: Date): bigint {
  return BigInt(Math.floor(now.getTime() / 1000));
}

/** A DateTime attribute of the object, in seconds, or undefined. */
export function dateAttr(obj: Pick<ManagedObject, 'attributes'>, tag: number): bigint | undefined {
  const v = attr(obj, tag);
  return v?.type === 'DateTime' ? v.value : undefined;
}

/**
 * The State the object is in at `now`, given its stored State and its dates (pure).
 * - Pre-Active -> Active when the Activation Date is at or before now (1.4 §3.22 state figure;
 *   2.1 §4.57);
 * - Pre-Active or Active -> Deactivated when the Deactivation Date is at or before now (1.4 §3.27:
 *   "the object SHALL NOT be used for applying cryptographic protection" after it; an object whose
 *   Deactivation Date passed never becomes usable, even if it was never activated).
 * Compromised, Destroyed and Destroyed Compromised are only reached by operations.
 */
export function effectiveState(obj: ManagedObject, now: Date): number {
  const t = seconds(now);
  let s = objectState(obj);
  const activation = dateAttr(obj, Tag.ActivationDate);
  const deactivation = dateAttr(obj, Tag.DeactivationDate);
  if (s === State.PreActive && activation !== undefined && activation <= t) s = State.Active;
  if ((s === State.PreActive || s === State.Active) && deactivation !== undefined && deactivation <= t) s = State.Deactivated;
  return s;
}

/**
 * The object with its State brought up to date (see `effectiveState`); the same object when
 * nothing changed, so callers can tell. Callers that write the object persist the new State.
 */
export function applyDateTransitions(obj: ManagedObject, now: Date): ManagedObject {
  const s = effectiveState(obj, now);
  return s === objectState(obj) ? obj : withAttribute(obj, Tag.State, enm(Tag.State, s));
}

/** Sets State and Last Change Date (KMIP 1.4 §3.38: every change to an attribute updates it). */
export function withState(obj: ManagedObject, state: number, now: Date): ManagedObject {
  return touched(withAttribute(obj, Tag.State, enm(Tag.State, state)), now);
}

/** Sets Last Change Date to now. */
export function touched(obj: ManagedObject, now: Date): ManagedObject {
  return withAttribute(obj, Tag.LastChangeDate, dateTime(Tag.LastChangeDate, seconds(now)));
}

export function isArchived(obj: Pick<ManagedObject, 'attributes'>): boolean {
  return attr(obj, Tag.ArchiveDate) !== undefined;
}

/** The Storage Status Mask bit the object matches (KMIP 1.4 §9.1.3.3.2, 2.1 §12.3). */
export function storageStatus(obj: ManagedObject): number {
  const st = objectState(obj);
  if (st === State.Destroyed || st === State.DestroyedCompromised) return StorageStatusMask.DestroyedStorage;
  return isArchived(obj) ? StorageStatusMask.ArchivalStorage : StorageStatusMask.OnLineStorage;
}

/**
 * The error for an operation the object's State does not allow: Wrong Key Lifecycle State from
 * KMIP 2.1, Permission Denied before. 1.x has no Wrong Key Lifecycle State; 2.0 added it (2.0
 * §11.46), but its operation error tables list Permission Denied beside it (e.g. 2.0 §6.1.15.1
 * Destroy Errors, unchanged in 2.1), and every OASIS 2.0 profile vector that refuses an operation
 * for the object's state answers Permission Denied (AKLC-M-2-20 step 5 Destroy of an Active key,
 * AKLC-M-3-20 step 4 Modify Attribute, CS-BC-M-14-20, CS-AC-M-8-20), as the 1.x ones do
 * (SKLC-M-2-14, AKLC-M-2-14); the 2.1 vectors answer Wrong Key Lifecycle State (AKLC-M-2-21,
 * AKLC-M-3-21, SKLC-M-2-21, CS-BC-M-14-21).
 */
export function wrongState(version: ProtocolVersion, msg: string): KmipError {
  return atLeast(version, 2, 1) ? wrongKeyLifecycleState(msg) : new KmipError(ResultReason.PermissionDenied, msg);
}

export const objectArchived = (): KmipError => new KmipError(ResultReason.ObjectArchived, 'Object is archived');

/**
 * Loads an object for a lifecycle or cryptographic operation: the owner check and the
 * destroyed check of `loadObject`, then the date transitions; an archived object is refused with
 * Object Archived (KMIP 1.4 §4.22: it must be recovered first) unless `allowArchived`.
 */
export async function loadCurrent(
  ctx: RequestContext,
  uid: string | undefined,
  opts: { allowDestroyed?: boolean; allowArchived?: boolean } = {},
): Promise<ManagedObject> {
  const obj = await loadObject(ctx, resolveUid(ctx, uid), { allowDestroyed: opts.allowDestroyed });
  if (!opts.allowArchived && isArchived(obj)) throw objectArchived();
  return applyDateTransitions(obj, ctx.now);
}

/**
 * Requires every bit of `mask` in the object's Cryptographic Usage Mask (KMIP 1.4 §3.19). Fails with Incompatible Cryptographic Usage Mask in 2.x; 1.x has no such reason, and
 * Permission Denied is what 1.x servers answer (PyKMIP does for Encrypt/Sign without the bit).
 * An object without a Cryptographic Usage Mask allows nothing.
 */
export function requireUsage(obj: ManagedObject, mask: number, version: ProtocolVersion = { major: 2, minor: 1 }): void {
  const have = attrNumber(obj, Tag.CryptographicUsageMask) ?? 0;
  if ((have & mask) >>> 0 !== mask >>> 0) {
    throw new KmipError(
      is2x(version) ? ResultReason.IncompatibleCryptographicUsageMask : ResultReason.PermissionDenied,
      'The Cryptographic Usage Mask does not allow this use',
    );
  }
}

/** What a cryptographic operation does with the key, for `requireUsableState`. */
export type Purpose = 'protect' | 'process';

/**
 * Requires the object's State and dates to allow the purpose (KMIP 1.4 §3.22, §3.25–3.26; 2.1
 * §4.57):
 * - protect (Encrypt, Sign, MAC, Wrap): Active only, and not after the Protect Stop Date;
 * - process (Decrypt, Verify, MAC Verify, Unwrap): Active, Deactivated or Compromised ("MAY be
 *   used to process cryptographically-protected information"), and not before the Process Start
 *   Date. Pre-Active objects "SHALL NOT be used for any cryptographic purpose".
 * Pass an object from `loadCurrent` (dates already applied).
 */
export function requireUsableState(version: ProtocolVersion, obj: ManagedObject, purpose: Purpose, now: Date): void {
  const s = effectiveState(obj, now);
  const t = seconds(now);
  if (purpose === 'protect') {
    if (s !== State.Active) throw wrongState(version, 'The object must be Active to protect data');
    const stop = dateAttr(obj, Tag.ProtectStopDate);
    if (stop !== undefined && stop <= t) throw wrongState(version, 'The Protect Stop Date has passed');
    return;
  }
  if (s !== State.Active && s !== State.Deactivated && s !== State.Compromised) {
    throw wrongState(version, 'The object cannot process data in its current state');
  }
  const start = dateAttr(obj, Tag.ProcessStartDate);
  if (start !== undefined && start > t) throw wrongState(version, 'The Process Start Date has not been reached');
}
