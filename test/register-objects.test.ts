/**
 * Register (KMIP 1.4 §4.3, 2.1 §6.1.43) and Get of every object type, in process (memory store +
 * fake crypto), at KMIP 1.4 (Template-Attribute) and 2.1 (Attributes).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../src/dispatch/dispatcher.js';
import {
  CertificateType,
  CryptographicAlgorithm,
  KeyFormatType,
  NameType,
  ObjectType,
  Operation,
  ResultReason,
  ResultStatus,
  SecretDataType,
  State,
  Tag,
} from '../src/kmip/generated/index.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { ObjectStore } from '../src/store/object-store.js';
import { bigInt, bool, bytes, child, dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import { encodeTtlv } from '../src/ttlv/encode.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';

type V = [number, number];
const V14: V = [1, 4];
const V21: V = [2, 1];

/** Attributes in the version's form: 2.x by tag, 1.x as Template-Attribute with names. */
export function attrs(v: V, list: [string, TtlvNode][]): TtlvNode {
  if (v[0] >= 2) {
    return struct(
      Tag.Attributes,
      list.map(([name, value]) => {
        const m = /^([xy])-(.*)$/.exec(name);
        if (m) return struct(Tag.Attribute, [text(Tag.VendorIdentification, m[1]!), text(Tag.AttributeName, m[2]!), { ...value, tag: Tag.AttributeValue } as TtlvNode]);
        return value;
      }),
    );
  }
  return struct(
    Tag.TemplateAttribute,
    list.map(([name, value]) => struct(Tag.Attribute, [text(Tag.AttributeName, name), { ...value, tag: Tag.AttributeValue } as TtlvNode])),
  );
}

const nameAttr = (n: string): [string, TtlvNode] => [
  'Name',
  struct(Tag.Name, [text(Tag.NameValue, n), enm(Tag.NameType, NameType.UninterpretedTextString)]),
];

function keyBlock(format: number, material: TtlvNode, alg?: number, len?: number): TtlvNode {
  const kids: TtlvNode[] = [enm(Tag.KeyFormatType, format), struct(Tag.KeyValue, [material])];
  if (alg !== undefined) kids.push(enm(Tag.CryptographicAlgorithm, alg));
  if (len !== undefined) kids.push(int(Tag.CryptographicLength, len));
  return struct(Tag.KeyBlock, kids);
}

const AES_KEY = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const SECRET = Buffer.alloc(96, 0x5a); // MongoDB / Percona register 96-byte Secret Data
const OPAQUE = Buffer.from('53656372657450617373776f7264', 'hex');
const CERT = Buffer.from('3082010a0282010100c0ffee', 'hex'); // not parsed; kept byte for byte
const SPKI = Buffer.from('30819f300d06092a864886f70d010101050003818d00', 'hex');
const PKCS8 = Buffer.alloc(1300, 0x42); // longer than one generic-secret chunk

export function objectPayload(type: number): TtlvNode {
  switch (type) {
    case ObjectType.SymmetricKey:
      return struct(Tag.SymmetricKey, [keyBlock(KeyFormatType.Raw, bytes(Tag.KeyMaterial, AES_KEY), CryptographicAlgorithm.AES, 128)]);
    case ObjectType.SecretData:
      return struct(Tag.SecretData, [enm(Tag.SecretDataType, SecretDataType.Password), keyBlock(KeyFormatType.Opaque, bytes(Tag.KeyMaterial, SECRET))]);
    case ObjectType.OpaqueObject:
      return struct(Tag.OpaqueObject, [enm(Tag.OpaqueDataType, 0x80000001), bytes(Tag.OpaqueDataValue, OPAQUE)]);
    case ObjectType.Certificate:
      return struct(Tag.Certificate, [enm(Tag.CertificateType, CertificateType.X_509), bytes(Tag.CertificateValue, CERT)]);
    case ObjectType.PublicKey:
      return struct(Tag.PublicKey, [keyBlock(KeyFormatType.X_509, bytes(Tag.KeyMaterial, SPKI), CryptographicAlgorithm.RSA, 1024)]);
    case ObjectType.PrivateKey:
      return struct(Tag.PrivateKey, [keyBlock(KeyFormatType.PKCS_8, bytes(Tag.KeyMaterial, PKCS8), CryptographicAlgorithm.RSA, 2048)]);
    case ObjectType.SplitKey:
      return struct(Tag.SplitKey, [
        int(Tag.SplitKeyParts, 3),
        int(Tag.KeyPartIdentifier, 1),
        int(Tag.SplitKeyThreshold, 2),
        enm(Tag.SplitKeyMethod, 1),
        keyBlock(KeyFormatType.Raw, bytes(Tag.KeyMaterial, AES_KEY), CryptographicAlgorithm.AES, 128),
      ]);
    default:
      throw new Error('no fixture');
  }
}

