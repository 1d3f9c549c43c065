/**
 * The state machine as pure functions (src/operations/lifecycle/state.ts): date-driven
 * transitions, and the usage checks the cryptographic operations call.
 */
import { describe, expect, it } from 'vitest';
import { KmipError } from '../src/kmip/errors.js';
import { CryptographicUsageMask, ObjectType, ResultReason, State, StorageStatusMask, Tag } from '../src/kmip/generated/index.js';
import {
  applyDateTransitions,
  effectiveState,
  isArchived,
  requireUsableState,
  requireUsage,
  storageStatus,
} from '../src/operations/lifecycle/index.js';
import { type ManagedObject, attrNumber } from '../src/operations/objects.js';
import { dateTime, enm, int } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';

const V14 = { major: 1, minor: 4 };
const V21 = { major: 2, minor: 1 };
const at = (s: number) => new Date(s * 1000);

function obj(state: number, extra: TtlvNode[] = []): ManagedObject {
  const nodes = [enm(Tag.State, state), ...extra];
  return { uid: 'u', owner: 'alice', revision: 1, objectType: ObjectType.SymmetricKey, attributes: nodes.map((value) => ({ tag: value.tag, value })) };
}
const reasonOf = (f: () => void): number | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(KmipError);
    return (e as KmipError).reason;
  }
};

describe('effectiveState', () => {
  const dated = obj(State.PreActive, [dateTime(Tag.ActivationDate, 100n), dateTime(Tag.DeactivationDate, 200n)]);

  it('follows the Activation and Deactivation Dates, inclusive', () => {
    expect(effectiveState(dated, at(99))).toBe(State.PreActive);
    expect(effectiveState(dated, at(100))).toBe(State.Active);
    expect(effectiveState(dated, at(199))).toBe(State.Active);
    expect(effectiveState(dated, at(200))).toBe(State.Deactivated);
  });

  it('never moves Compromised or destroyed objects, nor objects without dates', () => {
    for (const s of [State.Compromised, State.Destroyed, State.DestroyedCompromised]) {
      expect(effectiveState(obj(s, [dateTime(Tag.ActivationDate, 1n), dateTime(Tag.DeactivationDate, 2n)]), at(1000))).toBe(s);
    }
    expect(effectiveState(obj(State.PreActive), at(1e9))).toBe(State.PreActive);
    expect(effectiveState(obj(State.Active), at(1e9))).toBe(State.Active);
  });

  it('a Pre-Active object whose Deactivation Date passed is Deactivated, never usable', () => {
    expect(effectiveState(obj(State.PreActive, [dateTime(Tag.DeactivationDate, 5n)]), at(6))).toBe(State.Deactivated);
  });

  it('applyDateTransitions returns the same object when nothing changes, else the new State', () => {
    expect(applyDateTransitions(dated, at(50))).toBe(dated);
    expect(attrNumber(applyDateTransitions(dated, at(150)), Tag.State)).toBe(State.Active);
    expect(applyDateTransitions(dated, at(150)).attributes.filter((a) => a.tag === Tag.State)).toHaveLength(1);
  });
});

describe('requireUsage', () => {
  const o = obj(State.Active, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt)]);
  it('passes when every bit is allowed', () => {
    expect(reasonOf(() => requireUsage(o, CryptographicUsageMask.Encrypt))).toBeUndefined();
    expect(reasonOf(() => requireUsage(o, CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt, V14))).toBeUndefined();
  });
  it('fails with Incompatible Cryptographic Usage Mask (2.x) / Permission Denied (1.x)', () => {
    expect(reasonOf(() => requireUsage(o, CryptographicUsageMask.Sign, V21))).toBe(ResultReason.IncompatibleCryptographicUsageMask);
    expect(reasonOf(() => requireUsage(o, CryptographicUsageMask.Encrypt | CryptographicUsageMask.MACGenerate, V14))).toBe(
      ResultReason.PermissionDenied,
    );
    expect(reasonOf(() => requireUsage(obj(State.Active), CryptographicUsageMask.Encrypt))).toBe(ResultReason.IncompatibleCryptographicUsageMask);
  });
});

describe('requireUsableState', () => {
  const wrong2 = ResultReason.WrongKeyLifecycleState;
  it('protect: Active only, and not from the Protect Stop Date on', () => {
    expect(reasonOf(() => requireUsableState(V21, obj(State.Active), 'protect', at(1)))).toBeUndefined();
    for (const s of [State.PreActive, State.Deactivated, State.Compromised]) {
      expect(reasonOf(() => requireUsableState(V21, obj(s), 'protect', at(1)))).toBe(wrong2);
    }
    expect(reasonOf(() => requireUsableState(V14, obj(State.Deactivated), 'protect', at(1)))).toBe(ResultReason.PermissionDenied);
    const stop = obj(State.Active, [dateTime(Tag.ProtectStopDate, 10n)]);
    expect(reasonOf(() => requireUsableState(V21, stop, 'protect', at(9)))).toBeUndefined();
    expect(reasonOf(() => requireUsableState(V21, stop, 'protect', at(10)))).toBe(wrong2);
    expect(reasonOf(() => requireUsableState(V21, stop, 'process', at(10)))).toBeUndefined();
  });
  it('process: Active, Deactivated or Compromised, and not before the Process Start Date', () => {
    for (const s of [State.Active, State.Deactivated, State.Compromised]) {
      expect(reasonOf(() => requireUsableState(V21, obj(s), 'process', at(1)))).toBeUndefined();
    }
    expect(reasonOf(() => requireUsableState(V21, obj(State.PreActive), 'process', at(1)))).toBe(wrong2);
    const start = obj(State.Active, [dateTime(Tag.ProcessStartDate, 10n)]);
    expect(reasonOf(() => requireUsableState(V21, start, 'process', at(9)))).toBe(wrong2);
    expect(reasonOf(() => requireUsableState(V21, start, 'process', at(10)))).toBeUndefined();
  });
  it('applies the dates itself (an object loaded before its Deactivation Date)', () => {
    const o = obj(State.Active, [dateTime(Tag.DeactivationDate, 10n)]);
    expect(reasonOf(() => requireUsableState(V21, o, 'protect', at(10)))).toBe(wrong2);
  });
});

describe('storage status', () => {
  it('archived exactly when Archive Date is set; destroyed wins', () => {
    expect(isArchived(obj(State.Active))).toBe(false);
    expect(storageStatus(obj(State.Active))).toBe(StorageStatusMask.OnLineStorage);
    const a = obj(State.Active, [dateTime(Tag.ArchiveDate, 1n)]);
    expect(isArchived(a)).toBe(true);
    expect(storageStatus(a)).toBe(StorageStatusMask.ArchivalStorage);
    expect(storageStatus(obj(State.Destroyed, [dateTime(Tag.ArchiveDate, 1n)]))).toBe(StorageStatusMask.DestroyedStorage);
  });
});
