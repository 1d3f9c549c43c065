/**
 * The message layer in process: bytes in, bytes out, with the in-memory store and the fake crypto
 * provider (unit level; the TLS + SoftHSM2 + LevelDB path is covered in test/server-e2e.test.ts).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../src/dispatch/dispatcher.js';
import {
  BatchErrorContinuationOption,
  CryptographicAlgorithm,
  KeyFormatType,
  ObjectType,
  Operation,
  QueryFunction,
  ResultReason,
  ResultStatus,
  Tag,
  isEnumValueInVersion,
} from '../src/kmip/generated/index.js';
import { operations } from '../src/operations/index.js';
import { SUPPORTED_OBJECT_TYPES } from '../src/operations/query.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { ObjectStore } from '../src/store/object-store.js';
import { bytes, child, children, enm, int, struct, text } from '../src/ttlv/build.js';
import { encodeTtlv } from '../src/ttlv/encode.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { parseResponse, payloadText, request, requestTree } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';

const peer = { principal: 'alice', connId: 'c1' };

function aesAttrs(v2: boolean, bits = 256): TtlvNode {
  if (v2) {
    return struct(Tag.Attributes, [
      enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
      int(Tag.CryptographicLength, bits),
      int(Tag.CryptographicUsageMask, 0x0c),
    ]);
  }
  const a = (name: string, value: TtlvNode) => struct(Tag.Attribute, [text(Tag.AttributeName, name), value]);
  return struct(Tag.TemplateAttribute, [
    a('Cryptographic Algorithm', enm(Tag.AttributeValue, CryptographicAlgorithm.AES)),
    a('Cryptographic Length', int(Tag.AttributeValue, bits)),
    a('Cryptographic Usage Mask', int(Tag.AttributeValue, 0x0c)),
  ]);
}

function createItem(v2: boolean, bits = 256) {
  return { operation: Operation.Create, payload: [enm(Tag.ObjectType, ObjectType.SymmetricKey), aesAttrs(v2, bits)] };
}

describe('dispatcher', () => {
  let store: ObjectStore;
  let d: Dispatcher;

  beforeEach(() => {
    store = createMemoryStore();
    d = testDispatcher({ store });
  });

  const send = async (buf: Buffer, who = peer) => parseResponse(await d.handle(buf, who));

  it('answers Discover Versions with every supported version, newest first', async () => {
    const r = await send(request([1, 1], [{ operation: Operation.DiscoverVersions }]));
    expect(r.version).toEqual([1, 1]);
    expect(r.items[0]!.status).toBe(ResultStatus.Success);
    const versions = children(r.items[0]!.payload!, Tag.ProtocolVersion).map((pv) => [
      child(pv, Tag.ProtocolVersionMajor)!.value,
      child(pv, Tag.ProtocolVersionMinor)!.value,
    ]);
    expect(versions).toEqual([[2, 1], [2, 0], [1, 4], [1, 3], [1, 2], [1, 1], [1, 0]]);
  });

  it('Discover Versions with a client list answers the intersection in the client order', async () => {
    const pv = (a: number, b: number) => struct(Tag.ProtocolVersion, [int(Tag.ProtocolVersionMajor, a), int(Tag.ProtocolVersionMinor, b)]);
    const r = await send(request([1, 2], [{ operation: Operation.DiscoverVersions, payload: [pv(1, 2), pv(3, 0), pv(1, 4)] }]));
    expect(children(r.items[0]!.payload!, Tag.ProtocolVersion)).toHaveLength(2);
  });

  for (const [label, version, v2] of [
    ['1.2', [1, 2], false],
    ['2.0', [2, 0], true],
    ['2.1', [2, 1], true],
  ] as const) {
    it(`Create AES-256, Get twice (stable 32 bytes), Destroy, then Get fails at ${label}`, async () => {
      const c = await send(request([...version], [createItem(v2)]));
      expect(c.items[0]!.status).toBe(ResultStatus.Success);
      const uid = payloadText(c.items[0]!, Tag.UniqueIdentifier)!;
      expect(uid).toMatch(/^[0-9a-f-]{36}$/);

      const get = async () => {
        const g = await send(request([...version], [{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }]));
        expect(g.items[0]!.status).toBe(ResultStatus.Success);
        const block = child(child(g.items[0]!.payload!, Tag.SymmetricKey)!, Tag.KeyBlock)!;
        expect(child(block, Tag.KeyFormatType)!.value).toBe(KeyFormatType.Raw);
        expect(child(block, Tag.CryptographicLength)!.value).toBe(256);
        return child(child(block, Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array;
      };
      const k1 = await get();
      const k2 = await get();
      expect(k1.length).toBe(32);
      expect(Buffer.from(k1).equals(Buffer.from(k2))).toBe(true);

      const del = await send(request([...version], [{ operation: Operation.Destroy, payload: [text(Tag.UniqueIdentifier, uid)] }]));
      expect(del.items[0]!.status).toBe(ResultStatus.Success);
      const after = await send(request([...version], [{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }]));
      expect(after.items[0]!.status).toBe(ResultStatus.OperationFailed);
      // Item Not Found at 1.x and 2.0 (the rule); Object Destroyed from 2.1 (OASIS BL-M-8-21).
      expect(after.items[0]!.reason).toBe(label === '2.1' ? ResultReason.ObjectDestroyed : ResultReason.ItemNotFound);
    });
  }

  it('Get in Transparent Symmetric Key format returns the same bytes as Raw', async () => {
    const c = await send(request([1, 4], [createItem(false, 128)]));
    const uid = payloadText(c.items[0]!, Tag.UniqueIdentifier)!;
    const raw = await send(request([1, 4], [{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }]));
    const tsk = await send(
      request([1, 4], [{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid), enm(Tag.KeyFormatType, KeyFormatType.TransparentSymmetricKey)] }]),
    );
    const mat = (r: typeof raw) => child(child(child(r.items[0]!.payload!, Tag.SymmetricKey)!, Tag.KeyBlock)!, Tag.KeyValue)!;
    const rawBytes = child(mat(raw), Tag.KeyMaterial)!.value as Uint8Array;
    const tskBytes = child(child(mat(tsk), Tag.KeyMaterial)!, Tag.Key)!.value as Uint8Array;
    expect(Buffer.from(tskBytes).equals(Buffer.from(rawBytes))).toBe(true);
    const pkcs1 = await send(
      request([1, 4], [{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid), enm(Tag.KeyFormatType, KeyFormatType.PKCS_1)] }]),
    );
    expect(pkcs1.items[0]!.reason).toBe(ResultReason.KeyFormatTypeNotSupported);
  });

  it('another principal cannot see the object', async () => {
    const c = await send(request([2, 1], [createItem(true)]));
    const uid = payloadText(c.items[0]!, Tag.UniqueIdentifier)!;
    const g = await send(request([2, 1], [{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }]), { principal: 'bob', connId: 'c2' });
    expect(g.items[0]!.reason).toBe(ResultReason.ObjectNotFound);
  });

  it('rejects a bad AES length and a missing algorithm with the right reasons', async () => {
    const bad = await send(request([2, 1], [createItem(true, 100)]));
    expect(bad.items[0]!.reason).toBe(ResultReason.InvalidField);
    const missing = await send(
      request([2, 1], [{ operation: Operation.Create, payload: [enm(Tag.ObjectType, ObjectType.SymmetricKey), struct(Tag.Attributes, [int(Tag.CryptographicLength, 256)])] }]),
    );
    expect(missing.items[0]!.reason).toBe(ResultReason.MissingData);
  });

  it('answers an unimplemented operation with Operation Not Supported', async () => {
    const r = await send(request([1, 4], [{ operation: Operation.Poll }]));
    expect(r.items[0]!.status).toBe(ResultStatus.OperationFailed);
    expect(r.items[0]!.reason).toBe(ResultReason.OperationNotSupported);
  });

  it('Query lists the registered operations and Symmetric Key', async () => {
    const r = await send(
      request([1, 2], [{ operation: Operation.Query, payload: [enm(Tag.QueryFunction, QueryFunction.QueryOperations), enm(Tag.QueryFunction, QueryFunction.QueryObjects), enm(Tag.QueryFunction, QueryFunction.QueryServerInformation)] }]),
    );
    const p = r.items[0]!.payload!;
    // Exactly the registered handlers that exist in KMIP 1.2, no more (Query never over-claims).
    const listed = children(p, Tag.Operation).map((n) => n.value as number);
    const expected = operations.map((o) => o.operation).filter((op) => isEnumValueInVersion('Operation', op, '1.2'));
    expect([...listed].sort()).toEqual([...expected].sort());
    expect(listed).toEqual(expect.arrayContaining([Operation.Create, Operation.Get, Operation.Destroy, Operation.Query, Operation.DiscoverVersions]));
    expect(listed).not.toContain(Operation.Poll);
    // Only types that exist in 1.2 and that kmipd stores; never Template.
    expect(children(p, Tag.ObjectType).map((n) => n.value)).toEqual(SUPPORTED_OBJECT_TYPES.filter((t) => isEnumValueInVersion('ObjectType', t, '1.2')));
    expect(children(p, Tag.ObjectType).map((n) => n.value)).not.toContain(ObjectType.Template);
    expect(child(p, Tag.VendorIdentification)!.value).toBe('kmipd');
  });

  it('malformed TTLV gets an Invalid Message response, not an exception', async () => {
    const r = await send(Buffer.from('42007801000000084200770100000000', 'hex'));
    expect(r.items[0]!.reason).toBe(ResultReason.InvalidMessage);
  });

  it('a Batch Count that does not match is Invalid Message', async () => {
    const tree = requestTree([1, 2], [{ operation: Operation.DiscoverVersions }]);
    const bad = struct(Tag.RequestMessage, (tree.value as TtlvNode[]).map((n) =>
      n.tag === Tag.RequestHeader ? struct(Tag.RequestHeader, (n.value as TtlvNode[]).map((h) => (h.tag === Tag.BatchCount ? int(Tag.BatchCount, 2) : h))) : n,
    ));
    const r = await send(encodeTtlv(bad));
    expect(r.items[0]!.reason).toBe(ResultReason.InvalidMessage);
  });

  it('an unsupported protocol version is refused in a version the client can read', async () => {
    const v3 = await send(request([3, 0], [{ operation: Operation.DiscoverVersions }]));
    expect(v3.version).toEqual([2, 1]);
    expect(v3.items[0]!.reason).toBe(ResultReason.UnsupportedProtocolVersion);
    const v09 = await send(request([0, 9], [{ operation: Operation.DiscoverVersions }]));
    expect(v09.version).toEqual([1, 0]);
    expect(v09.items[0]!.reason).toBe(ResultReason.InvalidMessage);
  });

  it('the ID Placeholder carries a created uid to later items of the batch', async () => {
    const r = await send(request([1, 2], [createItem(false), { operation: Operation.Get }]));
    expect(r.items.map((i) => i.status)).toEqual([ResultStatus.Success, ResultStatus.Success]);
    expect(payloadText(r.items[1]!, Tag.UniqueIdentifier)).toBe(payloadText(r.items[0]!, Tag.UniqueIdentifier));
  });

  it('Undo rolls back earlier items and reports them as undone', async () => {
    const r = await send(
      request([2, 1], [createItem(true), { operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, 'no-such-id')] }], [
        enm(Tag.BatchErrorContinuationOption, BatchErrorContinuationOption.Undo),
      ]),
    );
    expect(r.items.map((i) => i.status)).toEqual([ResultStatus.OperationUndone, ResultStatus.OperationFailed]);
    const uid = payloadText(r.items[0]!, Tag.UniqueIdentifier)!;
    expect(await store.get(uid)).toBeUndefined();
  });

  it('Stop (the default) ends the batch at the first failure; Continue goes on', async () => {
    const items = [
      { operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, 'nope')] },
      { operation: Operation.DiscoverVersions },
    ];
    const stop = await send(request([1, 2], items));
    expect(stop.items).toHaveLength(1);
    const cont = await send(request([1, 2], items, [enm(Tag.BatchErrorContinuationOption, BatchErrorContinuationOption.Continue)]));
    expect(cont.items.map((i) => i.status)).toEqual([ResultStatus.OperationFailed, ResultStatus.Success]);
  });

  it('Maximum Response Size fails the item with Response Too Large', async () => {
    const q = { operation: Operation.Query, payload: [enm(Tag.QueryFunction, QueryFunction.QueryOperations)] };
    const small = await send(request([2, 1], [q], [int(Tag.MaximumResponseSize, 64)]));
    expect(small.items[0]!.reason).toBe(ResultReason.ResponseTooLarge);
    const big = await send(request([2, 1], [q], [int(Tag.MaximumResponseSize, 4096)]));
    expect(big.items[0]!.status).toBe(ResultStatus.Success);
  });

  it('writes one audit record per batch item, failures included, and never key bytes', async () => {
    await send(request([1, 2], [createItem(false), { operation: Operation.Get }]));
    await send(request([1, 2], [{ operation: Operation.Poll }]));
    const recs = [];
    for await (const r of store.auditRecords()) recs.push(r);
    expect(recs.map((r) => [r.operation, r.result])).toEqual([
      ['Create', 'Success'],
      ['Get', 'Success'],
      ['Poll', 'OperationNotSupported'],
    ]);
    expect(recs[0]!.principal).toBe('alice');
    expect(recs[0]!.uids).toHaveLength(1);
  });

  it('audits refused messages too: malformed TTLV, an unreadable message, an unsupported version', async () => {
    await send(Buffer.from('420078010000000800000000000000ff', 'hex')); // bad TTLV
    await send(encodeTtlv(struct(Tag.RequestMessage, [struct(Tag.RequestHeader, [])]))); // no version, no items
    await send(request([9, 9], [{ operation: Operation.Query }, { operation: Operation.Get }]));
    const recs = [];
    for await (const r of store.auditRecords()) recs.push(r);
    expect(recs.map((r) => [r.operation, r.result, r.principal])).toEqual([
      ['Message', 'InvalidMessage', 'alice'],
      ['Message', 'InvalidMessage', 'alice'],
      ['Query', 'UnsupportedProtocolVersion', 'alice'],
      ['Get', 'UnsupportedProtocolVersion', 'alice'],
    ]);
  });

  it('tolerates 1.x custom x- attributes and keeps them', async () => {
    const attrs = struct(Tag.TemplateAttribute, [
      ...(child(aesAttrs(false), Tag.Attribute) ? (aesAttrs(false).value as TtlvNode[]) : []),
      struct(Tag.Attribute, [text(Tag.AttributeName, 'x-NetApp-Key-Id'), text(Tag.AttributeValue, 'abc')]),
    ]);
    const r = await send(request([1, 0], [{ operation: Operation.Create, payload: [enm(Tag.ObjectType, ObjectType.SymmetricKey), attrs] }]));
    expect(r.items[0]!.status).toBe(ResultStatus.Success);
    void bytes;
  });

  // Found by test/dispatcher-fuzz.test.ts: such values used to be stored as given (or to fail
  // only at commit, as General Failure).
  it('refuses a creation attribute of the wrong item type: 2.x Invalid Attribute Value, 1.x Invalid Field', async () => {
    const v2 = struct(Tag.Attributes, [int(Tag.CryptographicAlgorithm, 3), int(Tag.CryptographicLength, 256)]);
    const r2 = await send(request([2, 0], [{ operation: Operation.Create, payload: [enm(Tag.ObjectType, ObjectType.SymmetricKey), v2] }]));
    expect(r2.items[0]).toMatchObject({ status: ResultStatus.OperationFailed, reason: ResultReason.InvalidAttributeValue });
    expect(r2.items[0]!.message).toMatch(/Cryptographic Algorithm must be of type Enumeration/);
    const v1 = struct(Tag.TemplateAttribute, [
      struct(Tag.Attribute, [text(Tag.AttributeName, 'Cryptographic Algorithm'), int(Tag.AttributeValue, -1)]),
      struct(Tag.Attribute, [text(Tag.AttributeName, 'Cryptographic Length'), int(Tag.AttributeValue, 256)]),
    ]);
    const r1 = await send(request([1, 4], [{ operation: Operation.Create, payload: [enm(Tag.ObjectType, ObjectType.SymmetricKey), v1] }]));
    expect(r1.items[0]).toMatchObject({ status: ResultStatus.OperationFailed, reason: ResultReason.InvalidField });
    const reg = await send(request([2, 1], [{ operation: Operation.Register, payload: [enm(Tag.ObjectType, ObjectType.SecretData), struct(Tag.Attributes, [text(Tag.CryptographicUsageMask, 'Encrypt')])] }]));
    expect(reg.items[0]).toMatchObject({ status: ResultStatus.OperationFailed, reason: ResultReason.InvalidAttributeValue });
    expect(await store.locate([])).toEqual([]);
  });

  it('refuses a vendor attribute whose name or vendor holds a NUL, as Invalid Field', async () => {
    const vendor = (id: string, name: string) => struct(Tag.Attribute, [text(Tag.VendorIdentification, id), text(Tag.AttributeName, name), text(Tag.AttributeValue, 'v')]);
    for (const [ver, attrs] of [
      [[2, 1], struct(Tag.Attributes, [...(aesAttrs(true).value as TtlvNode[]), vendor('acme', 'a\0b')])],
      [[2, 0], struct(Tag.Attributes, [...(aesAttrs(true).value as TtlvNode[]), vendor('ac\0me', 'id')])],
      [[1, 2], struct(Tag.TemplateAttribute, [...(aesAttrs(false).value as TtlvNode[]), struct(Tag.Attribute, [text(Tag.AttributeName, 'x-\0'), text(Tag.AttributeValue, 'v')])])],
    ] as const) {
      const r = await send(request(ver as [number, number], [{ operation: Operation.Create, payload: [enm(Tag.ObjectType, ObjectType.SymmetricKey), attrs] }]));
      expect(r.items[0], `KMIP ${ver.join('.')}`).toMatchObject({ status: ResultStatus.OperationFailed, reason: ResultReason.InvalidField });
      expect(r.items[0]!.message).toMatch(/must not contain NUL/);
    }
    expect(await store.locate([])).toEqual([]);
  });
});
