/**
 * Stable KMIP 1.x Attribute Index against a live kmipd (mutual TLS, SoftHSM2, LevelDB). KMIP 1.4
 * §2.1.1 (1.0-1.3 alike): "The Attribute Index of an attribute SHALL NOT change when other
 * instances are added or deleted"; an absent index means 0. So deleting index 1 of 0, 1, 2 leaves
 * 0 and 2, Add takes the next index, and Modify / Delete by index address that instance, at every
 * 1.x version, for standard multi-instance attributes (Name, Object Group, Application Specific
 * Information) and custom x- attributes alike. 2.x changes (by Current Attribute) leave the other
 * instances' indexes alone too, and the indexes survive a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CryptographicAlgorithm, NameType, ObjectType, Operation, ResultReason, Tag } from '../src/kmip/generated/index.js';
import { child, children, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { type TestKmipd, startTestKmipd, testPki } from './helpers/kmipd.js';
import { type ClientCerts, KmipTestClient, loadClientCerts } from './helpers/tls-client.js';
import { expectFailure, expectSuccess } from './helpers/live.js';

type Ver = [number, number];
const V1: Ver[] = [
  [1, 0],
  [1, 1],
  [1, 2],
  [1, 3],
  [1, 4],
];

const work = mkdtempSync(join(tmpdir(), 'kmipd-attr-index-'));
const certDir = join(work, 'certs');

/** A 1.x Attribute {Attribute Name, Attribute Index?, Attribute Value}. */
const attr = (name: string, value: TtlvNode, index?: number) =>
  struct(Tag.Attribute, [text(Tag.AttributeName, name), ...(index === undefined ? [] : [int(Tag.AttributeIndex, index)]), { ...value, tag: Tag.AttributeValue } as TtlvNode]);
const nameValue = (s: string) => struct(Tag.AttributeValue, [text(Tag.NameValue, s), enm(Tag.NameType, NameType.UninterpretedTextString)]);
const nameV2 = (s: string) => struct(Tag.Name, [text(Tag.NameValue, s), enm(Tag.NameType, NameType.UninterpretedTextString)]);
const uidOf = (uid: string) => text(Tag.UniqueIdentifier, uid);

/** The text a Name / text attribute value carries. */
function valueText(v: TtlvNode): string {
  if (v.type === 'TextString') return v.value;
  const nv = v.type === 'Structure' ? child(v, Tag.NameValue) : undefined;
  return nv?.type === 'TextString' ? nv.value : '?';
}

/** A 1.x response's Attribute structures as [index as sent (undefined = absent), value text]. */
function instances(item: ItemResult): [number | undefined, string][] {
  return children(item.payload!, Tag.Attribute).map((a) => [child(a, Tag.AttributeIndex)?.value as number | undefined, valueText(child(a, Tag.AttributeValue)!)]);
}

