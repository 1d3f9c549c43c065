/**
 * Get of a key whose Extractable attribute is False (KMIP 1.4 §3.50, 2.1 §4.20): refused in the
 * clear and wrapped (OASIS TC-EXTRACTABLE-1-14/-20 steps 4 and 5), whether the key was created
 * non-extractable or made so later with Modify / Set Attribute. Not Extractable from 1.4 on,
 * Permission Denied before. Sensitive keys: only wrapped (KMIP 1.4 §3.48, 2.1 §4.42).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../src/dispatch/dispatcher.js';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  ObjectType,
  Operation,
  ResultReason,
  ResultStatus,
  Tag,
  WrappingMethod,
} from '../src/kmip/generated/index.js';
import { bool, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemSpec, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';

type V = [number, number];
const V21: V = [2, 1];

describe.each([
  ['1.2', [1, 2] as V, ResultReason.PermissionDenied],
  ['1.4', [1, 4] as V, ResultReason.NotExtractable],
  ['2.1', [2, 1] as V, ResultReason.NotExtractable],
])('Get of a non-extractable key at KMIP %s', (_l, v, reason) => {
  let d: Dispatcher;
  beforeEach(() => {
    d = testDispatcher();
  });
  const send = async (ver: V, items: ItemSpec[]) => parseResponse(await d.handle(request(ver, items), { principal: 'alice', connId: 'c' }));
  /** Created at 2.1 (Extractable is a 1.4+ attribute), read at the version under test. */
  const create = async (mask: number, extractable?: boolean): Promise<string> => {
    const attrs = struct(Tag.Attributes, [
      enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
      int(Tag.CryptographicLength, 256),
      int(Tag.CryptographicUsageMask, mask),
      ...(extractable !== undefined ? [bool(Tag.Extractable, extractable)] : []),
    ]);
    const r = await send(V21, [{ operation: Operation.Create, payload: [enm(Tag.ObjectType, ObjectType.SymmetricKey), attrs] }]);
    expect(r.items[0]!.status, r.items[0]!.message).toBe(ResultStatus.Success);
    return payloadText(r.items[0]!, Tag.UniqueIdentifier)!;
  };
  const get = (uid: string, extra: TtlvNode[] = []) => send(v, [{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid), ...extra] }]);
  const wrapSpec = (kek: string) =>
    struct(Tag.KeyWrappingSpecification, [
      enm(Tag.WrappingMethod, WrappingMethod.Encrypt),
      struct(Tag.EncryptionKeyInformation, [text(Tag.UniqueIdentifier, kek), struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.NISTKeyWrap)])]),
    ]);
  const expectRefused = (r: Awaited<ReturnType<typeof get>>) => {
    expect(r.items[0]!.status).toBe(ResultStatus.OperationFailed);
    expect(r.items[0]!.reason).toBe(reason);
    expect(r.items[0]!.payload?.value ?? []).toEqual([]);
  };

  it('refuses a key created with Extractable = False, in the clear and wrapped', async () => {
    const key = await create(CryptographicUsageMask.Encrypt, false);
    const kek = await create(CryptographicUsageMask.WrapKey);
    expect((await send(V21, [{ operation: Operation.Activate, payload: [text(Tag.UniqueIdentifier, kek)] }])).items[0]!.status).toBe(ResultStatus.Success);
    expectRefused(await get(key));
    expectRefused(await get(key, [wrapSpec(kek)]));
    // The wrapping key itself is still returned.
    expect((await get(kek)).items[0]!.status).toBe(ResultStatus.Success);
  });

  it('refuses a Sensitive key in the clear (Sensitive / Permission Denied) but returns it wrapped (TC-SENSITIVE-1-20 steps 4 and 5)', async () => {
    const key = await create(CryptographicUsageMask.Encrypt);
    const kek = await create(CryptographicUsageMask.WrapKey);
    await send(V21, [{ operation: Operation.Activate, payload: [text(Tag.UniqueIdentifier, kek)] }]);
    const set = await send(V21, [{ operation: Operation.SetAttribute, payload: [text(Tag.UniqueIdentifier, key), struct(Tag.NewAttribute, [bool(Tag.Sensitive, true)])] }]);
    expect(set.items[0]!.status, set.items[0]!.message).toBe(ResultStatus.Success);
    const r = await get(key);
    expect(r.items[0]!.status).toBe(ResultStatus.OperationFailed);
    expect(r.items[0]!.reason).toBe(v[1] >= 4 || v[0] >= 2 ? ResultReason.Sensitive : ResultReason.PermissionDenied);
    const w = await get(key, [wrapSpec(kek)]);
    expect(w.items[0]!.status, w.items[0]!.message).toBe(ResultStatus.Success);
  });

  it('refuses a key made non-extractable after creation (Set Attribute at 2.1, Modify Attribute at 1.4)', async () => {
    const key = await create(CryptographicUsageMask.Encrypt);
    const kek = await create(CryptographicUsageMask.WrapKey);
    await send(V21, [{ operation: Operation.Activate, payload: [text(Tag.UniqueIdentifier, kek)] }]);
    expect((await get(key)).items[0]!.status).toBe(ResultStatus.Success);
    const set =
      v[0] === 1 && v[1] === 4
        ? await send([1, 4], [{ operation: Operation.ModifyAttribute, payload: [text(Tag.UniqueIdentifier, key), struct(Tag.Attribute, [text(Tag.AttributeName, 'Extractable'), { ...bool(Tag.Extractable, false), tag: Tag.AttributeValue }])] }])
        : await send(V21, [{ operation: Operation.SetAttribute, payload: [text(Tag.UniqueIdentifier, key), struct(Tag.NewAttribute, [bool(Tag.Extractable, false)])] }]);
    expect(set.items[0]!.status, set.items[0]!.message).toBe(ResultStatus.Success);
    expectRefused(await get(key));
    expectRefused(await get(key, [wrapSpec(kek)]));
  });
});
