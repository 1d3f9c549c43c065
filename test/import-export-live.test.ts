/**
 * Import and Export live (mutual TLS, SoftHSM2, LevelDB) at KMIP 1.4 and 2.1: Export returns the
 * object and all its attributes; exporting and importing under another identifier gives the same
 * key (the same ciphertext) and the same attributes, server-set ones included; Replace Existing,
 * other owners' objects, non-extractable keys, wrapping on Export, and KMIP 1.3 (no Import/Export).
 */
import { describe, expect, it } from 'vitest';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  EncodingOption,
  KeyFormatType,
  NameType,
  ObjectType,
  Operation,
  ResultReason,
  State,
  Tag,
  WrappingMethod,
} from '../src/kmip/generated/index.js';
import { CryptographicUsageMask as M } from '../src/kmip/generated/masks.js';
import { bool, bytes, child, children, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { expectFailure, expectSuccess, registerSymmetricKey, requestAttributes, useLiveKmipd } from './helpers/live.js';

type V = [number, number];
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const live = useLiveKmipd('impexp-live', ['alice', 'bob']);
const one = (v: V, operation: number, payload: TtlvNode[]): Promise<ItemResult> => live.one(v, operation, payload);
const ok = expectSuccess;
const fails = expectFailure;
const attrs = requestAttributes;

const registerKey = (v: V, alg: number, material: Buffer, mask: number, extra: TtlvNode[] = []): Promise<string> =>
  registerSymmetricKey(live, v, alg, material, mask, extra);

const KEY = hex('0123456789abcdef0123456789abcdef');
const name = (s: string): TtlvNode => struct(Tag.Name, [text(Tag.NameValue, s), enm(Tag.NameType, NameType.UninterpretedTextString)]);

/** Export, split into its parts. */
async function exportOf(v: V, uid: string, extra: TtlvNode[] = []): Promise<{ attrs: TtlvNode; object: TtlvNode; r: ItemResult }> {
  const r = ok(await one(v, Operation.Export, [text(Tag.UniqueIdentifier, uid), ...extra]));
  const p = r.payload!;
  expect(p.type === 'Structure' && p.value.map((n) => n.tag).slice(0, 3)).toEqual([Tag.ObjectType, Tag.UniqueIdentifier, v[0] >= 2 ? Tag.Attributes : Tag.TemplateAttribute]);
  const attrs = child(p, v[0] >= 2 ? Tag.Attributes : Tag.TemplateAttribute)!;
  const object = child(p, Tag.SymmetricKey) ?? child(p, Tag.SecretData) ?? child(p, Tag.PublicKey);
  return { attrs, object: object!, r };
}
/** An attribute's value from an Export's attribute block, in either version's form. */
function attrValue(v: V, attrs: TtlvNode, tag: number, v1Name: string): TtlvNode | undefined {
  if (v[0] >= 2) return child(attrs, tag);
  const a = children(attrs, Tag.Attribute).find((x) => child(x, Tag.AttributeName)?.value === v1Name);
  return a && child(a, Tag.AttributeValue);
}
const material = (obj: TtlvNode): string => Buffer.from(child(child(child(obj, Tag.KeyBlock)!, Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array).toString('hex');
function importReq(uid: string, objectType: number, replace: boolean | undefined, attrs: TtlvNode, object: TtlvNode): TtlvNode[] {
  return [text(Tag.UniqueIdentifier, uid), enm(Tag.ObjectType, objectType), ...(replace !== undefined ? [bool(Tag.ReplaceExisting, replace)] : []), attrs, object];
}
async function ecb(v: V, uid: string): Promise<string> {
  const r = ok(
    await one(v, Operation.Encrypt, [
      text(Tag.UniqueIdentifier, uid),
      struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.ECB)]),
      bytes(Tag.Data, hex('00112233445566778899aabbccddeeff')),
    ]),
  );
  return Buffer.from(child(r.payload!, Tag.Data)!.value as Uint8Array).toString('hex');
}

