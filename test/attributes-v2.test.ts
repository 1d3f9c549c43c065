/**
 * Attribute operations at KMIP 2.x (2.1 §6.1.2, 6.1.13, 6.1.20, 6.1.21, 6.1.34, 6.1.51), in
 * process with the memory store and the fake crypto provider. Error reasons follow the OASIS
 * vectors named in each test.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../src/dispatch/dispatcher.js';
import { CryptographicAlgorithm, ObjectType, Operation, ResultReason, ResultStatus, State, Tag } from '../src/kmip/generated/index.js';
import { bool, child, children, dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const secs = (d: Date) => BigInt(Math.floor(d.getTime() / 1000));
const name = (s: string) => struct(Tag.Name, [text(Tag.NameValue, s), enm(Tag.NameType, 1)]);
const vendor = (v: string, n: string, value: TtlvNode) =>
  struct(Tag.Attribute, [text(Tag.VendorIdentification, v), text(Tag.AttributeName, n), { ...value, tag: Tag.AttributeValue } as TtlvNode]);
const vref = (v: string, n: string) => struct(Tag.AttributeReference, [text(Tag.VendorIdentification, v), text(Tag.AttributeName, n)]);
const ref = (tag: number) => enm(Tag.AttributeReference, tag);
const newAttr = (a: TtlvNode) => struct(Tag.NewAttribute, [a]);
const curAttr = (a: TtlvNode) => struct(Tag.CurrentAttribute, [a]);

/** The children of the response's Attributes structure. */
const attrsOf = (item: ItemResult): TtlvNode[] => {
  const s = child(item.payload!, Tag.Attributes);
  return s?.type === 'Structure' ? s.value : [];
};

