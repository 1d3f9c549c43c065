/**
 * KMIP 1.x Templates live (mutual TLS, SoftHSM2, LevelDB): Register of a Template, Create and
 * Register naming templates in their Template-Attribute (templates in order, explicit attributes
 * last), Get / Locate / Destroy of a Template, and the refusals: unknown or destroyed or another
 * client's template (Item Not Found), server-only attributes in a Template (Invalid Field), and
 * templates at KMIP 2.x (Feature Not Supported).
 */
import { describe, expect, it } from 'vitest';
import { CryptographicAlgorithm, CryptographicUsageMask, KeyFormatType, NameType, ObjectType, Operation, ResultReason, SecretDataType, State, Tag } from '../src/kmip/generated/index.js';
import { bytes, child, children, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, payloadText } from './helpers/kmip-request.js';
import { expectFailure, expectSuccess, useLiveKmipd } from './helpers/live.js';

const kmipd = useLiveKmipd('templates', ['alice', 'bob']);
const V13: [number, number] = [1, 3];
const V20: [number, number] = [2, 0];

const attr = (name: string, value: TtlvNode): TtlvNode => struct(Tag.Attribute, [text(Tag.AttributeName, name), { ...value, tag: Tag.AttributeValue } as TtlvNode]);
const nameValue = (n: string): TtlvNode[] => [text(Tag.NameValue, n), enm(Tag.NameType, NameType.UninterpretedTextString)];
const nameAttr = (n: string): TtlvNode => attr('Name', struct(Tag.AttributeValue, nameValue(n)));
const templateRef = (n: string): TtlvNode => struct(Tag.Name, nameValue(n));

async function registerTemplate(name: string, content: TtlvNode[], as = 'alice'): Promise<ItemResult> {
  return kmipd.one(
    V13,
    Operation.Register,
    [enm(Tag.ObjectType, ObjectType.Template), struct(Tag.TemplateAttribute, [nameAttr(name)]), struct(Tag.Template, content)],
    as,
  );
}

/** The named 1.x attributes of an object, as Get Attributes answers them. */
async function attributes(uid: string, names: string[]): Promise<Map<string, TtlvNode[]>> {
  const r = expectSuccess(await kmipd.one(V13, Operation.GetAttributes, [text(Tag.UniqueIdentifier, uid), ...names.map((n) => text(Tag.AttributeName, n))]));
  const out = new Map<string, TtlvNode[]>();
  for (const a of children(r.payload!, Tag.Attribute)) {
    const n = child(a, Tag.AttributeName)!.value as string;
    out.set(n, [...(out.get(n) ?? []), child(a, Tag.AttributeValue)!]);
  }
  return out;
}

