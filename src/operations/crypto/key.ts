/**
 * The key a cryptographic operation uses, checked as KMIP requires before any HSM call:
 * - it exists, belongs to the caller, is not destroyed or archived (`loadCurrent`);
 * - it is a Symmetric Key held by the HSM (asymmetric Encrypt/Decrypt is not offered yet);
 * - its State and dates allow the purpose (`requireUsableState`: Encrypt and MAC need an Active
 *   key before its Protect Stop Date; Decrypt and MAC Verify also accept Deactivated and
 *   Compromised keys, after the Process Start Date; KMIP 1.4 §3.22, 2.1 §4.57);
 * - its Cryptographic Usage Mask has the operation's bit (`requireUsage`: Incompatible
 *   Cryptographic Usage Mask in 2.x, Permission Denied in 1.x).
 * Usage Limits (1.4 §3.21, 2.1 §4.61) are charged for protecting operations (Encrypt, MAC).
 */
import type { SymmetricAlgorithm } from '../../crypto/provider.js';
import type { KeyRef } from '../../crypto/provider.js';
import { KmipError } from '../../kmip/errors.js';
import { ObjectType, ResultReason, Tag, UsageLimitsUnit } from '../../kmip/generated/index.js';
import { is2x } from '../../kmip/protocol-version.js';
import { type Purpose, loadCurrent, requireUsableState, requireUsage } from '../lifecycle/state.js';
import { remainingUsage, withUsageCount } from '../lifecycle/usage.js';
import { type ManagedObject, attr, resolveUid, saveObject } from '../objects.js';
import type { RequestContext } from '../types.js';

export interface UsableKey {
  readonly obj: ManagedObject;
  readonly ref: KeyRef;
  readonly algorithm: SymmetricAlgorithm;
}

/** Loads and checks the key for an operation needing `usageBit` of the Cryptographic Usage Mask. */
export async function usableKey(ctx: RequestContext, uid: string | undefined, purpose: Purpose, usageBit: number): Promise<UsableKey> {
  return checkedKey(ctx, await loadCurrent(ctx, resolveUid(ctx, uid)), purpose, usageBit);
}

/** The checks of usableKey() on an object already loaded with `loadCurrent` (one store read per request). */
export function checkedKey(ctx: RequestContext, obj: ManagedObject, purpose: Purpose, usageBit: number): UsableKey {
  if (obj.objectType !== ObjectType.SymmetricKey) {
    if (obj.objectType === ObjectType.PublicKey || obj.objectType === ObjectType.PrivateKey) {
      throw new KmipError(ResultReason.FeatureNotSupported, 'Cryptographic operations with asymmetric keys are not supported');
    }
    throw new KmipError(is2x(ctx.version) ? ResultReason.InvalidObjectType : ResultReason.IllegalOperation, 'The object is not a key');
  }
  try {
    requireUsableState(ctx.version, obj, purpose, ctx.now);
  } catch (err) {
    // The OASIS 2.0 vectors still answer Permission Denied here (CS-BC-M-14-20); the 2.1 ones
    // Wrong Key Lifecycle State (CS-BC-M-14-21), and 1.x Permission Denied (CS-BC-M-14-13/14).
    if (err instanceof KmipError && ctx.version.major === 2 && ctx.version.minor === 0) {
      throw new KmipError(ResultReason.PermissionDenied, err.message);
    }
    throw err;
  }
  requireUsage(obj, usageBit, ctx.version);
  if (obj.key === undefined) {
    throw new KmipError(ResultReason.FeatureNotSupported, 'The key\'s algorithm is not one the cryptographic module implements');
  }
  return { obj, ref: obj.key.ref, algorithm: obj.key.algorithm };
}

/**
 * Charges `bytes` of protected data against the key's Usage Limits, if it has any, and stages the
 * new count. Exhausted: Permission Denied, which the OASIS vectors answer in every version
 * (CS-BC-M-7-13 ... CS-BC-M-7-21).
 */
export function chargeUsage(ctx: RequestContext, key: Pick<UsableKey, 'obj'>, bytes: number): void {
  const left = remainingUsage(key.obj);
  if (left === undefined) return;
  const u = attr(key.obj, Tag.UsageLimits);
  const unit = u?.type === 'Structure' ? u.value.find((c) => c.tag === Tag.UsageLimitsUnit) : undefined;
  const cost = BigInt(unit?.type === 'Enumeration' && unit.value === UsageLimitsUnit.Object ? 1 : bytes);
  if (cost > left) throw new KmipError(ResultReason.PermissionDenied, 'The key\'s Usage Limits are exhausted');
  saveObject(ctx, { ...withUsageCount(key.obj, left - cost), revision: key.obj.revision + 1 });
}
