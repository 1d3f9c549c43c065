/**
 * Attribute operations at KMIP 1.x (1.4 §4.12–4.16), in process: bytes in and out of the
 * dispatcher with the memory store and the fake crypto provider.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../src/dispatch/dispatcher.js';
import { CryptographicAlgorithm, ObjectType, Operation, ResultReason, ResultStatus, State, Tag } from '../src/kmip/generated/index.js';
import { child, children, dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const secs = (d: Date) => BigInt(Math.floor(d.getTime() / 1000));

const attr = (name: string, value: TtlvNode, index?: number) =>
  struct(Tag.Attribute, [text(Tag.AttributeName, name), ...(index === undefined ? [] : [int(Tag.AttributeIndex, index)]), { ...value, tag: Tag.AttributeValue } as TtlvNode]);
const nameAttr = (s: string) => struct(Tag.AttributeValue, [text(Tag.NameValue, s), enm(Tag.NameType, 1)]);

/** The Attribute structures of a 1.x response as [name, index, value]. */
function attrsOf(item: ItemResult): [string, number, TtlvNode][] {
  return children(item.payload!, Tag.Attribute).map((a) => [
    child(a, Tag.AttributeName)!.value as string,
    (child(a, Tag.AttributeIndex)?.value as number | undefined) ?? 0,
    child(a, Tag.AttributeValue)!,
  ]);
}