describe('KMIP 1.x Templates live (TLS + SoftHSM2 + LevelDB)', () => {
  it('Create merges templates in order and the explicit attributes last; Get, Locate and Destroy a Template', async () => {
    const t1 = payloadText(
      expectSuccess(
        await registerTemplate('tpl-aes', [
          attr('Cryptographic Algorithm', enm(0, CryptographicAlgorithm.AES)),
          attr('Cryptographic Length', int(0, 128)),
          attr('Object Group', text(0, 'tpl-group')),
          attr('x-origin', text(0, 'first')),
        ]),
      ),
      Tag.UniqueIdentifier,
    )!;
    expectSuccess(await registerTemplate('tpl-256', [attr('Cryptographic Length', int(0, 256)), attr('x-origin', text(0, 'second'))]));

    const created = expectSuccess(
      await kmipd.one(V13, Operation.Create, [
        enm(Tag.ObjectType, ObjectType.SymmetricKey),
        struct(Tag.TemplateAttribute, [
          templateRef('tpl-aes'),
          templateRef('tpl-256'),
          attr('Cryptographic Usage Mask', int(0, CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt)),
          attr('x-origin', text(0, 'explicit')),
          nameAttr('key-from-templates'),
        ]),
      ]),
    );
    const keyUid = payloadText(created, Tag.UniqueIdentifier)!;
    const a = await attributes(keyUid, ['Cryptographic Algorithm', 'Cryptographic Length', 'Object Group', 'x-origin', 'Name', 'State']);
    expect(a.get('Cryptographic Algorithm')?.map((n) => n.value)).toEqual([CryptographicAlgorithm.AES]);
    expect(a.get('Cryptographic Length')?.map((n) => n.value)).toEqual([256]); // the later template wins
    expect(a.get('Object Group')?.map((n) => n.value)).toEqual(['tpl-group']);
    expect(a.get('x-origin')?.map((n) => n.value)).toEqual(['explicit']); // explicit beats both templates
    // The template's own Name is not the key's.
    expect(a.get('Name')?.map((n) => child(n, Tag.NameValue)!.value)).toEqual(['key-from-templates']);
    expect(a.get('State')?.map((n) => n.value)).toEqual([State.PreActive]);
    const key = expectSuccess(await kmipd.one(V13, Operation.Get, [text(Tag.UniqueIdentifier, keyUid)]));
    const material = child(child(child(child(key.payload!, Tag.SymmetricKey)!, Tag.KeyBlock)!, Tag.KeyValue)!, Tag.KeyMaterial)!;
    expect((material.value as Uint8Array).length).toBe(32);

    // Get of the Template answers its attribute list in the 1.x form.
    const got = expectSuccess(await kmipd.one(V13, Operation.Get, [text(Tag.UniqueIdentifier, t1)]));
    expect(child(got.payload!, Tag.ObjectType)!.value).toBe(ObjectType.Template);
    const tpl = child(got.payload!, Tag.Template)!;
    expect(children(tpl, Tag.Attribute).map((n) => child(n, Tag.AttributeName)!.value)).toEqual([
      'Cryptographic Algorithm',
      'Cryptographic Length',
      'Object Group',
      'x-origin',
    ]);

    // Locate by the Template's Name and Object Type.
    const found = expectSuccess(
      await kmipd.one(V13, Operation.Locate, [nameAttr('tpl-aes'), attr('Object Type', enm(0, ObjectType.Template))]),
    );
    expect(children(found.payload!, Tag.UniqueIdentifier).map((n) => n.value)).toEqual([t1]);

    // A destroyed Template can no longer be named.
    expectSuccess(await kmipd.one(V13, Operation.Destroy, [text(Tag.UniqueIdentifier, t1)]));
    expectFailure(
      await kmipd.one(V13, Operation.Create, [enm(Tag.ObjectType, ObjectType.SymmetricKey), struct(Tag.TemplateAttribute, [templateRef('tpl-aes')])]),
      ResultReason.ItemNotFound,
    );
  });

  it('Register of Secret Data takes a template (OASIS SASED-M-2): its group and custom attributes', async () => {
    expectSuccess(await registerTemplate('tpl-sd', [attr('Object Group', text(0, 'sd-group')), attr('x-c1', text(0, 'v1'))]));
    const r = expectSuccess(
      await kmipd.one(V13, Operation.Register, [
        enm(Tag.ObjectType, ObjectType.SecretData),
        struct(Tag.TemplateAttribute, [templateRef('tpl-sd'), attr('x-c2', text(0, 'v2'))]),
        struct(Tag.SecretData, [
          enm(Tag.SecretDataType, SecretDataType.Password),
          struct(Tag.KeyBlock, [enm(Tag.KeyFormatType, KeyFormatType.Opaque), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, Buffer.alloc(16, 0x2a))])]),
        ]),
      ]),
    );
    const uid = payloadText(r, Tag.UniqueIdentifier)!;
    const found = expectSuccess(
      await kmipd.one(V13, Operation.Locate, [attr('Object Group', text(0, 'sd-group')), attr('Object Type', enm(0, ObjectType.SecretData))]),
    );
    expect(children(found.payload!, Tag.UniqueIdentifier).map((n) => n.value)).toEqual([uid]);
    const a = await attributes(uid, ['x-c1', 'x-c2']);
    expect(a.get('x-c1')?.[0]?.value).toBe('v1');
    expect(a.get('x-c2')?.[0]?.value).toBe('v2');
  });

  it('Create Key Pair takes templates in each of its three Template-Attributes', async () => {
    expectSuccess(await registerTemplate('tpl-rsa', [attr('Cryptographic Algorithm', enm(0, CryptographicAlgorithm.RSA)), attr('Cryptographic Length', int(0, 2048))]));
    expectSuccess(await registerTemplate('tpl-sign', [attr('Cryptographic Usage Mask', int(0, CryptographicUsageMask.Sign)), attr('x-half', text(0, 'private'))]));
    expectSuccess(await registerTemplate('tpl-verify', [attr('Cryptographic Usage Mask', int(0, CryptographicUsageMask.Verify)), attr('x-half', text(0, 'public'))]));
    const r = expectSuccess(
      await kmipd.one(V13, Operation.CreateKeyPair, [
        struct(Tag.CommonTemplateAttribute, [templateRef('tpl-rsa')]),
        struct(Tag.PrivateKeyTemplateAttribute, [templateRef('tpl-sign')]),
        struct(Tag.PublicKeyTemplateAttribute, [templateRef('tpl-verify')]),
      ]),
    );
    for (const [tag, mask, half] of [
      [Tag.PrivateKeyUniqueIdentifier, CryptographicUsageMask.Sign, 'private'],
      [Tag.PublicKeyUniqueIdentifier, CryptographicUsageMask.Verify, 'public'],
    ] as const) {
      const a = await attributes(payloadText(r, tag)!, ['Cryptographic Algorithm', 'Cryptographic Length', 'Cryptographic Usage Mask', 'x-half']);
      expect(a.get('Cryptographic Algorithm')?.[0]?.value).toBe(CryptographicAlgorithm.RSA);
      expect(a.get('Cryptographic Length')?.[0]?.value).toBe(2048);
      expect(a.get('Cryptographic Usage Mask')?.[0]?.value).toBe(mask);
      expect(a.get('x-half')?.[0]?.value).toBe(half);
    }
  });

  it('refuses unknown and other clients\' templates, server-only attributes in a Template, and templates at 2.x', async () => {
    const create = (refs: TtlvNode[], v: [number, number] = V13, as = 'alice') =>
      kmipd.one(v, Operation.Create, [enm(Tag.ObjectType, ObjectType.SymmetricKey), struct(Tag.TemplateAttribute, refs)], as);
    expectFailure(await create([templateRef('no-such-template')]), ResultReason.ItemNotFound);
    expectSuccess(await registerTemplate('alice-only', [attr('Cryptographic Algorithm', enm(0, CryptographicAlgorithm.AES)), attr('Cryptographic Length', int(0, 128))]));
    expectSuccess(await create([templateRef('alice-only')]));
    expectFailure(await create([templateRef('alice-only')], V13, 'bob'), ResultReason.ItemNotFound);
    expectFailure(await registerTemplate('bad', [attr('State', enm(0, State.Active))]), ResultReason.InvalidField);
    expectFailure(await registerTemplate('bad', [text(Tag.AttributeName, 'loose')]), ResultReason.InvalidField);
    expectFailure(
      await kmipd.one(V13, Operation.Register, [enm(Tag.ObjectType, ObjectType.Template), struct(Tag.Template, [attr('Cryptographic Length', int(0, 128))])]),
      ResultReason.MissingData,
    );
    // KMIP 2.x has no templates.
    expectFailure(await create([templateRef('alice-only')], V20), ResultReason.FeatureNotSupported);
    expectFailure(
      await kmipd.one(V20, Operation.Register, [enm(Tag.ObjectType, ObjectType.Template), struct(Tag.Attributes, []), struct(Tag.Template, [])]),
      ResultReason.FeatureNotSupported,
    );
  });
});
