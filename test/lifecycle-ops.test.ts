/**
 * Lifecycle operations in process (dispatcher + memory store + fake crypto, a controlled clock),
 * at KMIP 1.x and 2.x: Activate, Revoke, Destroy, Archive / Recover, Check, Obtain Lease, Get Usage
 * Allocation, Re-key, and the date-driven State transitions. Expected reasons come from the spec
 * and the OASIS vectors named in each test.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../src/dispatch/dispatcher.js';
import {
  BatchErrorContinuationOption,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  LinkType,
  NameType,
  ObjectType,
  Operation,
  ResultReason,
  ResultStatus,
  RevocationReasonCode,
  State,
  Tag,
  UsageLimitsUnit,
} from '../src/kmip/generated/index.js';
import { type ManagedObject, attr, attrNumber, deserializeObject } from '../src/operations/objects.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { ObjectStore } from '../src/store/object-store.js';
import { child, dateTime, enm, int, interval, long, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemSpec, type ItemResult, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';

const T0 = 1_800_000_000; // seconds; the test clock starts here
const ALICE = { principal: 'alice', connId: 'c1' };

type Version = [number, number];
const VERSIONS: [string, Version][] = [
  ['1.2', [1, 2]],
  ['1.4', [1, 4]],
  ['2.0', [2, 0]],
  ['2.1', [2, 1]],
];
const is2 = (v: Version) => v[0] >= 2;

/** Attributes for a request, as 2.x `Attributes` or a 1.x `Template-Attribute`. */
function attributes(v: Version, nodes: TtlvNode[]): TtlvNode {
  if (is2(v)) return struct(Tag.Attributes, nodes);
  const name = (n: TtlvNode) =>
    ({
      [Tag.CryptographicAlgorithm]: 'Cryptographic Algorithm',
      [Tag.CryptographicLength]: 'Cryptographic Length',
      [Tag.CryptographicUsageMask]: 'Cryptographic Usage Mask',
      [Tag.ActivationDate]: 'Activation Date',
      [Tag.DeactivationDate]: 'Deactivation Date',
      [Tag.ProtectStopDate]: 'Protect Stop Date',
      [Tag.Name]: 'Name',
      [Tag.UsageLimits]: 'Usage Limits',
      [Tag.State]: 'State',
    })[n.tag]!;
  return struct(
    Tag.TemplateAttribute,
    nodes.map((n) => struct(Tag.Attribute, [text(Tag.AttributeName, name(n)), { ...n, tag: Tag.AttributeValue } as TtlvNode])),
  );
}

const nameAttr = (s: string) => struct(Tag.Name, [text(Tag.NameValue, s), enm(Tag.NameType, NameType.UninterpretedTextString)]);
const uidNode = (uid: string) => text(Tag.UniqueIdentifier, uid);
const reason = (code: number, msg?: string) =>
  struct(Tag.RevocationReason, [enm(Tag.RevocationReasonCode, code), ...(msg ? [text(Tag.RevocationMessage, msg)] : [])]);