describe('stable 1.x Attribute Index (live: TLS + SoftHSM2 + LevelDB)', () => {
  let certs: ClientCerts;
  let server: TestKmipd | undefined;
  let client: KmipTestClient | undefined;
  const boot = async () => {
    server = await startTestKmipd({ dataDir: join(work, 'data'), certDir });
    client = await KmipTestClient.connect(server.port, certs);
  };
  const stop = async () => {
    client?.close();
    await server?.close();
    client = undefined;
    server = undefined;
  };
  beforeAll(async () => {
    testPki(certDir, ['alice']);
    certs = loadClientCerts(certDir, 'alice');
    await boot();
  }, 60_000);
  afterAll(async () => {
    await stop();
    rmSync(work, { recursive: true, force: true });
  });

  const one = async (v: Ver, operation: number, payload: TtlvNode[]) => parseResponse((await client!.roundTrip(request(v, [{ operation, payload }])))!).items[0]!;
  const ok = async (v: Ver, operation: number, payload: TtlvNode[]) => expectSuccess(await one(v, operation, payload));
  const get = async (v: Ver, uid: string, name: string) => instances(await ok(v, Operation.GetAttributes, [uidOf(uid), text(Tag.AttributeName, name)]));
  let seq = 0;
  const createKey = async (v: Ver, names: string[]) => {
    const r = await ok(v, Operation.Create, [
      enm(Tag.ObjectType, ObjectType.SymmetricKey),
      struct(Tag.TemplateAttribute, [
        attr('Cryptographic Algorithm', enm(0, CryptographicAlgorithm.AES)),
        attr('Cryptographic Length', int(0, 128)),
        attr('Cryptographic Usage Mask', int(0, 12)),
        ...names.map((n) => attr('Name', nameValue(n))),
      ]),
    ]);
    return payloadText(r, Tag.UniqueIdentifier)!;
  };

  for (const v of V1) {
    it(`KMIP ${v.join('.')}: Name indexes stay put through Delete / Add / Modify, and name the instance`, async () => {
      const p = `k${v.join('')}-${++seq}`;
      const uid = await createKey(v, [`${p}-a`, `${p}-b`, `${p}-c`]);
      // Every instance of a multi-instance attribute carries its index, 0 included.
      expect(await get(v, uid, 'Name')).toEqual([
        [0, `${p}-a`],
        [1, `${p}-b`],
        [2, `${p}-c`],
      ]);
      // Delete index 1: the echo names it; 0 and 2 keep their indexes.
      const del = await ok(v, Operation.DeleteAttribute, [uidOf(uid), text(Tag.AttributeName, 'Name'), int(Tag.AttributeIndex, 1)]);
      expect(instances(del)).toEqual([[1, `${p}-b`]]);
      expect(await get(v, uid, 'Name')).toEqual([
        [0, `${p}-a`],
        [2, `${p}-c`],
      ]);
      // Index 1 is gone: Modify and Delete of it are Item Not Found (KMIP 1.4 §4.15-4.16).
      expectFailure(await one(v, Operation.ModifyAttribute, [uidOf(uid), attr('Name', nameValue(`${p}-x`), 1)]), ResultReason.ItemNotFound);
      expectFailure(await one(v, Operation.DeleteAttribute, [uidOf(uid), text(Tag.AttributeName, 'Name'), int(Tag.AttributeIndex, 1)]), ResultReason.ItemNotFound);
      // Add takes the next index (3), not the freed 1.
      const add = await ok(v, Operation.AddAttribute, [uidOf(uid), attr('Name', nameValue(`${p}-d`))]);
      expect(instances(add)).toEqual([[3, `${p}-d`]]);
      // Modify index 2 changes that instance only and keeps its index.
      const mod = await ok(v, Operation.ModifyAttribute, [uidOf(uid), attr('Name', nameValue(`${p}-C`), 2)]);
      expect(instances(mod)).toEqual([[2, `${p}-C`]]);
      expect(await get(v, uid, 'Name')).toEqual([
        [0, `${p}-a`],
        [2, `${p}-C`],
        [3, `${p}-d`],
      ]);
      // No index means 0 (KMIP 1.4 §2.1.1): Delete removes index 0; then there is no index 0.
      const del0 = await ok(v, Operation.DeleteAttribute, [uidOf(uid), text(Tag.AttributeName, 'Name')]);
      expect(instances(del0).map(([, t]) => t)).toEqual([`${p}-a`]);
      expectFailure(await one(v, Operation.DeleteAttribute, [uidOf(uid), text(Tag.AttributeName, 'Name')]), ResultReason.ItemNotFound);
      expectFailure(await one(v, Operation.ModifyAttribute, [uidOf(uid), attr('Name', nameValue(`${p}-z`))]), ResultReason.ItemNotFound);
      // A name another instance has is refused wherever it would go.
      expectFailure(await one(v, Operation.ModifyAttribute, [uidOf(uid), attr('Name', nameValue(`${p}-d`), 2)]), ResultReason.IllegalOperation);
      const add4 = await ok(v, Operation.AddAttribute, [uidOf(uid), attr('Name', nameValue(`${p}-e`))]);
      expect(instances(add4)).toEqual([[4, `${p}-e`]]);
      expect(await get(v, uid, 'Name')).toEqual([
        [2, `${p}-C`],
        [3, `${p}-d`],
        [4, `${p}-e`],
      ]);
      // Errors: the server assigns indexes; a negative index is malformed.
      expectFailure(await one(v, Operation.AddAttribute, [uidOf(uid), attr('Name', nameValue(`${p}-f`), 5)]), ResultReason.InvalidField);
      expectFailure(await one(v, Operation.DeleteAttribute, [uidOf(uid), text(Tag.AttributeName, 'Name'), int(Tag.AttributeIndex, -1)]), ResultReason.InvalidField);
      expectFailure(await one(v, Operation.ModifyAttribute, [uidOf(uid), attr('Name', nameValue(`${p}-g`), 99)]), ResultReason.ItemNotFound);
    });
  }

  it('Object Group, Application Specific Information and x- custom attributes number their instances the same way', async () => {
    const v: Ver = [1, 2];
    const uid = await createKey(v, []);
    const asi = (ns: string, data: string) =>
      struct(Tag.AttributeValue, [text(Tag.ApplicationNamespace, ns), text(Tag.ApplicationData, data)]);
    const kinds: [string, (s: string) => TtlvNode][] = [
      ['Object Group', (s) => text(0, s)],
      ['x-label', (s) => text(0, s)],
      ['Application Specific Information', (s) => asi(s, `data-${s}`)],
    ];
    for (const [name, value] of kinds) {
      for (const s of ['g0', 'g1', 'g2']) await ok(v, Operation.AddAttribute, [uidOf(uid), attr(name, value(s))]);
      await ok(v, Operation.DeleteAttribute, [uidOf(uid), text(Tag.AttributeName, name), int(Tag.AttributeIndex, 0)]);
      expect(instances(await ok(v, Operation.AddAttribute, [uidOf(uid), attr(name, value('g3'))]))[0]![0]).toBe(3);
      await ok(v, Operation.ModifyAttribute, [uidOf(uid), attr(name, value('G2'), 2)]);
      const got = await ok(v, Operation.GetAttributes, [uidOf(uid), text(Tag.AttributeName, name)]);
      const list = children(got.payload!, Tag.Attribute).map((a) => {
        const val = child(a, Tag.AttributeValue)!;
        const ns = val.type === 'Structure' ? child(val, Tag.ApplicationNamespace) : val;
        return [child(a, Tag.AttributeIndex)?.value, ns?.value];
      });
      expect(list, name).toEqual([
        [1, 'g1'],
        [2, 'G2'],
        [3, 'g3'],
      ]);
    }
    // A single-instance attribute has index 0 and is answered without one (the OASIS vectors' form).
    await ok(v, Operation.AddAttribute, [uidOf(uid), attr('Contact Information', text(0, 'admin@localhost'))]);
    expect(await get(v, uid, 'Contact Information')).toEqual([[undefined, 'admin@localhost']]);
    expectFailure(await one(v, Operation.ModifyAttribute, [uidOf(uid), attr('Contact Information', text(0, 'x'), 1)]), ResultReason.ItemNotFound);
  });

  it('2.x changes by Current Attribute keep the other instances indexes; 2.x answers carry none; indexes survive a restart', async () => {
    const p = `v2-${++seq}`;
    const r = await ok([2, 1], Operation.Create, [
      enm(Tag.ObjectType, ObjectType.SymmetricKey),
      struct(Tag.Attributes, [
        enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
        int(Tag.CryptographicLength, 128),
        int(Tag.CryptographicUsageMask, 12),
        nameV2(`${p}-a`),
        nameV2(`${p}-b`),
        nameV2(`${p}-c`),
      ]),
    ]);
    const uid = payloadText(r, Tag.UniqueIdentifier)!;
    // 2.1 Delete Attribute with Current Attribute: that instance only.
    await ok([2, 1], Operation.DeleteAttribute, [uidOf(uid), struct(Tag.CurrentAttribute, [nameV2(`${p}-a`)])]);
    // 2.0 Modify Attribute with Current Attribute: the instance keeps its index.
    await ok([2, 0], Operation.ModifyAttribute, [uidOf(uid), struct(Tag.CurrentAttribute, [nameV2(`${p}-c`)]), struct(Tag.NewAttribute, [nameV2(`${p}-C`)])]);
    await ok([2, 1], Operation.AddAttribute, [uidOf(uid), struct(Tag.NewAttribute, [nameV2(`${p}-d`)])]);
    const expected: [number, string][] = [
      [1, `${p}-b`],
      [2, `${p}-C`],
      [3, `${p}-d`],
    ];
    expect(await get([1, 4], uid, 'Name')).toEqual(expected);
    // 2.x has no Attribute Index (tag 420009 is reserved in 2.0): the Attributes hold bare Names.
    const v2 = await ok([2, 1], Operation.GetAttributes, [uidOf(uid), enm(Tag.AttributeReference, Tag.Name)]);
    const attrs = child(v2.payload!, Tag.Attributes)!;
    expect(children(attrs, Tag.Name).map(valueText)).toEqual([`${p}-b`, `${p}-C`, `${p}-d`]);
    expect(JSON.stringify(v2.payload, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))).not.toContain(`"tag":${Tag.AttributeIndex}`);
    // 2.x errors: an instance that is not there.
    expectFailure(await one([2, 1], Operation.DeleteAttribute, [uidOf(uid), struct(Tag.CurrentAttribute, [nameV2(`${p}-a`)])]), ResultReason.AttributeInstanceNotFound);
    expectFailure(
      await one([2, 1], Operation.ModifyAttribute, [uidOf(uid), struct(Tag.NewAttribute, [nameV2(`${p}-z`)])]),
      ResultReason.MultiValuedAttribute,
    );
    // The indexes are stored with the object: a restart keeps them.
    await stop();
    await boot();
    expect(await get([1, 4], uid, 'Name')).toEqual(expected);
    expect(await get([1, 0], uid, 'Name')).toEqual(expected);
  }, 60_000);
});