describe.each([
  ['1.4', [1, 4] as V],
  ['2.1', [2, 1] as V],
])('Import / Export at KMIP %s', (n, v) => {
  it('Export gives the object and every attribute; Import under a new identifier gives the same key and attributes', async () => {
    const uid = await registerKey(v, CryptographicAlgorithm.AES, KEY, M.Encrypt, [name(`impexp-${n}`)]);
    const ex = await exportOf(v, uid);
    expect(material(ex.object)).toBe(KEY.toString('hex'));
    expect(attrValue(v, ex.attrs, Tag.UniqueIdentifier, 'Unique Identifier')?.value).toBe(uid);
    expect(attrValue(v, ex.attrs, Tag.State, 'State')?.value).toBe(State.Active);
    expect(attrValue(v, ex.attrs, Tag.CryptographicAlgorithm, 'Cryptographic Algorithm')?.value).toBe(CryptographicAlgorithm.AES);
    const initial = attrValue(v, ex.attrs, Tag.InitialDate, 'Initial Date');
    expect(initial?.type).toBe('DateTime');
    // Import the export under a new identifier, after the clock has moved on: the given dates stay.
    await new Promise((r) => setTimeout(r, 1100));
    const copy = `imported-${n}-${Date.now()}`;
    const r = ok(await one(v, Operation.Import, importReq(copy, ObjectType.SymmetricKey, false, ex.attrs, ex.object)));
    expect(payloadText(r, Tag.UniqueIdentifier)).toBe(copy);
    const ex2 = await exportOf(v, copy);
    expect(material(ex2.object)).toBe(KEY.toString('hex'));
    expect(attrValue(v, ex2.attrs, Tag.UniqueIdentifier, 'Unique Identifier')?.value).toBe(copy);
    expect(attrValue(v, ex2.attrs, Tag.InitialDate, 'Initial Date')?.value).toBe(initial!.value);
    expect(attrValue(v, ex2.attrs, Tag.State, 'State')?.value).toBe(State.Active);
    const nm = attrValue(v, ex2.attrs, Tag.Name, 'Name');
    expect(nm && child(nm, Tag.NameValue)?.value).toBe(`impexp-${n}`);
    // The imported key is an HSM key like the original: the same ciphertext.
    expect(await ecb(v, copy)).toBe(await ecb(v, uid));
  });

  it('Export leaves Fresh as it is; a Get then clears it (OASIS TC-IMPEXP-1/-3-20)', async () => {
    const uid = await registerKey(v, CryptographicAlgorithm.AES, KEY, M.Encrypt);
    const fresh = async (): Promise<unknown> => attrValue(v, (await exportOf(v, uid)).attrs, Tag.Fresh, 'Fresh')?.value;
    expect(await fresh()).toBe(true);
    expect(await fresh()).toBe(true);
    ok(await one(v, Operation.Get, [text(Tag.UniqueIdentifier, uid)]));
    expect(await fresh()).toBe(false);
  });

  it('Replace Existing: refused without it (Object Already Exists), replaces with it, also a destroyed object', async () => {
    const uid = await registerKey(v, CryptographicAlgorithm.AES, KEY, M.Encrypt | M.Decrypt);
    const ex = await exportOf(v, uid);
    fails(await one(v, Operation.Import, importReq(uid, ObjectType.SymmetricKey, false, ex.attrs, ex.object)), ResultReason.ObjectAlreadyExists);
    fails(await one(v, Operation.Import, importReq(uid, ObjectType.SymmetricKey, undefined, ex.attrs, ex.object)), ResultReason.ObjectAlreadyExists);
    // Replace it with a Secret Data under the same identifier.
    const secret = struct(Tag.SecretData, [
      enm(Tag.SecretDataType, 1),
      struct(Tag.KeyBlock, [enm(Tag.KeyFormatType, KeyFormatType.Opaque), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, Buffer.from('password'))])]),
    ]);
    ok(await one(v, Operation.Import, importReq(uid, ObjectType.SecretData, true, attrs(v, [int(Tag.CryptographicUsageMask, M.DeriveKey)]), secret)));
    const ex2 = await exportOf(v, uid);
    expect(child(ex2.r.payload!, Tag.ObjectType)?.value).toBe(ObjectType.SecretData);
    expect(material(ex2.object)).toBe(Buffer.from('password').toString('hex'));
    expect(attrValue(v, ex2.attrs, Tag.CryptographicUsageMask, 'Cryptographic Usage Mask')?.value).toBe(M.DeriveKey);
    // A destroyed object's identifier (its metadata remains) is replaced only with Replace Existing.
    ok(await one(v, Operation.Destroy, [text(Tag.UniqueIdentifier, uid)]));
    fails(await one(v, Operation.Import, importReq(uid, ObjectType.SymmetricKey, false, ex.attrs, ex.object)), ResultReason.ObjectAlreadyExists);
    ok(await one(v, Operation.Import, importReq(uid, ObjectType.SymmetricKey, true, ex.attrs, ex.object)));
    expect(material((await exportOf(v, uid)).object)).toBe(KEY.toString('hex'));
  });

  it('never replaces another owner\'s object', async () => {
    const uid = await registerKey(v, CryptographicAlgorithm.AES, KEY, M.Encrypt);
    const ex = await exportOf(v, uid);
    const r = parseResponse((await live.client('bob').roundTrip(request(v, [{ operation: Operation.Import, payload: importReq(uid, ObjectType.SymmetricKey, true, ex.attrs, ex.object) }])))!).items[0]!;
    fails(r, ResultReason.PermissionDenied);
    expect(material((await exportOf(v, uid)).object)).toBe(KEY.toString('hex'));
  });

  it('Export keeps Get\'s rules: Not Extractable; wrapping with a Key Wrapping Specification', async () => {
    const c = ok(
      await one(v, Operation.Create, [
        enm(Tag.ObjectType, ObjectType.SymmetricKey),
        attrs(v, [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 128), int(Tag.CryptographicUsageMask, M.Encrypt), bool(Tag.Extractable, false)]),
      ]),
    );
    fails(await one(v, Operation.Export, [text(Tag.UniqueIdentifier, payloadText(c, Tag.UniqueIdentifier)!)]), ResultReason.NotExtractable);
    const kek = await registerKey(v, CryptographicAlgorithm.AES, hex('000102030405060708090a0b0c0d0e0f'), M.WrapKey);
    const key = await registerKey(v, CryptographicAlgorithm.AES, hex('00112233445566778899aabbccddeeff'), M.Encrypt);
    const ex = await exportOf(v, key, [
      struct(Tag.KeyWrappingSpecification, [enm(Tag.WrappingMethod, WrappingMethod.Encrypt), struct(Tag.EncryptionKeyInformation, [text(Tag.UniqueIdentifier, kek)]), enm(Tag.EncodingOption, EncodingOption.NoEncoding)]),
    ]);
    const kb = child(ex.object, Tag.KeyBlock)!;
    expect(child(kb, Tag.KeyWrappingData)).toBeDefined();
    // RFC 3394 §4.1 (128-bit key data with a 128-bit KEK).
    const kv = child(kb, Tag.KeyValue)!;
    const wrapped = kv.type === 'ByteString' ? kv.value : (child(kv, Tag.KeyMaterial)!.value as Uint8Array);
    expect(Buffer.from(wrapped).toString('hex')).toBe('1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5');
  });

  it('Key Wrap Type: Not Wrapped unwraps a wrapped export with the named key; As Registered keeps it wrapped', async () => {
    const kek = await registerKey(v, CryptographicAlgorithm.AES, hex('000102030405060708090a0b0c0d0e0f'), M.WrapKey | M.UnwrapKey);
    const key = await registerKey(v, CryptographicAlgorithm.AES, KEY, M.Encrypt);
    const spec = struct(Tag.KeyWrappingSpecification, [enm(Tag.WrappingMethod, WrappingMethod.Encrypt), struct(Tag.EncryptionKeyInformation, [text(Tag.UniqueIdentifier, kek)])]);
    const ex = await exportOf(v, key, [spec]);
    expect(child(child(ex.object, Tag.KeyBlock)!, Tag.KeyWrappingData)).toBeDefined();
    const plain = `unwrapped-${n}-${Date.now()}`;
    ok(await one(v, Operation.Import, [...importReq(plain, ObjectType.SymmetricKey, false, ex.attrs, ex.object).slice(0, 3), enm(Tag.KeyWrapType, 1), ex.attrs, ex.object]));
    expect(material((await exportOf(v, plain)).object)).toBe(KEY.toString('hex'));
    expect(await ecb(v, plain)).toBe(await ecb(v, key));
    const kept = `as-registered-${n}-${Date.now()}`;
    ok(await one(v, Operation.Import, [...importReq(kept, ObjectType.SymmetricKey, false, ex.attrs, ex.object).slice(0, 3), enm(Tag.KeyWrapType, 2), ex.attrs, ex.object]));
    const g = ok(await one(v, Operation.Get, [text(Tag.UniqueIdentifier, kept)]));
    expect(child(child(child(g.payload!, Tag.SymmetricKey)!, Tag.KeyBlock)!, Tag.KeyWrappingData)).toBeDefined();
  });

  it('answers Invalid Field for a bad Key Wrap Type and Missing Data without an object', async () => {
    const uid = await registerKey(v, CryptographicAlgorithm.AES, KEY, M.Encrypt);
    const ex = await exportOf(v, uid);
    fails(await one(v, Operation.Import, [...importReq(`x-${Date.now()}`, ObjectType.SymmetricKey, false, ex.attrs, ex.object).slice(0, 3), enm(Tag.KeyWrapType, 7), ex.attrs, ex.object]), ResultReason.InvalidField);
    fails(await one(v, Operation.Import, [text(Tag.UniqueIdentifier, `y-${Date.now()}`), enm(Tag.ObjectType, ObjectType.SymmetricKey), ex.attrs]), ResultReason.MissingData);
    fails(await one(v, Operation.Export, [text(Tag.UniqueIdentifier, 'no-such-object')]), v[0] >= 2 ? ResultReason.ObjectNotFound : ResultReason.ItemNotFound);
  });
});

describe('KMIP 1.3', () => {
  it('has no Import or Export', async () => {
    const uid = await registerKey([1, 3], CryptographicAlgorithm.AES, KEY, M.Encrypt);
    fails(await one([1, 3], Operation.Export, [text(Tag.UniqueIdentifier, uid)]), ResultReason.OperationNotSupported);
  });
});