describe('attribute operations at KMIP 1.x', () => {
  let d: Dispatcher;
  let clock: Date;
  let seq = 0;
  beforeEach(() => {
    clock = T0;
    seq = 0;
    d = testDispatcher({ now: () => clock });
  });

  const call = async (op: number, payload: TtlvNode[], ver: [number, number] = [1, 4], who = 'alice') =>
    parseResponse(await d.handle(request(ver, [{ operation: op, payload }]), { principal: who, connId: 'c' })).items[0]!;
  const ok = async (op: number, payload: TtlvNode[], ver: [number, number] = [1, 4]) => {
    const r = await call(op, payload, ver);
    expect(r.status, r.message).toBe(ResultStatus.Success);
    return r;
  };
  const create = async (ver: [number, number] = [1, 4], extra: TtlvNode[] = []) => {
    seq++;
    const r = await ok(
      Operation.Create,
      [
        enm(Tag.ObjectType, ObjectType.SymmetricKey),
        struct(Tag.TemplateAttribute, [
          attr('Cryptographic Algorithm', enm(0, CryptographicAlgorithm.AES)),
          attr('Cryptographic Length', int(0, 128)),
          attr('Cryptographic Usage Mask', int(0, 12)),
          attr('Name', nameAttr(`key-${seq}`)),
          ...extra,
        ]),
      ],
      ver,
    );
    return payloadText(r, Tag.UniqueIdentifier)!;
  };
  const uidOf = (uid: string) => text(Tag.UniqueIdentifier, uid);
  const getAttrs = async (uid: string, names: string[], ver: [number, number] = [1, 4]) =>
    attrsOf(await ok(Operation.GetAttributes, [uidOf(uid), ...names.map((n) => text(Tag.AttributeName, n))], ver));

  it('Get Attributes returns the named attributes in request order, skipping absent ones (SKLC-M-1)', async () => {
    const uid = await create();
    const got = await getAttrs(uid, ['State', 'Cryptographic Length', 'Deactivation Date', 'Unique Identifier', 'No Such Attribute']);
    expect(got.map(([n]) => n)).toEqual(['State', 'Cryptographic Length', 'Unique Identifier']);
    expect(got[0]![2].value).toBe(State.PreActive);
    expect(got[2]![2].value).toBe(uid);
  });

  it('Get Attributes without names returns all, leaving out what the version lacks', async () => {
    const uid = await create();
    // Created at 2.1, read at 1.0 and 1.4: Original Creation Date is a 1.2 attribute.
    const c = await ok(
      Operation.Create,
      [
        enm(Tag.ObjectType, ObjectType.SymmetricKey),
        struct(Tag.Attributes, [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 128)]),
      ],
      [2, 1],
    );
    const uid2 = payloadText(c, Tag.UniqueIdentifier)!;
    const all10 = (await getAttrs(uid2, [], [1, 0])).map(([n]) => n);
    const all14 = (await getAttrs(uid2, [], [1, 4])).map(([n]) => n);
    expect(all10).toContain('Unique Identifier');
    expect(all10).not.toContain('Original Creation Date');
    expect(all14).toContain('Original Creation Date');
    expect((await getAttrs(uid, [])).map(([n]) => n)).toEqual(expect.arrayContaining(['Name', 'State', 'Last Change Date']));
  });

  it('Get Attribute List names each attribute once, identity attributes first', async () => {
    const uid = await create();
    await ok(Operation.AddAttribute, [uidOf(uid), attr('Name', nameAttr('key-1b'))]);
    const r = await ok(Operation.GetAttributeList, [uidOf(uid)]);
    const names = children(r.payload!, Tag.AttributeName).map((n) => n.value as string);
    expect(names.slice(0, 4)).toEqual(['Unique Identifier', 'Object Type', 'Cryptographic Algorithm', 'Cryptographic Length']);
    expect(names.filter((n) => n === 'Name')).toHaveLength(1);
    expect(names).toContain('State');
  });

  it('Add Attribute echoes the attribute with its index; custom x- attributes of any type work', async () => {
    const uid = await create();
    const a1 = await ok(Operation.AddAttribute, [uidOf(uid), attr('x-NETAPP-KeyTag', text(0, 'v1'))]);
    expect(attrsOf(a1)).toEqual([['x-NETAPP-KeyTag', 0, text(Tag.AttributeValue, 'v1')]]);
    await ok(Operation.AddAttribute, [uidOf(uid), attr('x-NETAPP-Count', int(0, 7))]);
    const a2 = await ok(Operation.AddAttribute, [uidOf(uid), attr('x-NETAPP-KeyTag', text(0, 'v2'))]);
    expect(attrsOf(a2)[0]![1]).toBe(1);
    const n2 = await ok(Operation.AddAttribute, [uidOf(uid), attr('Name', nameAttr('key-1-alias'))]);
    expect(child(child(n2.payload!, Tag.Attribute)!, Tag.AttributeIndex)!.value).toBe(1);
    const got = await getAttrs(uid, ['x-NETAPP-KeyTag', 'x-NETAPP-Count', 'Name']);
    expect(got.map(([n, i]) => `${n}#${i}`)).toEqual(['x-NETAPP-KeyTag#0', 'x-NETAPP-KeyTag#1', 'x-NETAPP-Count#0', 'Name#0', 'Name#1']);
    expect(got[2]![2]).toEqual(int(Tag.AttributeValue, 7));
  });

  it('Add Attribute errors: read-only, single instance present, duplicate name, unknown name, client index, bad type', async () => {
    const uid = await create();
    const reason = async (a: TtlvNode) => (await call(Operation.AddAttribute, [uidOf(uid), a])).reason;
    expect(await reason(attr('State', enm(0, State.Active)))).toBe(ResultReason.PermissionDenied);
    expect(await reason(attr('Cryptographic Algorithm', enm(0, CryptographicAlgorithm.AES)))).toBe(ResultReason.PermissionDenied);
    expect(await reason(attr('Unique Identifier', text(0, 'x')))).toBe(ResultReason.PermissionDenied);
    await ok(Operation.AddAttribute, [uidOf(uid), attr('Contact Information', text(0, 'ops'))]);
    expect(await reason(attr('Contact Information', text(0, 'ops2')))).toBe(ResultReason.InvalidField);
    expect(await reason(attr('Name', nameAttr('key-1')))).toBe(ResultReason.IllegalOperation);
    expect(await reason(attr('Frobnication Level', text(0, 'x')))).toBe(ResultReason.InvalidField);
    expect(await reason(attr('Object Group', text(0, 'g'), 3))).toBe(ResultReason.InvalidField);
    expect(await reason(attr('Activation Date', text(0, 'tomorrow')))).toBe(ResultReason.InvalidField);
    // Description is a KMIP 1.4 attribute: not one at 1.2.
    expect((await call(Operation.AddAttribute, [uidOf(uid), attr('Description', text(0, 'd'))], [1, 2])).reason).toBe(ResultReason.InvalidField);
    await ok(Operation.AddAttribute, [uidOf(uid), attr('Description', text(0, 'd'))]);
    // Another object of the owner may not take this one's name either.
    const other = await create();
    expect((await call(Operation.AddAttribute, [uidOf(other), attr('Name', nameAttr('key-1'))])).reason).toBe(ResultReason.IllegalOperation);
  });

  it('the per-attribute instance limit is Index Out of Bounds at 1.x', async () => {
    const uid = await create();
    const items = Array.from({ length: 256 }, (_, i) => ({ operation: Operation.AddAttribute, payload: [uidOf(uid), attr('x-many', int(0, i))] }));
    const r = parseResponse(await d.handle(request([1, 4], items), { principal: 'alice', connId: 'c' }));
    expect(r.items.every((i) => i.status === ResultStatus.Success)).toBe(true);
    expect((await call(Operation.AddAttribute, [uidOf(uid), attr('x-many', int(0, 256))])).reason).toBe(ResultReason.IndexOutOfBounds);
  });

  it('Modify Attribute replaces the instance named by index and echoes it; Last Change Date moves', async () => {
    const uid = await create();
    await ok(Operation.AddAttribute, [uidOf(uid), attr('x-a', text(0, 'one'))]);
    await ok(Operation.AddAttribute, [uidOf(uid), attr('x-a', text(0, 'two'))]);
    clock = new Date(T0.getTime() + 60_000);
    const m = await ok(Operation.ModifyAttribute, [uidOf(uid), attr('x-a', text(0, 'TWO'), 1)]);
    expect(attrsOf(m)).toEqual([['x-a', 1, text(Tag.AttributeValue, 'TWO')]]);
    const got = await getAttrs(uid, ['x-a', 'Last Change Date', 'Initial Date']);
    expect(got.map(([, , v]) => v.value)).toEqual(['one', 'TWO', secs(clock), secs(T0)]);
    const m0 = await ok(Operation.ModifyAttribute, [uidOf(uid), attr('x-a', text(0, 'ONE'))]);
    expect(attrsOf(m0)[0]![1]).toBe(0);
    // A multi-instance attribute's index is always written, 0 included (PyKMIP reads it); a
    // single-instance attribute's (always 0) only when the client named it (TC-171: Contact
    // Information modified at index 0 and echoed without one; KMIP 1.4 §2.1.1: absent means 0).
    expect(child(children(m0.payload!, Tag.Attribute)[0]!, Tag.AttributeIndex)?.value).toBe(0);
    const contact = await ok(Operation.AddAttribute, [uidOf(uid), attr('Contact Information', text(0, 'admin@localhost'))]);
    expect(child(children(contact.payload!, Tag.Attribute)[0]!, Tag.AttributeIndex)).toBeUndefined();
    const c0 = await ok(Operation.ModifyAttribute, [uidOf(uid), attr('Contact Information', text(0, 'donald@localhost'))]);
    expect(child(children(c0.payload!, Tag.Attribute)[0]!, Tag.AttributeIndex)).toBeUndefined();
    const named0 = await ok(Operation.ModifyAttribute, [uidOf(uid), attr('x-a', text(0, 'One'), 0)]);
    expect(child(children(named0.payload!, Tag.Attribute)[0]!, Tag.AttributeIndex)?.value).toBe(0);
    const del0 = await ok(Operation.DeleteAttribute, [uidOf(uid), text(Tag.AttributeName, 'x-a'), int(Tag.AttributeIndex, 0)]);
    expect(child(children(del0.payload!, Tag.Attribute)[0]!, Tag.AttributeIndex)?.value).toBe(0);
  });

  it('Modify Attribute errors: read-only, absent attribute, index out of range, duplicate name', async () => {
    const uid = await create();
    const reason = async (a: TtlvNode) => (await call(Operation.ModifyAttribute, [uidOf(uid), a])).reason;
    expect(await reason(attr('State', enm(0, State.Active)))).toBe(ResultReason.PermissionDenied);
    expect(await reason(attr('Cryptographic Usage Mask', int(0, 4)))).toBe(ResultReason.PermissionDenied);
    expect(await reason(attr('x-missing', text(0, 'v')))).toBe(ResultReason.ItemNotFound);
    expect(await reason(attr('Name', nameAttr('renamed'), 4))).toBe(ResultReason.ItemNotFound);
    await ok(Operation.AddAttribute, [uidOf(uid), attr('Name', nameAttr('second'))]);
    expect(await reason(attr('Name', nameAttr('second'), 0))).toBe(ResultReason.IllegalOperation);
    await ok(Operation.ModifyAttribute, [uidOf(uid), attr('Name', nameAttr('renamed'), 0)]);
  });

  it('Modify Activation Date: Pre-Active to now makes the key Active; once Active the client may not move it', async () => {
    const uid = await create();
    const future = secs(T0) + 3600n;
    await ok(Operation.AddAttribute, [uidOf(uid), attr('Activation Date', dateTime(0, future))]);
    expect((await getAttrs(uid, ['State']))[0]![2].value).toBe(State.PreActive);
    await ok(Operation.ModifyAttribute, [uidOf(uid), attr('Activation Date', dateTime(0, secs(T0)))]);
    expect((await getAttrs(uid, ['State']))[0]![2].value).toBe(State.Active);
    const again = await call(Operation.ModifyAttribute, [uidOf(uid), attr('Activation Date', dateTime(0, future))]);
    expect(again.reason).toBe(ResultReason.PermissionDenied); // SKLC-M-3-14
    // Deactivation Date may still move while Active; in the past it deactivates the key.
    await ok(Operation.AddAttribute, [uidOf(uid), attr('Deactivation Date', dateTime(0, secs(T0)))]);
    expect((await getAttrs(uid, ['State']))[0]![2].value).toBe(State.Deactivated);
  });

  it('Synology DSM pattern at KMIP 1.0: key with Operation Policy Name, Modify Activation Date -> Active', async () => {
    const uid = await create([1, 0], [attr('Operation Policy Name', text(0, 'default'))]);
    const m = await ok(Operation.ModifyAttribute, [uidOf(uid), attr('Activation Date', dateTime(0, secs(T0)))], [1, 0]);
    expect(attrsOf(m)[0]![0]).toBe('Activation Date');
    const got = await getAttrs(uid, ['State', 'Activation Date', 'Operation Policy Name'], [1, 0]);
    expect(got.map(([n, , v]) => [n, v.value])).toEqual([
      ['State', State.Active],
      ['Activation Date', secs(T0)],
      ['Operation Policy Name', 'default'],
    ]);
  });

  it('Delete Attribute removes the named instance and echoes it; refuses what the client may not delete', async () => {
    const uid = await create();
    await ok(Operation.AddAttribute, [uidOf(uid), attr('x-attribute1', text(0, 'Value1'))]);
    await ok(Operation.AddAttribute, [uidOf(uid), attr('Name', nameAttr('alias'))]);
    const del = await ok(Operation.DeleteAttribute, [uidOf(uid), text(Tag.AttributeName, 'x-attribute1')]);
    expect(attrsOf(del)).toEqual([['x-attribute1', 0, text(Tag.AttributeValue, 'Value1')]]);
    const delName = await ok(Operation.DeleteAttribute, [uidOf(uid), text(Tag.AttributeName, 'Name'), int(Tag.AttributeIndex, 1)]);
    expect(child(child(delName.payload!, Tag.Attribute)!, Tag.AttributeValue)!).toEqual(nameAttr('alias'));
    expect((await getAttrs(uid, ['Name', 'x-attribute1'])).map(([n]) => n)).toEqual(['Name']);
    const reason = async (p: TtlvNode[]) => (await call(Operation.DeleteAttribute, [uidOf(uid), ...p])).reason;
    expect(await reason([text(Tag.AttributeName, 'x-attribute1')])).toBe(ResultReason.ItemNotFound);
    expect(await reason([text(Tag.AttributeName, 'Name'), int(Tag.AttributeIndex, 5)])).toBe(ResultReason.ItemNotFound);
    expect(await reason([text(Tag.AttributeName, 'State')])).toBe(ResultReason.PermissionDenied);
    expect(await reason([text(Tag.AttributeName, 'Cryptographic Usage Mask')])).toBe(ResultReason.PermissionDenied);
    expect(await reason([text(Tag.AttributeName, 'Not An Attribute')])).toBe(ResultReason.InvalidField);
    expect(await reason([])).toBe(ResultReason.MissingData);
  });

  it('only the owner may read or change attributes; Set and Adjust Attribute do not exist in 1.x', async () => {
    const uid = await create();
    for (const [op, p] of [
      [Operation.GetAttributes, []],
      [Operation.GetAttributeList, []],
      [Operation.AddAttribute, [attr('x-a', text(0, 'v'))]],
      [Operation.ModifyAttribute, [attr('Name', nameAttr('stolen'))]],
      [Operation.DeleteAttribute, [text(Tag.AttributeName, 'Name')]],
    ] as const) {
      expect((await call(op, [uidOf(uid), ...p], [1, 4], 'bob')).reason).toBe(ResultReason.ItemNotFound);
    }
    expect((await call(Operation.SetAttribute, [uidOf(uid), attr('x-a', text(0, 'v'))])).reason).toBe(ResultReason.OperationNotSupported);
    expect((await call(Operation.AdjustAttribute, [uidOf(uid), text(Tag.AttributeName, 'x-a')])).reason).toBe(ResultReason.OperationNotSupported);
  });

  it('uses the ID Placeholder when the Unique Identifier is left out', async () => {
    const r = parseResponse(
      await d.handle(
        request([1, 4], [
          {
            operation: Operation.Create,
            payload: [
              enm(Tag.ObjectType, ObjectType.SymmetricKey),
              struct(Tag.TemplateAttribute, [attr('Cryptographic Algorithm', enm(0, CryptographicAlgorithm.AES)), attr('Cryptographic Length', int(0, 128))]),
            ],
          },
          { operation: Operation.AddAttribute, payload: [attr('x-b', text(0, 'v'))] },
          { operation: Operation.GetAttributes, payload: [text(Tag.AttributeName, 'x-b')] },
        ]),
        { principal: 'alice', connId: 'c' },
      ),
    );
    expect(r.items.map((i) => i.status)).toEqual([ResultStatus.Success, ResultStatus.Success, ResultStatus.Success]);
    expect(attrsOf(r.items[2]!)[0]![2]).toEqual(text(Tag.AttributeValue, 'v'));
  });
});
