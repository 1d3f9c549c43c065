/**
 * Locate (KMIP 1.4 §4.9, 2.1 §6.1.27) in process, at KMIP 1.4 (Attribute / Template-Attribute)
 * and 2.1 (Attributes): filters, paging, storage status, ownership, ordering, ID Placeholder, and
 * that the answer comes from the indexes.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../src/dispatch/dispatcher.js';
import {
  CryptographicAlgorithm,
  KeyFormatType,
  NameType,
  ObjectType,
  Operation,
  ResultReason,
  ResultStatus,
  RevocationReasonCode,
  SecretDataType,
  State,
  StorageStatusMask,
  Tag,
} from '../src/kmip/generated/index.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { InspectableStore } from '../src/store/kv-object-store.js';
import { bytes, child, children, dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemSpec, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';

type V = [number, number];

function attrList(v: V, list: [string, TtlvNode][], container: 'auto' | 'bare' | 'template' = 'auto'): TtlvNode[] {
  const v1 = (name: string, value: TtlvNode) => struct(Tag.Attribute, [text(Tag.AttributeName, name), { ...value, tag: Tag.AttributeValue } as TtlvNode]);
  if (v[0] >= 2) {
    return [
      struct(
        Tag.Attributes,
        list.map(([name, value]) => {
          const m = /^([xy])-(.*)$/.exec(name);
          return m ? struct(Tag.Attribute, [text(Tag.VendorIdentification, m[1]!), text(Tag.AttributeName, m[2]!), { ...value, tag: Tag.AttributeValue } as TtlvNode]) : value;
        }),
      ),
    ];
  }
  if (container === 'template') return [struct(Tag.TemplateAttribute, list.map(([n, x]) => v1(n, x)))];
  return container === 'bare' ? list.map(([n, x]) => v1(n, x)) : [struct(Tag.TemplateAttribute, list.map(([n, x]) => v1(n, x)))];
}

const name = (n: string): [string, TtlvNode] => ['Name', struct(Tag.Name, [text(Tag.NameValue, n), enm(Tag.NameType, NameType.UninterpretedTextString)])];
const objType = (t: number): [string, TtlvNode] => ['Object Type', enm(Tag.ObjectType, t)];

function secretData(value: number): TtlvNode {
  return struct(Tag.SecretData, [
    enm(Tag.SecretDataType, SecretDataType.Password),
    struct(Tag.KeyBlock, [enm(Tag.KeyFormatType, KeyFormatType.Opaque), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, Buffer.alloc(16, value))])]),
  ]);
}

describe.each([
  ['1.4', [1, 4] as V],
  ['2.1', [2, 1] as V],
])('Locate at KMIP %s', (_l, v) => {
  let store: InspectableStore;
  let d: Dispatcher;
  beforeEach(() => {
    store = createMemoryStore();
    d = testDispatcher({ store });
  });
  const send = async (items: ItemSpec[], who = 'alice') => parseResponse(await d.handle(request(v, items), { principal: who, connId: 'c' }));
  const ok = async (items: ItemSpec[], who = 'alice') => {
    const r = await send(items, who);
    for (const i of r.items) expect(i.status, i.message).toBe(ResultStatus.Success);
    return r;
  };
  const registerSecret = async (list: [string, TtlvNode][], who = 'alice'): Promise<string> => {
    const r = await ok([{ operation: Operation.Register, payload: [enm(Tag.ObjectType, ObjectType.SecretData), ...attrList(v, list), secretData(1)] }], who);
    return payloadText(r.items[0]!, Tag.UniqueIdentifier)!;
  };
  const createAes = async (list: [string, TtlvNode][], bits = 256): Promise<string> => {
    const r = await ok([
      {
        operation: Operation.Create,
        payload: [
          enm(Tag.ObjectType, ObjectType.SymmetricKey),
          ...attrList(v, [['Cryptographic Algorithm', enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES)], ['Cryptographic Length', int(Tag.CryptographicLength, bits)], ...list]),
        ],
      },
    ]);
    return payloadText(r.items[0]!, Tag.UniqueIdentifier)!;
  };
  const locate = async (list: [string, TtlvNode][], extra: TtlvNode[] = [], who = 'alice', container: 'auto' | 'bare' | 'template' = 'bare') => {
    const r = await send([{ operation: Operation.Locate, payload: [...extra, ...attrList(v, list, container)] }], who);
    expect(r.items[0]!.status, r.items[0]!.message).toBe(ResultStatus.Success);
    const p = r.items[0]!.payload!;
    return { uids: children(p, Tag.UniqueIdentifier).map((n) => n.value as string), located: child(p, Tag.LocatedItems)?.value as number | undefined };
  };

  it('finds by Object Type and Name (SKFF-M-5 shape), newest first, and counts Located Items', async () => {
    const a = await createAes([name('k1')]);
    const b = await createAes([name('k2')]);
    const s = await registerSecret([name('k1')]);
    expect((await locate([objType(ObjectType.SymmetricKey), name('k1')])).uids).toEqual([a]);
    expect((await locate([objType(ObjectType.SymmetricKey)])).uids).toEqual([b, a]);
    const all = await locate([]);
    expect(all.uids).toEqual([s, b, a]);
    expect(all.located).toBeUndefined(); // only requests with Offset Items get Located Items (OASIS TC-OFFSET-1, TC-CREG-2)
  });

  it('reads a Name filter inside a 1.x Template-Attribute (FortiOS) as well as bare Attributes', async () => {
    const a = await registerSecret([name('forti')]);
    await registerSecret([name('other')]);
    expect((await locate([name('forti')], [], 'alice', 'template')).uids).toEqual([a]);
  });

  it('filters on State, Cryptographic Algorithm and Length, Object Group, and custom attributes of any type', async () => {
    const k128 = await createAes([['Object Group', text(Tag.ObjectGroup, 'g1')], ['x-Owner', text(Tag.AttributeValue, 'team-a')]], 128);
    const k256 = await createAes([['x-Count', int(Tag.AttributeValue, 7)], ['y-When', dateTime(Tag.AttributeValue, 1_600_000_000n)]], 256);
    await registerSecret([['Object Group', text(Tag.ObjectGroup, 'g2')]]);
    expect((await locate([['Cryptographic Length', int(Tag.CryptographicLength, 128)]])).uids).toEqual([k128]);
    expect((await locate([['Cryptographic Algorithm', enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES)]])).uids).toEqual([k256, k128]);
    expect((await locate([['State', enm(Tag.State, State.PreActive)], ['Object Group', text(Tag.ObjectGroup, 'g1')]])).uids).toEqual([k128]);
    expect((await locate([['x-Owner', text(Tag.AttributeValue, 'team-a')]])).uids).toEqual([k128]);
    expect((await locate([['x-Count', int(Tag.AttributeValue, 7)]])).uids).toEqual([k256]);
    expect((await locate([['x-Count', int(Tag.AttributeValue, 8)]])).uids).toEqual([]);
    expect((await locate([['y-When', dateTime(Tag.AttributeValue, 1_600_000_000n)]])).uids).toEqual([k256]);
    expect((await locate([['State', enm(Tag.State, State.Active)]])).uids).toEqual([]);
  });

  it('matches State against the effective State: a future Activation Date that has passed counts as Active', async () => {
    const past = await registerSecret([['Activation Date', dateTime(Tag.ActivationDate, 1000n)]]); // Active at once
    const { seconds } = await import('../src/operations/lifecycle/state.js');
    const soon = seconds(new Date()) + 2n;
    const later = await registerSecret([['Activation Date', dateTime(Tag.ActivationDate, soon)]]);
    expect((await locate([['State', enm(Tag.State, State.Active)]])).uids).toEqual([past]);
    expect((await locate([['State', enm(Tag.State, State.PreActive)]])).uids).toEqual([later]);
    await new Promise((r) => setTimeout(r, 3100));
    expect((await locate([['State', enm(Tag.State, State.Active)]])).uids).toEqual([later, past]);
  });

  it('treats two instances of a date attribute as an inclusive range (TC-OFFSET shape)', async () => {
    const t = (n: number) => dateTime(Tag.ActivationDate, BigInt(n));
    const a = await registerSecret([['Activation Date', t(1000)]]);
    const b = await registerSecret([['Activation Date', t(2000)]]);
    await registerSecret([['Activation Date', t(3000)]]);
    expect((await locate([['Activation Date', t(900)], ['Activation Date', t(2000)]])).uids).toEqual([b, a]);
    expect((await locate([['Activation Date', t(2000)], ['Activation Date', t(1500)]])).uids).toEqual([b]);
    expect((await locate([['Activation Date', t(1000)]])).uids).toEqual([a]);
  });

  it('pages with Maximum Items and Offset Items; Located Items counts before paging; the ID Placeholder is the first uid', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.unshift(await registerSecret([name(`p${i}`)]));
    const max = [int(Tag.MaximumItems, 2)];
    const page1 = await locate([], max);
    expect(page1.uids).toEqual(ids.slice(0, 2));
    expect(page1.located).toBeUndefined();
    const page2 = await locate([], [...max, int(Tag.OffsetItems, 2)]);
    expect(page2.uids).toEqual(ids.slice(2, 4));
    expect(page2.located).toBe(5);
    expect((await locate([], [int(Tag.OffsetItems, 9)])).uids).toEqual([]);
    // Locate then Get with the ID Placeholder (TL-M-3 shape).
    const r = await ok([{ operation: Operation.Locate, payload: [...max, ...attrList(v, [name('p3')], 'bare')] }, { operation: Operation.Get }]);
    expect(payloadText(r.items[1]!, Tag.UniqueIdentifier)).toBe(ids[1]);
    const bad = await send([{ operation: Operation.Locate, payload: [int(Tag.MaximumItems, -1)] }]);
    expect(bad.items[0]!.reason).toBe(ResultReason.InvalidField);
  });

  it('returns only on-line objects by default; destroyed ones only when the mask asks (2.x Destroyed Storage)', async () => {
    const live = await registerSecret([name('s')]);
    const gone = await registerSecret([name('s')]);
    await ok([{ operation: Operation.Destroy, payload: [text(Tag.UniqueIdentifier, gone)] }]);
    expect((await locate([name('s')])).uids).toEqual([live]);
    expect((await locate([name('s')], [int(Tag.StorageStatusMask, StorageStatusMask.OnLineStorage)])).uids).toEqual([live]);
    expect((await locate([name('s')], [int(Tag.StorageStatusMask, StorageStatusMask.ArchivalStorage)])).uids).toEqual([]);
    if (v[0] >= 2) {
      expect((await locate([name('s')], [int(Tag.StorageStatusMask, StorageStatusMask.DestroyedStorage)])).uids).toEqual([gone]);
      expect((await locate([name('s')], [int(Tag.StorageStatusMask, StorageStatusMask.DestroyedStorage | StorageStatusMask.OnLineStorage)])).uids).toEqual([gone, live]);
    }
  });

  it('finds archived objects only with Archival Storage in the mask', async () => {
    const live = await registerSecret([name('a')]);
    const arch = await registerSecret([name('a')]);
    expect((await send([{ operation: Operation.Archive, payload: [text(Tag.UniqueIdentifier, arch)] }])).items[0]!.status).toBe(ResultStatus.Success);
    expect((await locate([name('a')])).uids).toEqual([live]);
    expect((await locate([name('a')], [int(Tag.StorageStatusMask, StorageStatusMask.ArchivalStorage)])).uids).toEqual([arch]);
    const both = StorageStatusMask.ArchivalStorage | StorageStatusMask.OnLineStorage;
    expect((await locate([name('a')], [int(Tag.StorageStatusMask, both)])).uids).toEqual([arch, live]);
  });

  it("returns only the requesting principal's objects", async () => {
    const mine = await registerSecret([name('shared')]);
    await registerSecret([name('shared')], 'bob');
    expect((await locate([name('shared')])).uids).toEqual([mine]);
    expect((await locate([name('shared')], [], 'carol')).uids).toEqual([]);
  });

  it('finds by Unique Identifier, and sees objects registered earlier in the same batch', async () => {
    const a = await registerSecret([name('u')]);
    expect((await locate([['Unique Identifier', text(Tag.UniqueIdentifier, a)]])).uids).toEqual([a]);
    const r = await ok([
      { operation: Operation.Register, payload: [enm(Tag.ObjectType, ObjectType.SecretData), ...attrList(v, [name('u')]), secretData(2)] },
      { operation: Operation.Locate, payload: attrList(v, [name('u')], 'bare') },
    ]);
    const fresh = payloadText(r.items[0]!, Tag.UniqueIdentifier)!;
    expect(children(r.items[1]!.payload!, Tag.UniqueIdentifier).map((n) => n.value)).toEqual([fresh, a]);
  });

  it('matches a structure attribute (Link) by its fields, checked on the index candidates', async () => {
    const target = await registerSecret([name('t')]);
    const link = (uid: string) => struct(Tag.Link, [enm(Tag.LinkType, 0x0103), text(Tag.LinkedObjectIdentifier, uid)]);
    const linked = await registerSecret([['Link', link(target)]]);
    await registerSecret([['Link', link('elsewhere')]]);
    expect((await locate([['Link', link(target)]])).uids).toEqual([linked]);
  });

  it('answers from the indexes: an equality Locate reads no object bodies', async () => {
    for (let i = 0; i < 20; i++) await registerSecret([name(`n${i}`)]);
    const before = store.metrics.objectsRead;
    expect((await locate([name('n7')])).uids).toHaveLength(1);
    expect(store.metrics.objectsRead).toBe(before);
  });

  it('Cryptographic Usage Mask matches objects holding every requested bit; Operation Policy Name "default" matches unnamed policies (1.x)', async () => {
    const both = await registerSecret([['Cryptographic Usage Mask', int(Tag.CryptographicUsageMask, 0x0c)]]);
    const enc = await registerSecret([['Cryptographic Usage Mask', int(Tag.CryptographicUsageMask, 0x04)]]);
    expect((await locate([['Cryptographic Usage Mask', int(Tag.CryptographicUsageMask, 0x04)]])).uids).toEqual([enc, both]);
    expect((await locate([['Cryptographic Usage Mask', int(Tag.CryptographicUsageMask, 0x0c)]])).uids).toEqual([both]);
    expect((await locate([['Cryptographic Usage Mask', int(Tag.CryptographicUsageMask, 0x10)]])).uids).toEqual([]);
    if (v[0] < 2) {
      const named = await registerSecret([['Operation Policy Name', text(Tag.OperationPolicyName, 'strict')]]);
      expect((await locate([['Operation Policy Name', text(Tag.OperationPolicyName, 'default')]])).uids).toEqual([enc, both]);
      expect((await locate([['Operation Policy Name', text(Tag.OperationPolicyName, 'strict')]])).uids).toEqual([named]);
    }
  });

  it('finds a registered certificate by Certificate Type (PyKMIP test_certificate_register_locate_destroy)', async () => {
    const r = await ok([
      {
        operation: Operation.Register,
        payload: [
          enm(Tag.ObjectType, ObjectType.Certificate),
          ...attrList(v, [name('cert')]),
          struct(Tag.Certificate, [enm(Tag.CertificateType, 1), bytes(Tag.CertificateValue, Buffer.from('3082', 'hex'))]),
        ],
      },
    ]);
    const uid = payloadText(r.items[0]!, Tag.UniqueIdentifier)!;
    await registerSecret([name('not a cert')]);
    expect((await locate([['Certificate Type', enm(Tag.CertificateType, 1)]])).uids).toEqual([uid]);
  });

  it('an unknown attribute name is Invalid Field', async () => {
    const r = await send([{ operation: Operation.Locate, payload: attrList(v, [['No Such Attribute', text(Tag.AttributeValue, 'x')]], 'bare') }]);
    if (v[0] < 2) expect(r.items[0]!.reason).toBe(ResultReason.InvalidField);
    void RevocationReasonCode;
  });
});