describe('lifecycle operations', () => {
  let store: ObjectStore;
  let d: Dispatcher;
  let clock: number;

  beforeEach(() => {
    store = createMemoryStore();
    clock = T0;
    d = testDispatcher({ store, now: () => new Date(clock * 1000) });
  });

  async function send(v: Version, items: ItemSpec[], header: TtlvNode[] = [], who = ALICE): Promise<ItemResult[]> {
    return parseResponse(await d.handle(request(v, items, header), who)).items;
  }
  async function one(v: Version, operation: number, payload: TtlvNode[], who = ALICE): Promise<ItemResult> {
    return (await send(v, [{ operation, payload }], [], who))[0]!;
  }
  const ok = (r: ItemResult) => {
    expect(r.message ?? '', `status ${r.status} reason ${r.reason}`).toBe('');
    expect(r.status).toBe(ResultStatus.Success);
    return r;
  };
  const failed = (r: ItemResult, reasonCode: number) => {
    expect(r.status).toBe(ResultStatus.OperationFailed);
    expect(r.reason).toBe(reasonCode);
  };
  async function create(v: Version, extra: TtlvNode[] = [], mask = CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt): Promise<string> {
    const r = ok(
      await one(v, Operation.Create, [
        enm(Tag.ObjectType, ObjectType.SymmetricKey),
        attributes(v, [
          enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
          int(Tag.CryptographicLength, 128),
          int(Tag.CryptographicUsageMask, mask),
          ...extra,
        ]),
      ]),
    );
    return payloadText(r, Tag.UniqueIdentifier)!;
  }
  async function stored(uid: string): Promise<ManagedObject> {
    return deserializeObject((await store.get(uid))!);
  }
  const stateOf = async (uid: string) => attrNumber(await stored(uid), Tag.State);
  const dateOf = async (uid: string, tag: number) => {
    const n = attr(await stored(uid), tag);
    return n?.type === 'DateTime' ? Number(n.value) : undefined;
  };
  const names = (o: ManagedObject) =>
    o.attributes.filter((a) => a.tag === Tag.Name).map((a) => child(a.value, Tag.NameValue)!.value as string);
  const links = (o: ManagedObject) =>
    o.attributes
      .filter((a) => a.tag === Tag.Link)
      .map((a) => [child(a.value, Tag.LinkType)!.value, child(a.value, Tag.LinkedObjectIdentifier)!.value]);

  for (const [label, v] of VERSIONS) {
    // Permission Denied up to 2.0 (AKLC-M-2-20, CS-BC-M-14-20), Wrong Key Lifecycle State from 2.1.
    const wrongState = v[0] > 2 || (v[0] === 2 && v[1] >= 1) ? ResultReason.WrongKeyLifecycleState : ResultReason.PermissionDenied;
    // Item Not Found at 1.x and 2.0; Object Destroyed from 2.1 (OASIS BL-M-8-21).
    const destroyedReason = v[0] === 2 && v[1] >= 1 ? ResultReason.ObjectDestroyed : ResultReason.ItemNotFound;
    // An unknown or another owner's object: Item Not Found up to 2.0, Object Not Found from 2.1 (BL-M-4-21).
    const notFound = v[0] === 2 && v[1] >= 1 ? ResultReason.ObjectNotFound : ResultReason.ItemNotFound;

    describe(`KMIP ${label}`, () => {
      it('Activate: Pre-Active -> Active with Activation Date; again is a lifecycle error (SKLC-M-2)', async () => {
        const uid = await create(v);
        expect(await stateOf(uid)).toBe(State.PreActive);
        clock += 5;
        expect(payloadText(ok(await one(v, Operation.Activate, [uidNode(uid)])), Tag.UniqueIdentifier)).toBe(uid);
        expect(await stateOf(uid)).toBe(State.Active);
        expect(await dateOf(uid, Tag.ActivationDate)).toBe(T0 + 5);
        expect(await dateOf(uid, Tag.LastChangeDate)).toBe(T0 + 5);
        failed(await one(v, Operation.Activate, [uidNode(uid)]), wrongState);
      });

      it('Activate: unknown id and another owner are not found (Item / Object Not Found); no id and no placeholder too', async () => {
        const uid = await create(v);
        failed(await one(v, Operation.Activate, [uidNode('nope')]), notFound);
        failed(await one(v, Operation.Activate, [uidNode(uid)], { principal: 'bob', connId: 'c2' }), notFound);
        failed(await one(v, Operation.Activate, []), notFound);
        expect(await stateOf(uid)).toBe(State.PreActive);
      });

      it('Percona pattern: Destroy of an Active key fails; Revoke (Cessation of Operation) then Destroy works', async () => {
        const uid = await create(v);
        ok(await one(v, Operation.Activate, [uidNode(uid)]));
        failed(await one(v, Operation.Destroy, [uidNode(uid)]), wrongState);
        clock += 10;
        ok(await one(v, Operation.Revoke, [uidNode(uid), reason(RevocationReasonCode.CessationOfOperation, 'rotated')]));
        const o = await stored(uid);
        expect(attrNumber(o, Tag.State)).toBe(State.Deactivated);
        expect(await dateOf(uid, Tag.DeactivationDate)).toBe(T0 + 10);
        const rr = attr(o, Tag.RevocationReason)!;
        expect(child(rr, Tag.RevocationReasonCode)!.value).toBe(RevocationReasonCode.CessationOfOperation);
        expect(child(rr, Tag.RevocationMessage)!.value).toBe('rotated');
        expect(attr(o, Tag.CompromiseDate)).toBeUndefined();
        ok(await one(v, Operation.Destroy, [uidNode(uid)]));
        expect(await stateOf(uid)).toBe(State.Destroyed);
        expect((await stored(uid)).key).toBeUndefined();
        failed(await one(v, Operation.Get, [uidNode(uid)]), destroyedReason);
        failed(await one(v, Operation.Destroy, [uidNode(uid)]), destroyedReason);
        // A destroyed key is not revoked for a non-compromise reason, nor activated.
        failed(await one(v, Operation.Revoke, [uidNode(uid), reason(RevocationReasonCode.Superseded)]), destroyedReason);
        failed(await one(v, Operation.Activate, [uidNode(uid)]), destroyedReason);
      });

      it('Revoke (Key Compromise): Compromised with both compromise dates; Destroy -> Destroyed Compromised (SKLC-M-2/3)', async () => {
        const uid = await create(v);
        ok(await one(v, Operation.Activate, [uidNode(uid)]));
        clock += 7;
        ok(
          await one(v, Operation.Revoke, [
            uidNode(uid),
            reason(RevocationReasonCode.KeyCompromise),
            dateTime(Tag.CompromiseOccurrenceDate, 6n),
          ]),
        );
        expect(await stateOf(uid)).toBe(State.Compromised);
        expect(await dateOf(uid, Tag.CompromiseDate)).toBe(T0 + 7);
        expect(await dateOf(uid, Tag.CompromiseOccurrenceDate)).toBe(6);
        expect(await dateOf(uid, Tag.DeactivationDate)).toBeUndefined();
        // Get of a compromised key still works (KMIP 1.4 §3.22: it may process data); no second compromise.
        ok(await one(v, Operation.Get, [uidNode(uid)]));
        failed(
          await one(v, Operation.Revoke, [uidNode(uid), reason(RevocationReasonCode.KeyCompromise), dateTime(Tag.CompromiseOccurrenceDate, 6n)]),
          wrongState,
        );
        ok(await one(v, Operation.Destroy, [uidNode(uid)]));
        expect(await stateOf(uid)).toBe(State.DestroyedCompromised);
      });

      it('Revoke for compromise without Compromise Occurrence Date: Missing Data in 1.x, the Initial Date in 2.x', async () => {
        const uid = await create(v);
        clock += 100;
        const r = await one(v, Operation.Revoke, [uidNode(uid), reason(RevocationReasonCode.KeyCompromise)]);
        if (!is2(v)) {
          failed(r, ResultReason.MissingData);
          expect(await stateOf(uid)).toBe(State.PreActive);
          return;
        }
        ok(r);
        expect(await stateOf(uid)).toBe(State.Compromised);
        expect(await dateOf(uid, Tag.CompromiseOccurrenceDate)).toBe(T0);
        expect(await dateOf(uid, Tag.CompromiseDate)).toBe(T0 + 100);
      });

      it('Revoke of a Destroyed key for compromise -> Destroyed Compromised', async () => {
        const uid = await create(v);
        ok(await one(v, Operation.Destroy, [uidNode(uid)]));
        ok(await one(v, Operation.Revoke, [uidNode(uid), reason(RevocationReasonCode.CACompromise), dateTime(Tag.CompromiseOccurrenceDate, 1n)]));
        expect(await stateOf(uid)).toBe(State.DestroyedCompromised);
      });

      it('Revoke: a Pre-Active key is deactivated; a Deactivated one cannot be again; bad requests', async () => {
        const uid = await create(v);
        ok(await one(v, Operation.Revoke, [uidNode(uid), reason(RevocationReasonCode.Unspecified)]));
        expect(await stateOf(uid)).toBe(State.Deactivated);
        failed(await one(v, Operation.Revoke, [uidNode(uid), reason(RevocationReasonCode.Superseded)]), wrongState);
        failed(await one(v, Operation.Activate, [uidNode(uid)]), wrongState);
        // Missing Revocation Reason; compromise without Compromise Occurrence Date (1.4 §4.20).
        failed(await one(v, Operation.Revoke, [uidNode(uid)]), ResultReason.MissingData);
        failed(
          await one(v, Operation.Revoke, [uidNode(uid), struct(Tag.RevocationReason, [text(Tag.RevocationMessage, 'no code')])]),
          ResultReason.MissingData,
        );
        failed(await one(v, Operation.Revoke, [uidNode(uid), reason(RevocationReasonCode.Superseded, 'x'.repeat(2000))]), ResultReason.InvalidField);
        failed(await one(v, Operation.Revoke, [uidNode(uid), reason(0x42)]), ResultReason.InvalidField);
        // A Deactivated key may still be compromised (1.4 §3.22 state figure; OASIS BL-M-7-21).
        ok(await one(v, Operation.Revoke, [uidNode(uid), reason(RevocationReasonCode.KeyCompromise), dateTime(Tag.CompromiseOccurrenceDate, 1n)]));
        expect(await stateOf(uid)).toBe(State.Compromised);
      });

      it('dates drive the State lazily: Activation Date and Deactivation Date take effect when they pass', async () => {
        const uid = await create(v, [dateTime(Tag.ActivationDate, BigInt(T0 + 100)), dateTime(Tag.DeactivationDate, BigInt(T0 + 200))]);
        expect(await stateOf(uid)).toBe(State.PreActive);
        failed(await one(v, Operation.ObtainLease, [uidNode(uid)]), wrongState);
        clock = T0 + 150;
        ok(await one(v, Operation.ObtainLease, [uidNode(uid)]));
        failed(await one(v, Operation.Destroy, [uidNode(uid)]), wrongState);
        failed(await one(v, Operation.Activate, [uidNode(uid)]), wrongState);
        // Persisted the next time the object is written (here by Archive / Recover).
        expect(await stateOf(uid)).toBe(State.PreActive);
        ok(await one(v, Operation.Archive, [uidNode(uid)]));
        ok(await one(v, Operation.Recover, [uidNode(uid)]));
        expect(await stateOf(uid)).toBe(State.Active);
        clock = T0 + 200;
        failed(await one(v, Operation.ObtainLease, [uidNode(uid)]), wrongState);
        ok(await one(v, Operation.Destroy, [uidNode(uid)]));
        expect(await stateOf(uid)).toBe(State.Destroyed);
      });

      it('an Activation Date already passed at Create makes the key Active; a passed Deactivation Date wins', async () => {
        const a = await create(v, [dateTime(Tag.ActivationDate, BigInt(T0 - 10))]);
        expect(await stateOf(a)).toBe(State.Active);
        const b = await create(v, [dateTime(Tag.ActivationDate, BigInt(T0 + 10)), dateTime(Tag.DeactivationDate, BigInt(T0 + 5))]);
        clock = T0 + 20;
        ok(await one(v, Operation.Archive, [uidNode(b)]));
        expect(await stateOf(b)).toBe(State.Deactivated);
      });

      it('Archive: Get and other operations answer Object Archived until Recover (TC-101)', async () => {
        const uid = await create(v);
        ok(await one(v, Operation.Archive, [uidNode(uid)]));
        expect(await dateOf(uid, Tag.ArchiveDate)).toBe(T0);
        ok(await one(v, Operation.Archive, [uidNode(uid)])); // idempotent
        for (const op of [Operation.Get, Operation.Activate, Operation.Check, Operation.ObtainLease, Operation.ReKey]) {
          failed(await one(v, op, [uidNode(uid)]), ResultReason.ObjectArchived);
        }
        ok(await one(v, Operation.Recover, [uidNode(uid)]));
        expect(await dateOf(uid, Tag.ArchiveDate)).toBeUndefined();
        ok(await one(v, Operation.Recover, [uidNode(uid)])); // idempotent
        ok(await one(v, Operation.Get, [uidNode(uid)]));
        ok(await one(v, Operation.Activate, [uidNode(uid)]));
        // An archived object may be revoked and destroyed (once it is not Active).
        ok(await one(v, Operation.Archive, [uidNode(uid)]));
        ok(await one(v, Operation.Revoke, [uidNode(uid), reason(RevocationReasonCode.Superseded)]));
        ok(await one(v, Operation.Destroy, [uidNode(uid)]));
        failed(await one(v, Operation.Archive, [uidNode('nope')]), notFound);
        failed(await one(v, Operation.Recover, [uidNode(uid)]), destroyedReason);
      });

      it('Check: usage mask, usage limits and lease time (BL-M-2-21, BL-M-3-21)', async () => {
        const uid = await create(v, [], CryptographicUsageMask.Decrypt);
        expect(payloadText(ok(await one(v, Operation.Check, [uidNode(uid)])), Tag.UniqueIdentifier)).toBe(uid);
        ok(await one(v, Operation.Check, [uidNode(uid), int(Tag.CryptographicUsageMask, CryptographicUsageMask.Decrypt)]));
        const usageFail = is2(v) ? ResultReason.IncompatibleCryptographicUsageMask : ResultReason.PermissionDenied;
        failed(await one(v, Operation.Check, [uidNode(uid), int(Tag.CryptographicUsageMask, CryptographicUsageMask.Encrypt)]), usageFail);
        failed(
          await one(v, Operation.Check, [uidNode(uid), int(Tag.CryptographicUsageMask, CryptographicUsageMask.Decrypt | CryptographicUsageMask.Sign)]),
          usageFail,
        );
        ok(await one(v, Operation.Check, [uidNode(uid), interval(Tag.LeaseTime, 3600)]));
        failed(await one(v, Operation.Check, [uidNode(uid), interval(Tag.LeaseTime, 3601)]), ResultReason.PermissionDenied);
        ok(await one(v, Operation.Check, [uidNode(uid), long(Tag.UsageLimitsCount, 5n)])); // no Usage Limits: no limit
        failed(await one(v, Operation.Check, [uidNode(uid), int(Tag.UsageLimitsCount, 5)]), ResultReason.InvalidField);
        failed(await one(v, Operation.Check, [uidNode('nope')]), notFound);
      });

      it('Check failure empties the ID Placeholder; with Undo, an earlier Activate is undone (BL-M-2-21)', async () => {
        const uid = await create(v, [], CryptographicUsageMask.Encrypt);
        const r = await send(
          v,
          [
            { operation: Operation.Activate, payload: [uidNode(uid)] },
            { operation: Operation.Check, payload: [uidNode(uid), int(Tag.CryptographicUsageMask, CryptographicUsageMask.Encrypt)] },
            { operation: Operation.Check, payload: [uidNode(uid), int(Tag.CryptographicUsageMask, CryptographicUsageMask.Decrypt)] },
          ],
          [enm(Tag.BatchErrorContinuationOption, BatchErrorContinuationOption.Undo)],
        );
        expect(r.map((i) => i.status)).toEqual([ResultStatus.OperationUndone, ResultStatus.OperationUndone, ResultStatus.OperationFailed]);
        expect(r[2]!.reason).toBe(is2(v) ? ResultReason.IncompatibleCryptographicUsageMask : ResultReason.PermissionDenied);
        expect(await stateOf(uid)).toBe(State.PreActive);

        const c = await send(
          v,
          [
            { operation: Operation.Check, payload: [uidNode(uid), int(Tag.CryptographicUsageMask, CryptographicUsageMask.Sign)] },
            { operation: Operation.Activate, payload: [] },
          ],
          [enm(Tag.BatchErrorContinuationOption, BatchErrorContinuationOption.Continue)],
        );
        expect(c[1]!.status).toBe(ResultStatus.OperationFailed);
        expect(c[1]!.reason).toBe(notFound);
      });

      it('Obtain Lease: Lease Time and Last Change Date for an Active key; none for a Compromised one (TC-95)', async () => {
        const uid = await create(v, [dateTime(Tag.ActivationDate, BigInt(T0))]);
        clock += 30;
        const r = ok(await one(v, Operation.ObtainLease, [uidNode(uid)]));
        expect(payloadText(r, Tag.UniqueIdentifier)).toBe(uid);
        expect(child(r.payload!, Tag.LeaseTime)).toMatchObject({ type: 'Interval', value: 3600 });
        expect(child(r.payload!, Tag.LastChangeDate)).toMatchObject({ type: 'DateTime', value: BigInt(T0) });
        ok(await one(v, Operation.Revoke, [uidNode(uid), reason(RevocationReasonCode.KeyCompromise), dateTime(Tag.CompromiseOccurrenceDate, BigInt(T0))]));
        failed(await one(v, Operation.ObtainLease, [uidNode(uid)]), wrongState);
      });

      it('Get Usage Allocation: allocates from Usage Limits until exhausted (TC-51)', async () => {
        const limits = struct(Tag.UsageLimits, [long(Tag.UsageLimitsTotal, 1000n), enm(Tag.UsageLimitsUnit, UsageLimitsUnit.Byte)]);
        const uid = await create(v, [dateTime(Tag.ActivationDate, BigInt(T0)), limits]);
        const exceeded = is2(v) ? ResultReason.UsageLimitExceeded : ResultReason.PermissionDenied;
        ok(await one(v, Operation.Check, [uidNode(uid), long(Tag.UsageLimitsCount, 1000n)]));
        failed(await one(v, Operation.Check, [uidNode(uid), long(Tag.UsageLimitsCount, 1001n)]), exceeded);
        ok(await one(v, Operation.GetUsageAllocation, [uidNode(uid), long(Tag.UsageLimitsCount, 600n)]));
        const u = attr(await stored(uid), Tag.UsageLimits)!;
        expect(child(u, Tag.UsageLimitsCount)!.value).toBe(400n);
        expect(child(u, Tag.UsageLimitsTotal)!.value).toBe(1000n);
        failed(await one(v, Operation.Check, [uidNode(uid), long(Tag.UsageLimitsCount, 500n)]), exceeded);
        failed(await one(v, Operation.GetUsageAllocation, [uidNode(uid), long(Tag.UsageLimitsCount, 500n)]), exceeded);
        ok(await one(v, Operation.GetUsageAllocation, [uidNode(uid), long(Tag.UsageLimitsCount, 400n)]));
        failed(await one(v, Operation.GetUsageAllocation, [uidNode(uid), long(Tag.UsageLimitsCount, 1n)]), exceeded);
        failed(await one(v, Operation.GetUsageAllocation, [uidNode(uid)]), ResultReason.MissingData);
        failed(await one(v, Operation.GetUsageAllocation, [uidNode(uid), long(Tag.UsageLimitsCount, 0n)]), ResultReason.InvalidField);
        const pre = await create(v);
        failed(await one(v, Operation.GetUsageAllocation, [uidNode(pre), long(Tag.UsageLimitsCount, 1n)]), wrongState);
        // Not from the Protect Stop Date on (1.4 §3.26).
        const stop = await create(v, [dateTime(Tag.ActivationDate, BigInt(T0)), dateTime(Tag.ProtectStopDate, BigInt(T0 + 10)), limits]);
        ok(await one(v, Operation.GetUsageAllocation, [uidNode(stop), long(Tag.UsageLimitsCount, 1n)]));
        clock = T0 + 10;
        failed(await one(v, Operation.GetUsageAllocation, [uidNode(stop), long(Tag.UsageLimitsCount, 1n)]), wrongState);
      });

      it('Re-key: new key and uid, names moved, links both ways, dates copied, old key keeps its uid and State (TC-REKEY-1)', async () => {
        const old = await create(v, [dateTime(Tag.ActivationDate, BigInt(T0 - 3600)), nameAttr('orig')]);
        clock += 60;
        const r = ok(await one(v, Operation.ReKey, [uidNode(old), attributes(v, [nameAttr('first')])]));
        const nu = payloadText(r, Tag.UniqueIdentifier)!;
        expect(nu).not.toBe(old);
        const n = await stored(nu);
        const o = await stored(old);
        expect(attrNumber(n, Tag.State)).toBe(State.Active);
        expect(attrNumber(o, Tag.State)).toBe(State.Active);
        expect(names(n)).toEqual(['orig', 'first']);
        expect(names(o)).toEqual([]);
        expect(links(n)).toEqual([[LinkType.ReplacedObjectLink, old]]);
        expect(links(o)).toEqual([[LinkType.ReplacementObjectLink, nu]]);
        expect(await dateOf(nu, Tag.InitialDate)).toBe(T0 + 60);
        expect(await dateOf(nu, Tag.ActivationDate)).toBe(T0 - 3600);
        expect(attrNumber(n, Tag.CryptographicUsageMask)).toBe(CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt);
        expect(attrNumber(n, Tag.CryptographicLength)).toBe(128);
        const key = async (uid: string) => {
          const g = ok(await one(v, Operation.Get, [uidNode(uid)]));
          return Buffer.from(child(child(child(child(g.payload!, Tag.SymmetricKey)!, Tag.KeyBlock)!, Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array);
        };
        expect((await key(nu)).equals(await key(old))).toBe(false);

        // Batched with the ID Placeholder, as TC-REKEY-1 does: the second Re-key re-keys the first's result.
        const b = await send(v, [
          { operation: Operation.ReKey, payload: [uidNode(nu), attributes(v, [nameAttr('second')])] },
          { operation: Operation.ReKey, payload: [attributes(v, [nameAttr('third')])] },
        ]);
        const third = payloadText(ok(b[1]!), Tag.UniqueIdentifier)!;
        expect(names(await stored(third))).toEqual(['orig', 'first', 'second', 'third']);
        // The old key can be revoked and destroyed as usual.
        ok(await one(v, Operation.Revoke, [uidNode(old), reason(RevocationReasonCode.CessationOfOperation)]));
        ok(await one(v, Operation.Destroy, [uidNode(old)]));
        failed(await one(v, Operation.ReKey, [uidNode(old)]), destroyedReason);
      });

      it('Re-key with Offset shifts the dates from the new Initial Date (TC-92, 1.4 §4.4)', async () => {
        const old = await create(v, [
          dateTime(Tag.ActivationDate, BigInt(T0)),
          dateTime(Tag.ProtectStopDate, BigInt(T0 + 60)),
          dateTime(Tag.DeactivationDate, BigInt(T0 + 120)),
        ]);
        clock = T0 + 500; // the old key is Deactivated by now
        const nu = payloadText(ok(await one(v, Operation.ReKey, [uidNode(old), interval(Tag.Offset, 0)])), Tag.UniqueIdentifier)!;
        expect(await dateOf(nu, Tag.ActivationDate)).toBe(T0 + 500);
        expect(await dateOf(nu, Tag.ProtectStopDate)).toBe(T0 + 560);
        expect(await dateOf(nu, Tag.DeactivationDate)).toBe(T0 + 620);
        expect(await stateOf(nu)).toBe(State.Active);
        expect(await stateOf(old)).toBe(State.Deactivated);
        const later = payloadText(ok(await one(v, Operation.ReKey, [uidNode(nu), interval(Tag.Offset, 3600)])), Tag.UniqueIdentifier)!;
        expect(await dateOf(later, Tag.ActivationDate)).toBe(T0 + 4100);
        expect(await stateOf(later)).toBe(State.PreActive);
        // Without Offset the dates are copied, so the copy of an expired key is Deactivated too.
        const copy = payloadText(ok(await one(v, Operation.ReKey, [uidNode(old)])), Tag.UniqueIdentifier)!;
        expect(await dateOf(copy, Tag.DeactivationDate)).toBe(T0 + 120);
        expect(await stateOf(copy)).toBe(State.Deactivated);
      });

      it('Re-key Key Pair: a new EC pair linked to each other, each replacing its predecessor (1.4 §4.5)', async () => {
        const box = (v1: number, v2: number, nodes: TtlvNode[]) => ({ ...attributes(v, nodes), tag: is2(v) ? v2 : v1 }) as TtlvNode;
        const ckp = ok(
          await one(v, Operation.CreateKeyPair, [
            box(Tag.CommonTemplateAttribute, Tag.CommonAttributes, [
              enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.EC),
              int(Tag.CryptographicLength, 256),
              dateTime(Tag.ActivationDate, BigInt(T0 - 10)),
            ]),
            box(Tag.PrivateKeyTemplateAttribute, Tag.PrivateKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Sign), nameAttr('priv')]),
            box(Tag.PublicKeyTemplateAttribute, Tag.PublicKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Verify), nameAttr('pub')]),
          ]),
        );
        const oldPriv = payloadText(ckp, Tag.PrivateKeyUniqueIdentifier)!;
        const oldPub = payloadText(ckp, Tag.PublicKeyUniqueIdentifier)!;
        clock += 30;
        const r = ok(
          await one(v, Operation.ReKeyKeyPair, [
            text(Tag.PrivateKeyUniqueIdentifier, oldPriv),
            box(Tag.PrivateKeyTemplateAttribute, Tag.PrivateKeyAttributes, [nameAttr('priv-2')]),
          ]),
        );
        const newPriv = payloadText(r, Tag.PrivateKeyUniqueIdentifier)!;
        const newPub = payloadText(r, Tag.PublicKeyUniqueIdentifier)!;
        expect(new Set([oldPriv, oldPub, newPriv, newPub]).size).toBe(4);
        const np = await stored(newPriv);
        const nq = await stored(newPub);
        expect(np.objectType).toBe(ObjectType.PrivateKey);
        expect(nq.objectType).toBe(ObjectType.PublicKey);
        expect(names(np)).toEqual(['priv', 'priv-2']);
        expect(names(nq)).toEqual(['pub']);
        expect(names(await stored(oldPriv))).toEqual([]);
        expect(links(np).sort()).toEqual([[LinkType.PublicKeyLink, newPub], [LinkType.ReplacedObjectLink, oldPriv]].sort());
        expect(links(nq).sort()).toEqual([[LinkType.PrivateKeyLink, newPriv], [LinkType.ReplacedObjectLink, oldPub]].sort());
        expect(links(await stored(oldPriv))).toContainEqual([LinkType.ReplacementObjectLink, newPriv]);
        expect(links(await stored(oldPub))).toContainEqual([LinkType.ReplacementObjectLink, newPub]);
        expect(attrNumber(np, Tag.State)).toBe(State.Active);
        expect(attrNumber(np, Tag.CryptographicUsageMask)).toBe(CryptographicUsageMask.Sign);
        expect(attrNumber(nq, Tag.CryptographicUsageMask)).toBe(CryptographicUsageMask.Verify);
        expect(await dateOf(newPriv, Tag.InitialDate)).toBe(T0 + 30);
        const spki = (g: ItemResult) => {
          const kb = child(child(g.payload!, Tag.PublicKey)!, Tag.KeyBlock)!;
          const km = child(child(kb, Tag.KeyValue)!, Tag.KeyMaterial)!;
          return Buffer.from(km.value as Uint8Array);
        };
        const a = spki(ok(await one(v, Operation.Get, [uidNode(oldPub)])));
        const b = spki(ok(await one(v, Operation.Get, [uidNode(newPub)])));
        expect(a.equals(b)).toBe(false);
        // The ID Placeholder is the new private key; the symmetric Re-key refuses key pairs and vice versa.
        const both = await send(v, [
          { operation: Operation.ReKeyKeyPair, payload: [text(Tag.PrivateKeyUniqueIdentifier, newPriv)] },
          { operation: Operation.Activate, payload: [] },
        ]);
        ok(both[0]!);
        failed(both[1]!, wrongState); // the third private key is already Active through its copied Activation Date
        const wrongType = is2(v) ? ResultReason.InvalidObjectType : ResultReason.InvalidField;
        failed(await one(v, Operation.ReKey, [uidNode(newPriv)]), wrongType);
        const sym = await create(v);
        failed(await one(v, Operation.ReKeyKeyPair, [text(Tag.PrivateKeyUniqueIdentifier, sym)]), wrongType);
        failed(
          await one(v, Operation.ReKeyKeyPair, [
            text(Tag.PrivateKeyUniqueIdentifier, newPriv),
            box(Tag.CommonTemplateAttribute, Tag.CommonAttributes, [int(Tag.CryptographicLength, 384)]),
          ]),
          ResultReason.InvalidField,
        );
        failed(await one(v, Operation.ReKeyKeyPair, [text(Tag.PrivateKeyUniqueIdentifier, 'nope')]), notFound);
      });

      it('Re-key: refused attributes and objects', async () => {
        const uid = await create(v);
        failed(await one(v, Operation.ReKey, [uidNode(uid), attributes(v, [int(Tag.CryptographicLength, 256)])]), ResultReason.InvalidField);
        failed(
          await one(v, Operation.ReKey, [uidNode(uid), attributes(v, [enm(Tag.State, State.Active)])]),
          is2(v) ? ResultReason.ReadOnlyAttribute : ResultReason.InvalidField,
        );
        failed(await one(v, Operation.ReKey, [uidNode('nope')]), notFound);
        failed(await one(v, Operation.ReKey, [uidNode(uid)], { principal: 'bob', connId: 'c2' }), notFound);
        // A compromised key may be re-keyed (TC-95-12); the new key is not compromised.
        ok(await one(v, Operation.Revoke, [uidNode(uid), reason(RevocationReasonCode.KeyCompromise), dateTime(Tag.CompromiseOccurrenceDate, 1n)]));
        const nu = payloadText(ok(await one(v, Operation.ReKey, [uidNode(uid)])), Tag.UniqueIdentifier)!;
        const n = await stored(nu);
        expect(attrNumber(n, Tag.State)).toBe(State.PreActive);
        expect(attr(n, Tag.CompromiseDate)).toBeUndefined();
        expect(attr(n, Tag.RevocationReason)).toBeUndefined();
      });
    });
  }
});