for (const ver of [
  [2, 0],
  [2, 1],
] as [number, number][]) {
  describe(`attribute operations at KMIP ${ver.join('.')}`, () => {
    // A change the object's State forbids: Permission Denied at 2.0 (AKLC-M-3-20), Wrong Key Lifecycle State at 2.1.
    const wrongState = ver[1] >= 1 ? ResultReason.WrongKeyLifecycleState : ResultReason.PermissionDenied;
    // An unknown object, or another owner's: Item Not Found at 2.0, Object Not Found at 2.1 (BL-M-4-21).
    const notFound = ver[1] >= 1 ? ResultReason.ObjectNotFound : ResultReason.ItemNotFound;
    let d: Dispatcher;
    let clock: Date;
    let seq = 0;
    beforeEach(() => {
      clock = T0;
      seq = 0;
      d = testDispatcher({ now: () => clock });
    });

    const call = async (op: number, payload: TtlvNode[], who = 'alice') =>
      parseResponse(await d.handle(request(ver, [{ operation: op, payload }]), { principal: who, connId: 'c' })).items[0]!;
    const ok = async (op: number, payload: TtlvNode[]) => {
      const r = await call(op, payload);
      expect(r.status, r.message).toBe(ResultStatus.Success);
      return r;
    };
    const create = async () => {
      seq++;
      const r = await ok(Operation.Create, [
        enm(Tag.ObjectType, ObjectType.SymmetricKey),
        struct(Tag.Attributes, [
          enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
          int(Tag.CryptographicLength, 128),
          int(Tag.CryptographicUsageMask, 12),
          name(`key-${seq}`),
        ]),
      ]);
      return payloadText(r, Tag.UniqueIdentifier)!;
    };
    const uidOf = (uid: string) => text(Tag.UniqueIdentifier, uid);
    const get = async (uid: string, refs: TtlvNode[]) => attrsOf(await ok(Operation.GetAttributes, [uidOf(uid), ...refs]));
    const reasonOf = async (op: number, payload: TtlvNode[]) => (await call(op, payload)).reason;

    it('Get Attributes by Attribute Reference answers one Attributes structure in request order (SKLC-M-1-21)', async () => {
      const uid = await create();
      const got = await get(uid, [ref(Tag.State), ref(Tag.CryptographicLength), ref(Tag.DeactivationDate), ref(Tag.UniqueIdentifier)]);
      expect(got).toEqual([enm(Tag.State, State.PreActive), int(Tag.CryptographicLength, 128), text(Tag.UniqueIdentifier, uid)]);
      const all = await get(uid, []);
      expect(all.map((n) => n.tag)).toEqual(expect.arrayContaining([Tag.Name, Tag.ObjectType, Tag.LastChangeDate, Tag.OriginalCreationDate]));
      expect(all.some((n) => n.tag === Tag.Attribute)).toBe(false);
    });

    it('Get Attribute List answers Attribute References, vendor attributes as structures', async () => {
      const uid = await create();
      await ok(Operation.AddAttribute, [uidOf(uid), newAttr(vendor('tc', 'Set', text(0, 'one')))]);
      const r = await ok(Operation.GetAttributeList, [uidOf(uid)]);
      const refs = children(r.payload!, Tag.AttributeReference);
      // The OASIS order (SKFF-M-9-20): identity, the 2.x Short Unique Identifier, then the type.
      expect(refs.slice(1, 6)).toEqual([
        ref(Tag.UniqueIdentifier),
        ref(Tag.ShortUniqueIdentifier),
        ref(Tag.ObjectType),
        ref(Tag.CryptographicAlgorithm),
        ref(Tag.CryptographicLength),
      ]);
      expect(refs[0]).toEqual(vref('tc', 'Set'));
      expect(children(r.payload!, Tag.AttributeName)).toHaveLength(0);
    });

    it('Add Attribute answers the Unique Identifier only; a second Description is Attribute Single Valued (BL-M-5-21)', async () => {
      const uid = await create();
      const a = await ok(Operation.AddAttribute, [uidOf(uid), newAttr(text(Tag.Description, 'This is opaque'))]);
      expect(a.payload!.type === 'Structure' && a.payload!.value).toEqual([text(Tag.UniqueIdentifier, uid)]);
      expect(await reasonOf(Operation.AddAttribute, [uidOf(uid), newAttr(text(Tag.Description, 'dup'))])).toBe(ResultReason.AttributeSingleValued);
      expect(await get(uid, [ref(Tag.ObjectType), ref(Tag.Description)])).toEqual([
        enm(Tag.ObjectType, ObjectType.SymmetricKey),
        text(Tag.Description, 'This is opaque'),
      ]);
    });

    it('Add Attribute errors: Non Unique Name (BL-M-8-21), read-only, not an attribute, wrong type, missing New Attribute', async () => {
      const uid = await create();
      const add = (a: TtlvNode) => reasonOf(Operation.AddAttribute, [uidOf(uid), newAttr(a)]);
      expect(await add(name('key-1'))).toBe(ResultReason.NonUniqueNameAttribute);
      const other = await create();
      expect(await reasonOf(Operation.AddAttribute, [uidOf(other), newAttr(name('key-1'))])).toBe(ResultReason.NonUniqueNameAttribute);
      expect(await add(enm(Tag.State, State.Active))).toBe(ResultReason.AttributeReadOnly);
      expect(await add(dateTime(Tag.InitialDate, 0n))).toBe(ResultReason.AttributeReadOnly);
      expect(await add(text(Tag.OperationPolicyName, 'default'))).toBe(ResultReason.InvalidAttribute);
      expect(await add(bool(Tag.KeyMaterial, true))).toBe(ResultReason.InvalidAttribute);
      expect(await add(int(Tag.ContactInformation, 1))).toBe(ResultReason.InvalidAttributeValue);
      expect(await add(text(Tag.CertificateSubjectCN, 'CN'))).toBe(ResultReason.AttributeReadOnly);
      expect(await reasonOf(Operation.AddAttribute, [uidOf(uid)])).toBe(ResultReason.MissingData);
      expect(await reasonOf(Operation.AddAttribute, [uidOf(uid), struct(Tag.NewAttribute, [])])).toBe(ResultReason.InvalidField);
    });

    it('Set Attribute sets or replaces (TC-SETATTR-1/2-20) and refuses a multi-valued one (TC-SETATTR-3-20)', async () => {
      const uid = await create();
      await ok(Operation.SetAttribute, [uidOf(uid), newAttr(bool(Tag.Sensitive, true))]);
      expect(await get(uid, [ref(Tag.Sensitive)])).toEqual([bool(Tag.Sensitive, true)]);
      await ok(Operation.SetAttribute, [uidOf(uid), newAttr(vendor('tc', 'Set', text(0, 'one')))]);
      const s2 = await ok(Operation.SetAttribute, [uidOf(uid), newAttr(vendor('tc', 'Set', text(0, 'two')))]);
      expect(s2.payload!.type === 'Structure' && s2.payload!.value).toEqual([text(Tag.UniqueIdentifier, uid)]);
      expect(await get(uid, [vref('tc', 'Set')])).toEqual([vendor('tc', 'Set', text(0, 'two'))]);
      await ok(Operation.AddAttribute, [uidOf(uid), newAttr(vendor('tc', 'Set', text(0, 'three')))]);
      expect(await reasonOf(Operation.SetAttribute, [uidOf(uid), newAttr(vendor('tc', 'Set', text(0, 'four')))])).toBe(
        ResultReason.MultiValuedAttribute,
      );
      expect(await reasonOf(Operation.SetAttribute, [uidOf(uid), newAttr(enm(Tag.State, State.Active))])).toBe(ResultReason.AttributeReadOnly);
      expect(await reasonOf(Operation.SetAttribute, [uidOf(uid), newAttr(int(Tag.CryptographicLength, 256))])).toBe(ResultReason.AttributeReadOnly);
    });

    it('Modify Attribute: single instance without Current Attribute, multi instance by Current Attribute', async () => {
      const uid = await create();
      await ok(Operation.AddAttribute, [uidOf(uid), newAttr(text(Tag.ContactInformation, 'ops'))]);
      clock = new Date(T0.getTime() + 5_000);
      const m = await ok(Operation.ModifyAttribute, [uidOf(uid), newAttr(text(Tag.ContactInformation, 'secops'))]);
      expect(m.payload!.type === 'Structure' && m.payload!.value).toEqual([text(Tag.UniqueIdentifier, uid)]);
      expect(await get(uid, [ref(Tag.ContactInformation), ref(Tag.LastChangeDate)])).toEqual([
        text(Tag.ContactInformation, 'secops'),
        dateTime(Tag.LastChangeDate, secs(clock)),
      ]);
      await ok(Operation.AddAttribute, [uidOf(uid), newAttr(name('alias'))]);
      await ok(Operation.ModifyAttribute, [uidOf(uid), curAttr(name('alias')), newAttr(name('alias2'))]);
      const names = (await get(uid, [ref(Tag.Name)])).map((n) => child(n, Tag.NameValue)!.value);
      expect(names).toEqual(['key-1', 'alias2']);
      const mod = (p: TtlvNode[]) => reasonOf(Operation.ModifyAttribute, [uidOf(uid), ...p]);
      expect(await mod([newAttr(name('x'))])).toBe(ResultReason.MultiValuedAttribute);
      expect(await mod([curAttr(name('nope')), newAttr(name('x'))])).toBe(ResultReason.AttributeInstanceNotFound);
      expect(await mod([curAttr(name('alias2')), newAttr(name('key-1'))])).toBe(ResultReason.NonUniqueNameAttribute);
      expect(await mod([curAttr(text(Tag.Description, 'a')), newAttr(name('x'))])).toBe(ResultReason.InvalidField);
      expect(await mod([newAttr(text(Tag.Comment, 'none yet'))])).toBe(ResultReason.AttributeNotFound);
      expect(await mod([newAttr(enm(Tag.State, State.Compromised))])).toBe(ResultReason.AttributeReadOnly); // BL-M-7-21
      expect(await mod([newAttr(int(Tag.CryptographicUsageMask, 4))])).toBe(ResultReason.AttributeReadOnly);
      expect(await mod([])).toBe(ResultReason.MissingData);
    });

    it('Modify Activation Date to now activates a Pre-Active key; once Active it is refused (2.1 SKLC-M-3-21 / 2.0 AKLC-M-3-20)', async () => {
      const uid = await create();
      await ok(Operation.SetAttribute, [uidOf(uid), newAttr(dateTime(Tag.ActivationDate, secs(T0) + 100n))]);
      expect(await get(uid, [ref(Tag.State)])).toEqual([enm(Tag.State, State.PreActive)]);
      await ok(Operation.ModifyAttribute, [uidOf(uid), newAttr(dateTime(Tag.ActivationDate, secs(T0)))]);
      expect(await get(uid, [ref(Tag.State)])).toEqual([enm(Tag.State, State.Active)]);
      expect(await reasonOf(Operation.ModifyAttribute, [uidOf(uid), newAttr(dateTime(Tag.ActivationDate, secs(T0)))])).toBe(
        wrongState,
      );
    });

    it('a future Activation Date takes effect when it passes: reported Active, no longer movable', async () => {
      const uid = await create();
      await ok(Operation.SetAttribute, [uidOf(uid), newAttr(dateTime(Tag.ActivationDate, secs(T0) + 60n))]);
      expect(await get(uid, [ref(Tag.State)])).toEqual([enm(Tag.State, State.PreActive)]);
      clock = new Date(T0.getTime() + 61_000);
      expect(await get(uid, [ref(Tag.State)])).toEqual([enm(Tag.State, State.Active)]);
      expect(await reasonOf(Operation.SetAttribute, [uidOf(uid), newAttr(dateTime(Tag.ActivationDate, secs(clock) + 60n))])).toBe(
        wrongState,
      );
    });

    it('Delete Attribute by Current Attribute or Attribute Reference; refuses required and server attributes', async () => {
      const uid = await create();
      await ok(Operation.AddAttribute, [uidOf(uid), newAttr(vendor('x', 'NETAPP-A', text(0, '1')))]);
      await ok(Operation.AddAttribute, [uidOf(uid), newAttr(vendor('x', 'NETAPP-A', text(0, '2')))]);
      await ok(Operation.AddAttribute, [uidOf(uid), newAttr(name('alias'))]);
      const d1 = await ok(Operation.DeleteAttribute, [uidOf(uid), curAttr(vendor('x', 'NETAPP-A', text(0, '1')))]);
      expect(d1.payload!.type === 'Structure' && d1.payload!.value).toEqual([text(Tag.UniqueIdentifier, uid)]);
      expect(await get(uid, [vref('x', 'NETAPP-A')])).toEqual([vendor('x', 'NETAPP-A', text(0, '2'))]);
      await ok(Operation.DeleteAttribute, [uidOf(uid), ref(Tag.Name)]);
      expect(await get(uid, [ref(Tag.Name)])).toEqual([]);
      const del = (p: TtlvNode[]) => reasonOf(Operation.DeleteAttribute, [uidOf(uid), ...p]);
      expect(await del([ref(Tag.Name)])).toBe(ResultReason.AttributeNotFound);
      expect(await del([curAttr(vendor('x', 'NETAPP-A', text(0, '9')))])).toBe(ResultReason.AttributeInstanceNotFound);
      expect(await del([ref(Tag.State)])).toBe(ResultReason.AttributeReadOnly);
      expect(await del([ref(Tag.UniqueIdentifier)])).toBe(ResultReason.AttributeReadOnly);
      expect(await del([ref(Tag.ActivationDate)])).toBe(ResultReason.AttributeReadOnly);
      expect(await del([ref(Tag.KeyMaterial)])).toBe(ResultReason.InvalidAttribute);
      expect(await del([ref(Tag.Name), ref(Tag.State)])).toBe(ResultReason.InvalidField);
    });

    it('Adjust Attribute increments, decrements and negates; range, type and multi-instance errors', async () => {
      const uid = await create();
      const adj = (r: TtlvNode, type: number, value?: TtlvNode) =>
        call(Operation.AdjustAttribute, [uidOf(uid), r, enm(Tag.AdjustmentType, type), ...(value ? [value] : [])]);
      const counter = vref('x', 'Counter');
      await ok(Operation.AddAttribute, [uidOf(uid), newAttr(vendor('x', 'Counter', int(0, 41)))]);
      expect((await adj(counter, 1)).status).toBe(ResultStatus.Success);
      expect(await get(uid, [counter])).toEqual([vendor('x', 'Counter', int(0, 42))]);
      expect((await adj(counter, 2, int(Tag.AdjustmentValue, 50))).status).toBe(ResultStatus.Success);
      expect((await adj(counter, 3)).status).toBe(ResultStatus.Success);
      expect(await get(uid, [counter])).toEqual([vendor('x', 'Counter', int(0, 8))]);
      expect((await adj(counter, 1, int(Tag.AdjustmentValue, 2 ** 31 - 1))).reason).toBe(ResultReason.NumericRange);
      await ok(Operation.SetAttribute, [uidOf(uid), newAttr(dateTime(Tag.ActivationDate, secs(T0) + 3600n))]);
      expect((await adj(ref(Tag.ActivationDate), 2, int(Tag.AdjustmentValue, 3600))).status).toBe(ResultStatus.Success);
      expect(await get(uid, [ref(Tag.ActivationDate), ref(Tag.State)])).toEqual([dateTime(Tag.ActivationDate, secs(T0)), enm(Tag.State, State.Active)]);
      await ok(Operation.AddAttribute, [uidOf(uid), newAttr(vendor('x', 'Label', text(0, 'a')))]);
      expect((await adj(vref('x', 'Label'), 1)).reason).toBe(ResultReason.InvalidDataType);
      await ok(Operation.AddAttribute, [uidOf(uid), newAttr(vendor('x', 'Counter', int(0, 1)))]);
      expect((await adj(counter, 1)).reason).toBe(ResultReason.MultiValuedAttribute);
      expect((await adj(ref(Tag.CryptographicLength), 1)).reason).toBe(ResultReason.AttributeReadOnly);
      expect((await adj(ref(Tag.Comment), 1)).reason).toBe(ResultReason.AttributeNotFound);
      expect((await call(Operation.AdjustAttribute, [uidOf(uid), counter])).reason).toBe(ResultReason.MissingData);
    });

    it('Sensitive only goes to True and Extractable only to False (one-way flags)', async () => {
      const uid = await create();
      await ok(Operation.SetAttribute, [uidOf(uid), newAttr(bool(Tag.Sensitive, true))]);
      expect(await reasonOf(Operation.SetAttribute, [uidOf(uid), newAttr(bool(Tag.Sensitive, false))])).toBe(ResultReason.AttributeReadOnly);
      expect(await reasonOf(Operation.ModifyAttribute, [uidOf(uid), newAttr(bool(Tag.Sensitive, false))])).toBe(ResultReason.AttributeReadOnly);
      await ok(Operation.SetAttribute, [uidOf(uid), newAttr(bool(Tag.Extractable, false))]);
      expect(await reasonOf(Operation.ModifyAttribute, [uidOf(uid), newAttr(bool(Tag.Extractable, true))])).toBe(ResultReason.AttributeReadOnly);
      expect(
        await reasonOf(Operation.AdjustAttribute, [uidOf(uid), ref(Tag.Extractable), enm(Tag.AdjustmentType, 3)]),
      ).toBe(ResultReason.AttributeReadOnly);
      expect(await get(uid, [ref(Tag.Sensitive), ref(Tag.Extractable)])).toEqual([bool(Tag.Sensitive, true), bool(Tag.Extractable, false)]);
    });

    // One version is enough for the limits (the check does not depend on 2.0 vs 2.1).
    it.runIf(ver[1] === 1)('limits what a client may pile onto one object: Server Limit Exceeded', async () => {
      const uid = await create();
      const big = text(0, 'x'.repeat(64 * 1024 + 1));
      expect(await reasonOf(Operation.AddAttribute, [uidOf(uid), newAttr(vendor('x', 'Big', big))])).toBe(ResultReason.ServerLimitExceeded);
      const items = Array.from({ length: 255 }, (_, i) => ({
        operation: Operation.AddAttribute,
        payload: [uidOf(uid), newAttr(vendor('x', 'Many', int(0, i)))],
      }));
      const r = parseResponse(await d.handle(request(ver, items), { principal: 'alice', connId: 'c' }));
      expect(r.items.every((i) => i.status === ResultStatus.Success)).toBe(true);
      await ok(Operation.AddAttribute, [uidOf(uid), newAttr(vendor('x', 'Many', int(0, 255)))]);
      expect(await reasonOf(Operation.AddAttribute, [uidOf(uid), newAttr(vendor('x', 'Many', int(0, 256)))])).toBe(ResultReason.ServerLimitExceeded);
    });

    it('attributes stay readable after Destroy (BL-M-8-21) but no longer change', async () => {
      const uid = await create();
      await ok(Operation.Destroy, [uidOf(uid)]);
      expect(await get(uid, [ref(Tag.State)])).toEqual([enm(Tag.State, State.Destroyed)]);
      // Item Not Found at 2.0 (the rule), Object Destroyed from 2.1 (BL-M-8-21).
      expect(await reasonOf(Operation.AddAttribute, [uidOf(uid), newAttr(text(Tag.Comment, 'c'))])).toBe(ver[1] >= 1 ? ResultReason.ObjectDestroyed : ResultReason.ItemNotFound);
    });

    it('an archived object keeps its attributes readable; changes need Recover first (Object Archived)', async () => {
      const uid = await create();
      await ok(Operation.Archive, [uidOf(uid)]);
      expect(await get(uid, [ref(Tag.State)])).toEqual([enm(Tag.State, State.PreActive)]);
      expect((await call(Operation.GetAttributeList, [uidOf(uid)])).status).toBe(ResultStatus.Success);
      expect(await reasonOf(Operation.SetAttribute, [uidOf(uid), newAttr(text(Tag.Comment, 'c'))])).toBe(ResultReason.ObjectArchived);
      await ok(Operation.Recover, [uidOf(uid)]);
      await ok(Operation.SetAttribute, [uidOf(uid), newAttr(text(Tag.Comment, 'c'))]);
    });

    it('only the owner may read or change attributes', async () => {
      const uid = await create();
      for (const [op, p] of [
        [Operation.GetAttributes, []],
        [Operation.GetAttributeList, []],
        [Operation.AddAttribute, [newAttr(text(Tag.Comment, 'c'))]],
        [Operation.SetAttribute, [newAttr(text(Tag.Comment, 'c'))]],
        [Operation.ModifyAttribute, [newAttr(name('n'))]],
        [Operation.DeleteAttribute, [ref(Tag.Name)]],
      ] as const) {
        expect((await call(op, [uidOf(uid), ...p], 'bob')).reason).toBe(notFound);
      }
      expect(await reasonOf(Operation.GetAttributes, [uidOf('no-such-uid')])).toBe(notFound);
    });
  });
}
