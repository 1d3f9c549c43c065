/**
 * Get with a Key Wrapping Specification (KMIP 1.4 §2.1.6, 2.1 §2.1.6), in process: NIST Key Wrap
 * (RFC 3394) under an Active AES key, No Encoding and TTLV Encoding, and the errors the spec names.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../src/dispatch/dispatcher.js';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  EncodingOption,
  KeyFormatType,
  KeyWrapType,
  ObjectType,
  Operation,
  ResultReason,
  ResultStatus,
  Tag,
  WrappingMethod,
} from '../src/kmip/generated/index.js';
import { bytes, child, enm, int, struct, text } from '../src/ttlv/build.js';
import { decodeTtlv } from '../src/ttlv/decode.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemSpec, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';

type V = [number, number];

function unwrap(kek: Buffer, wrapped: Buffer): Buffer {
  const d = createDecipheriv(`id-aes${kek.length * 8}-wrap`, kek, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
  return Buffer.concat([d.update(wrapped), d.final()]);
}

describe.each([
  ['1.2', [1, 2] as V],
  ['2.0', [2, 0] as V],
])('Get with key wrapping at KMIP %s', (_l, v) => {
  let d: Dispatcher;
  beforeEach(() => {
    d = testDispatcher();
  });
  const send = async (items: ItemSpec[]) => parseResponse(await d.handle(request(v, items), { principal: 'alice', connId: 'c' }));
  const create = async (mask: number): Promise<string> => {
    const a = (n: string, x: TtlvNode) => struct(Tag.Attribute, [text(Tag.AttributeName, n), { ...x, tag: Tag.AttributeValue } as TtlvNode]);
    const list: [string, TtlvNode][] = [
      ['Cryptographic Algorithm', enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES)],
      ['Cryptographic Length', int(Tag.CryptographicLength, 256)],
      ['Cryptographic Usage Mask', int(Tag.CryptographicUsageMask, mask)],
    ];
    const attrs = v[0] >= 2 ? struct(Tag.Attributes, list.map(([, x]) => x)) : struct(Tag.TemplateAttribute, list.map(([n, x]) => a(n, x)));
    const r = await send([{ operation: Operation.Create, payload: [enm(Tag.ObjectType, ObjectType.SymmetricKey), attrs] }]);
    expect(r.items[0]!.status, r.items[0]!.message).toBe(ResultStatus.Success);
    return payloadText(r.items[0]!, Tag.UniqueIdentifier)!;
  };
  const rawKey = async (uid: string): Promise<Buffer> => {
    const g = await send([{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }]);
    const kb = child(child(g.items[0]!.payload!, Tag.SymmetricKey)!, Tag.KeyBlock)!;
    return Buffer.from(child(child(kb, Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array);
  };
  const spec = (kek: string, encoding?: number, method: number = WrappingMethod.Encrypt) =>
    struct(Tag.KeyWrappingSpecification, [
      enm(Tag.WrappingMethod, method),
      struct(Tag.EncryptionKeyInformation, [text(Tag.UniqueIdentifier, kek), struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.NISTKeyWrap)])]),
      ...(encoding !== undefined ? [enm(Tag.EncodingOption, encoding)] : []),
    ]);
  const getWrapped = (uid: string, s: TtlvNode) => send([{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid), s] }]);

  it('wraps with NIST Key Wrap: No Encoding wraps the key bytes, TTLV Encoding the Key Value (PyKMIP test_create_get_wrapped_destroy)', async () => {
    const key = await create(CryptographicUsageMask.Encrypt);
    const kek = await create(CryptographicUsageMask.WrapKey | CryptographicUsageMask.UnwrapKey);
    expect((await send([{ operation: Operation.Activate, payload: [text(Tag.UniqueIdentifier, kek)] }])).items[0]!.status).toBe(ResultStatus.Success);
    const plain = await rawKey(key);
    const kekBytes = await rawKey(kek);

    const r = await getWrapped(key, spec(kek, EncodingOption.NoEncoding));
    expect(r.items[0]!.status, r.items[0]!.message).toBe(ResultStatus.Success);
    const kb = child(child(r.items[0]!.payload!, Tag.SymmetricKey)!, Tag.KeyBlock)!;
    // 1.x: Key Value { Key Material = wrapped } (TC-WRAP-2-14); 2.x: Key Value = wrapped (TC-WRAP-1-20).
    const kvNode = child(kb, Tag.KeyValue)!;
    const wrapped = Buffer.from((v[0] >= 2 ? kvNode.value : child(kvNode, Tag.KeyMaterial)!.value) as Uint8Array);
    expect(wrapped.length).toBe(40);
    expect(unwrap(kekBytes, wrapped).equals(plain)).toBe(true);
    const kwd = child(kb, Tag.KeyWrappingData)!;
    expect(child(kwd, Tag.WrappingMethod)!.value).toBe(WrappingMethod.Encrypt);
    expect(child(child(kwd, Tag.EncryptionKeyInformation)!, Tag.UniqueIdentifier)!.value).toBe(kek);

    const t = await getWrapped(key, spec(kek));
    const tkb = child(child(t.items[0]!.payload!, Tag.SymmetricKey)!, Tag.KeyBlock)!;
    const kv = decodeTtlv(unwrap(kekBytes, Buffer.from(child(tkb, Tag.KeyValue)!.value as Uint8Array)));
    expect(kv.tag).toBe(Tag.KeyValue);
    expect(Buffer.from(child(kv, Tag.KeyMaterial)!.value as Uint8Array).equals(plain)).toBe(true);
  });

  it('unwraps a key registered wrapped for Key Wrap Type Not Wrapped (TC-WRAP-2 shape), and returns it as registered otherwise', async () => {
    const kek = await create(CryptographicUsageMask.WrapKey);
    const kekBytes = await rawKey(kek);
    const plain = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const c = createCipheriv('id-aes256-wrap', kekBytes, Buffer.from('a6a6a6a6a6a6a6a6', 'hex'));
    const wrapped = Buffer.concat([c.update(plain), c.final()]);
    const kwd = struct(Tag.KeyWrappingData, [
      enm(Tag.WrappingMethod, WrappingMethod.Encrypt),
      struct(Tag.EncryptionKeyInformation, [text(Tag.UniqueIdentifier, kek), struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.NISTKeyWrap)])]),
      enm(Tag.EncodingOption, EncodingOption.NoEncoding),
    ]);
    const obj = struct(Tag.SymmetricKey, [
      struct(Tag.KeyBlock, [
        enm(Tag.KeyFormatType, KeyFormatType.Raw),
        struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, wrapped)]),
        enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
        int(Tag.CryptographicLength, 128),
        kwd,
      ]),
    ]);
    const attrs = v[0] >= 2 ? struct(Tag.Attributes, []) : struct(Tag.TemplateAttribute, []);
    const r = await send([{ operation: Operation.Register, payload: [enm(Tag.ObjectType, ObjectType.SymmetricKey), attrs, obj] }]);
    expect(r.items[0]!.status, r.items[0]!.message).toBe(ResultStatus.Success);
    const uid = payloadText(r.items[0]!, Tag.UniqueIdentifier)!;
    const g = await send([{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid), enm(Tag.KeyFormatType, KeyFormatType.Raw), enm(Tag.KeyWrapType, KeyWrapType.NotWrapped)] }]);
    expect(g.items[0]!.status, g.items[0]!.message).toBe(ResultStatus.Success);
    const kb = child(child(g.items[0]!.payload!, Tag.SymmetricKey)!, Tag.KeyBlock)!;
    expect(Buffer.from(child(child(kb, Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array).equals(plain)).toBe(true);
    expect(child(kb, Tag.KeyWrappingData)).toBeUndefined();
    const asReg = await send([{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }]);
    const akb = child(child(asReg.items[0]!.payload!, Tag.SymmetricKey)!, Tag.KeyBlock)!;
    expect(child(akb, Tag.KeyWrappingData)).toBeDefined();
  });

  it('answers the spec reasons: inactive wrapping key, no Wrap Key usage, unknown key, MAC/sign wrapping', async () => {
    const key = await create(CryptographicUsageMask.Encrypt);
    const kek = await create(CryptographicUsageMask.WrapKey);
    // 2.1: Wrong Key Lifecycle State; Permission Denied up to 2.0, as in SKLC-M-2-14 and AKLC-M-2-20.
    expect((await getWrapped(key, spec(kek, EncodingOption.NoEncoding))).items[0]!.reason).toBe(
      v[0] > 2 || (v[0] === 2 && v[1] >= 1) ? ResultReason.WrongKeyLifecycleState : ResultReason.PermissionDenied,
    );
    const noWrap = await create(CryptographicUsageMask.Encrypt);
    await send([{ operation: Operation.Activate, payload: [text(Tag.UniqueIdentifier, noWrap)] }]);
    expect((await getWrapped(key, spec(noWrap, EncodingOption.NoEncoding))).items[0]!.reason).toBe(
      v[0] >= 2 ? ResultReason.IncompatibleCryptographicUsageMask : ResultReason.PermissionDenied,
    );
    expect((await getWrapped(key, spec('nope'))).items[0]!.reason).toBe(ResultReason.ItemNotFound);
    await send([{ operation: Operation.Activate, payload: [text(Tag.UniqueIdentifier, kek)] }]);
    expect((await getWrapped(key, spec(kek, undefined, WrappingMethod.MACSign))).items[0]!.reason).toBe(ResultReason.FeatureNotSupported);
  });
});