export function makeDispatcher(store: ObjectStore = createMemoryStore()): Dispatcher {
  return testDispatcher({ store });
}

describe.each([
  ['1.4', V14],
  ['2.1', V21],
])('Register at KMIP %s', (_label, v) => {
  let store: ObjectStore;
  let d: Dispatcher;
  beforeEach(() => {
    store = createMemoryStore();
    d = makeDispatcher(store);
  });
  const send = async (items: Parameters<typeof request>[1], who = 'alice') =>
    parseResponse(await d.handle(request(v, items), { principal: who, connId: 'c1' }));
  const register = (type: number, extra: [string, TtlvNode][] = [], obj: TtlvNode = objectPayload(type)) =>
    send([{ operation: Operation.Register, payload: [enm(Tag.ObjectType, type), attrs(v, [nameAttr(`n-${type}`), ...extra]), obj] }]);

  const types: [string, number, Buffer][] = [
    ['Symmetric Key', ObjectType.SymmetricKey, AES_KEY],
    ['Secret Data', ObjectType.SecretData, SECRET],
    ['Opaque Object', ObjectType.OpaqueObject, OPAQUE],
    ['Certificate', ObjectType.Certificate, CERT],
    ['Public Key', ObjectType.PublicKey, SPKI],
    ['Private Key', ObjectType.PrivateKey, PKCS8],
    ['Split Key', ObjectType.SplitKey, AES_KEY],
  ];

  it.each(types)('registers a %s and Get returns it as registered', async (_n, type, value) => {
    const r = await register(type);
    expect(r.items[0]!.status, r.items[0]!.message).toBe(ResultStatus.Success);
    const uid = payloadText(r.items[0]!, Tag.UniqueIdentifier)!;
    expect(uid).toMatch(/^[0-9a-f-]{36}$/);
    const g = await send([{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }]);
    expect(g.items[0]!.status, g.items[0]!.message).toBe(ResultStatus.Success);
    const p = g.items[0]!.payload!;
    expect(child(p, Tag.ObjectType)!.value).toBe(type);
    // The object structure comes back exactly as it was registered.
    const got = p.type === 'Structure' ? p.value[2]! : undefined;
    expect(Buffer.from(encodeTtlv(got!)).equals(encodeTtlv(objectPayload(type)))).toBe(true);
    void value;
  });

  it('keeps secret values out of the store in plaintext; public ones as registered', async () => {
    for (const [, type] of types) expect((await register(type)).items[0]!.status).toBe(ResultStatus.Success);
    const snapshot = Buffer.from(JSON.stringify(await dumpStore(store)));
    for (const secret of [AES_KEY, SECRET, OPAQUE, PKCS8]) {
      expect(snapshot.includes(secret.toString('base64'))).toBe(false);
      expect(snapshot.includes(secret.toString('hex'))).toBe(false);
    }
    expect(snapshot.includes(CERT.toString('base64'))).toBe(true);
  });

  it('tolerates Operation Policy Name (1.x) and 40 custom attributes with long names and values', async () => {
    const custom: [string, TtlvNode][] = [];
    for (let i = 0; i < 40; i++) {
      const name = `x-${'n'.repeat(64)}${i}`;
      const value = i % 3 === 0 ? text(Tag.AttributeValue, 'v'.repeat(256)) : i % 3 === 1 ? int(Tag.AttributeValue, i) : dateTime(Tag.AttributeValue, 1_700_000_000n + BigInt(i));
      custom.push([name, value]);
    }
    if (v[0] === 1) custom.push(['Operation Policy Name', text(Tag.AttributeValue, 'default')]);
    const r = await register(ObjectType.SecretData, custom);
    expect(r.items[0]!.status, r.items[0]!.message).toBe(ResultStatus.Success);
  });

  it('lets the client set Original Creation Date on Register (TC-MDO-2), unlike Create', async () => {
    const r = await register(ObjectType.SecretData, [['Original Creation Date', dateTime(Tag.OriginalCreationDate, 38_520n)]]);
    expect(r.items[0]!.status, r.items[0]!.message).toBe(ResultStatus.Success);
    const { deserializeObject } = await import('../src/operations/objects.js');
    const obj = deserializeObject((await store.get(payloadText(r.items[0]!, Tag.UniqueIdentifier)!))!);
    expect(obj.attributes.filter((a) => a.tag === Tag.OriginalCreationDate).map((a) => a.value.value)).toEqual([38_520n]);
  });

  it('sets State Pre-Active, or Active when the Activation Date has passed', async () => {
    const r1 = await register(ObjectType.SecretData);
    const r2 = await register(ObjectType.SecretData, [['Activation Date', dateTime(Tag.ActivationDate, 1_000_000n)]]);
    for (const [r, state] of [
      [r1, State.PreActive],
      [r2, State.Active],
    ] as const) {
      const uid = payloadText(r.items[0]!, Tag.UniqueIdentifier)!;
      const stored = await store.get(uid);
      const { deserializeObject } = await import('../src/operations/objects.js');
      const obj = deserializeObject(stored!);
      expect(obj.attributes.find((a) => a.tag === Tag.State)!.value.value).toBe(state);
      expect(obj.attributes.some((a) => a.tag === Tag.InitialDate)).toBe(true);
    }
  });

  it('registers a Transparent Symmetric Key and Get converts between Raw and Transparent', async () => {
    const tsk = struct(Tag.SymmetricKey, [
      keyBlock(KeyFormatType.TransparentSymmetricKey, struct(Tag.KeyMaterial, [bytes(Tag.Key, AES_KEY)]), CryptographicAlgorithm.AES, 128),
    ]);
    const uid = payloadText((await register(ObjectType.SymmetricKey, [], tsk)).items[0]!, Tag.UniqueIdentifier)!;
    const def = await send([{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }]);
    const kb = child(child(def.items[0]!.payload!, Tag.SymmetricKey)!, Tag.KeyBlock)!;
    expect(child(kb, Tag.KeyFormatType)!.value).toBe(KeyFormatType.TransparentSymmetricKey);
    const raw = await send([{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid), enm(Tag.KeyFormatType, KeyFormatType.Raw)] }]);
    const rkb = child(child(raw.items[0]!.payload!, Tag.SymmetricKey)!, Tag.KeyBlock)!;
    expect(Buffer.from(child(child(rkb, Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array).equals(AES_KEY)).toBe(true);
  });

  it('answers Key Format Type Not Supported for other conversions, and for objects without a Key Block', async () => {
    const pk = payloadText((await register(ObjectType.PrivateKey)).items[0]!, Tag.UniqueIdentifier)!;
    const op = payloadText((await register(ObjectType.OpaqueObject)).items[0]!, Tag.UniqueIdentifier)!;
    const sk = payloadText((await register(ObjectType.SymmetricKey)).items[0]!, Tag.UniqueIdentifier)!;
    for (const [uid, fmt] of [
      [pk, KeyFormatType.PKCS_1],
      [op, KeyFormatType.Raw],
      [sk, KeyFormatType.PKCS_8],
    ] as const) {
      const g = await send([{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid), enm(Tag.KeyFormatType, fmt)] }]);
      expect(g.items[0]!.reason).toBe(ResultReason.KeyFormatTypeNotSupported);
    }
    const same = await send([{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, pk), enm(Tag.KeyFormatType, KeyFormatType.PKCS_8)] }]);
    expect(same.items[0]!.status).toBe(ResultStatus.Success);
  });

  it('keeps a key registered wrapped (BYOK, TC-WRAP-2 shape) as registered; Get returns it unchanged, no conversion', async () => {
    const kwd = struct(Tag.KeyWrappingData, [
      enm(Tag.WrappingMethod, 1),
      struct(Tag.EncryptionKeyInformation, [text(Tag.UniqueIdentifier, 'kek-1')]),
      enm(Tag.EncodingOption, 1),
    ]);
    const wrapped = Buffer.from('1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5', 'hex');
    const obj = struct(Tag.SymmetricKey, [
      struct(Tag.KeyBlock, [
        enm(Tag.KeyFormatType, KeyFormatType.Raw),
        struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, wrapped)]),
        enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
        int(Tag.CryptographicLength, 128),
        kwd,
      ]),
    ]);
    const r = await register(ObjectType.SymmetricKey, [], obj);
    expect(r.items[0]!.status, r.items[0]!.message).toBe(ResultStatus.Success);
    const uid = payloadText(r.items[0]!, Tag.UniqueIdentifier)!;
    const g = await send([{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }]);
    const got = g.items[0]!.payload!.type === 'Structure' ? g.items[0]!.payload!.value[2]! : undefined;
    expect(Buffer.from(encodeTtlv(got!)).equals(encodeTtlv(obj))).toBe(true);
    const conv = await send([{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid), enm(Tag.KeyFormatType, KeyFormatType.TransparentSymmetricKey)] }]);
    expect(conv.items[0]!.reason).toBe(ResultReason.KeyFormatTypeNotSupported);
  });

  it('registers a metadata-only key (no Key Value, Key Value Location; TC-MDO-1 shape) and Get returns the Key Block without a value', async () => {
    const obj = struct(Tag.SymmetricKey, [
      struct(Tag.KeyBlock, [enm(Tag.KeyFormatType, KeyFormatType.Raw), enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 128)]),
    ]);
    const loc: [string, TtlvNode] = [
      'Key Value Location',
      struct(Tag.KeyValueLocation, [text(Tag.KeyValueLocationValue, 'HSM-13345'), enm(Tag.KeyValueLocationType, 1)]),
    ];
    const r = await register(ObjectType.SymmetricKey, [loc], obj);
    expect(r.items[0]!.status, r.items[0]!.message).toBe(ResultStatus.Success);
    const uid = payloadText(r.items[0]!, Tag.UniqueIdentifier)!;
    const g = await send([{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }]);
    const got = g.items[0]!.payload!.type === 'Structure' ? g.items[0]!.payload!.value[2]! : undefined;
    expect(Buffer.from(encodeTtlv(got!)).equals(encodeTtlv(obj))).toBe(true);
  });

  it('refuses Templates, server-set attributes and malformed objects with the spec reasons', async () => {
    const cases: [string, TtlvNode[], number][] = [
      // 2.x has no Templates; a 1.x Template needs a Name to be referred to (objects/template.ts).
      ['Template', [enm(Tag.ObjectType, ObjectType.Template), struct(Tag.Template, [])], v[0] >= 2 ? ResultReason.FeatureNotSupported : ResultReason.MissingData],
      ['missing object', [enm(Tag.ObjectType, ObjectType.SecretData)], ResultReason.MissingData],
      ['missing Secret Data Type', [enm(Tag.ObjectType, ObjectType.SecretData), struct(Tag.SecretData, [keyBlock(KeyFormatType.Opaque, bytes(Tag.KeyMaterial, SECRET))])], ResultReason.MissingData],
      [
        'wrong format for a symmetric key',
        [enm(Tag.ObjectType, ObjectType.SymmetricKey), struct(Tag.SymmetricKey, [keyBlock(KeyFormatType.PKCS_8, bytes(Tag.KeyMaterial, AES_KEY), CryptographicAlgorithm.AES, 128)])],
        ResultReason.InvalidField,
      ],
      [
        'Transparent format with a Byte String',
        [enm(Tag.ObjectType, ObjectType.SymmetricKey), struct(Tag.SymmetricKey, [keyBlock(KeyFormatType.TransparentSymmetricKey, bytes(Tag.KeyMaterial, AES_KEY), CryptographicAlgorithm.AES, 128)])],
        ResultReason.InvalidField,
      ],
      [
        'AES length mismatch',
        [enm(Tag.ObjectType, ObjectType.SymmetricKey), struct(Tag.SymmetricKey, [keyBlock(KeyFormatType.Raw, bytes(Tag.KeyMaterial, AES_KEY), CryptographicAlgorithm.AES, 256)])],
        ResultReason.InvalidField,
      ],
      ['unknown object type', [enm(Tag.ObjectType, 0x55)], ResultReason.InvalidField],
      ['no payload fields', [], ResultReason.MissingData],
      [
        'server-set State',
        [enm(Tag.ObjectType, ObjectType.OpaqueObject), attrs(v, [['State', enm(Tag.State, State.Active)]]), objectPayload(ObjectType.OpaqueObject)],
        v[0] >= 2 ? ResultReason.ReadOnlyAttribute : ResultReason.InvalidField,
      ],
    ];
    for (const [what, payload, reason] of cases) {
      const r = await send([{ operation: Operation.Register, payload }]);
      expect(r.items[0]!.status, what).toBe(ResultStatus.OperationFailed);
      expect(r.items[0]!.reason, what).toBe(reason);
      expect(r.items[0]!.message ?? '', what).not.toContain(AES_KEY.toString('hex'));
    }
  });

  it('Get of another principal\'s object is not found (Item Not Found, 2.1 Object Not Found); the ID Placeholder links Register and Get', async () => {
    const uid = payloadText((await register(ObjectType.SecretData)).items[0]!, Tag.UniqueIdentifier)!;
    const other = await send([{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }], 'bob');
    expect(other.items[0]!.reason).toBe(v[0] === 2 && v[1] >= 1 ? ResultReason.ObjectNotFound : ResultReason.ItemNotFound);
    const batch = await send([
      { operation: Operation.Register, payload: [enm(Tag.ObjectType, ObjectType.OpaqueObject), attrs(v, [nameAttr('ph')]), objectPayload(ObjectType.OpaqueObject)] },
      { operation: Operation.Get, payload: [] },
    ]);
    expect(batch.items.map((i) => i.status)).toEqual([ResultStatus.Success, ResultStatus.Success]);
    expect(payloadText(batch.items[1]!, Tag.UniqueIdentifier)).toBe(payloadText(batch.items[0]!, Tag.UniqueIdentifier));
  });

  it('a registered AES key is an HSM key (usable by the crypto operations), others are generic secrets', async () => {
    const uid = payloadText((await register(ObjectType.SymmetricKey)).items[0]!, Tag.UniqueIdentifier)!;
    const { deserializeObject } = await import('../src/operations/objects.js');
    const obj = deserializeObject((await store.get(uid))!);
    expect(obj.key?.algorithm).toBe('AES');
    const sd = payloadText((await register(ObjectType.SecretData)).items[0]!, Tag.UniqueIdentifier)!;
    const sobj = deserializeObject((await store.get(sd))!);
    expect(sobj.key).toBeUndefined();
    expect(sobj.content?.secret?.length).toBe(96);
    void bool;
    void bigInt;
  });

  it('Destroy drops the value of a registered object and Get then fails', async () => {
    const uid = payloadText((await register(ObjectType.PrivateKey)).items[0]!, Tag.UniqueIdentifier)!;
    expect((await send([{ operation: Operation.Destroy, payload: [text(Tag.UniqueIdentifier, uid)] }])).items[0]!.status).toBe(ResultStatus.Success);
    const { deserializeObject } = await import('../src/operations/objects.js');
    const obj = deserializeObject((await store.get(uid))!);
    expect(obj.content?.secret).toBeUndefined();
    const g = await send([{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }]);
    expect(g.items[0]!.reason).toBe(v[0] === 2 && v[1] >= 1 ? ResultReason.ObjectDestroyed : ResultReason.ItemNotFound);
  });
});

/** Every stored body, for plaintext checks. */
async function dumpStore(store: ObjectStore): Promise<string[]> {
  const uids = await store.locate([]);
  const out: string[] = [];
  for (const uid of uids) {
    const o = await store.get(uid);
    out.push(Buffer.from(o!.body).toString('utf8'));
    out.push(Buffer.from(o!.body).toString('base64'));
  }
  return out;
}
