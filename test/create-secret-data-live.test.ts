/**
 * Create of Secret Data live (mutual TLS, SoftHSM2, LevelDB) at KMIP 1.4 and 2.0, as OASIS
 * TC-CREATE-SD-1 does it: the server generates the secret (HSM RNG), Get answers a Password in
 * Opaque format of the asked length, the Digest attribute is the SHA-256 of that value, and bad
 * requests get the spec's reasons.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CryptographicAlgorithm, HashingAlgorithm, KeyFormatType, ObjectType, Operation, ResultReason, SecretDataType, Tag } from '../src/kmip/generated/index.js';
import { child, children, enm, int, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { payloadText } from './helpers/kmip-request.js';
import { expectFailure, expectSuccess, requestAttributes, useLiveKmipd } from './helpers/live.js';

const kmipd = useLiveKmipd('create-sd');

/** Every attribute of the object, keyed by tag, whichever version's form the answer has. */
async function digestOf(v: [number, number], uid: string): Promise<TtlvNode | undefined> {
  const r = expectSuccess(await kmipd.one(v, Operation.GetAttributes, [text(Tag.UniqueIdentifier, uid)]));
  if (v[0] >= 2) return child(child(r.payload!, Tag.Attributes)!, Tag.Digest);
  const a = children(r.payload!, Tag.Attribute).find((n) => child(n, Tag.AttributeName)?.value === 'Digest');
  return a === undefined ? undefined : child(a, Tag.AttributeValue);
}

describe.each([
  ['1.4', [1, 4] as [number, number]],
  ['2.0', [2, 0] as [number, number]],
])('Create Secret Data live at KMIP %s', (_label, v) => {
  const create = (attrs: TtlvNode[], type: number = ObjectType.SecretData) =>
    kmipd.one(v, Operation.Create, [enm(Tag.ObjectType, type), requestAttributes(v, attrs)]);

  it('generates a fresh secret of the asked length, answered as an Opaque Password with its Digest', async () => {
    const values: Buffer[] = [];
    for (let i = 0; i < 2; i++) {
      const c = expectSuccess(await create([int(Tag.CryptographicLength, 80)]));
      expect(child(c.payload!, Tag.ObjectType)?.value).toBe(ObjectType.SecretData);
      const uid = payloadText(c, Tag.UniqueIdentifier)!;
      const g = expectSuccess(await kmipd.one(v, Operation.Get, [text(Tag.UniqueIdentifier, uid)]));
      const sd = child(g.payload!, Tag.SecretData)!;
      expect(child(sd, Tag.SecretDataType)?.value).toBe(SecretDataType.Password);
      const kb = child(sd, Tag.KeyBlock)!;
      expect(child(kb, Tag.KeyFormatType)?.value).toBe(KeyFormatType.Opaque);
      expect(child(kb, Tag.CryptographicAlgorithm)).toBeUndefined();
      const value = Buffer.from(child(child(kb, Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array);
      expect(value.length).toBe(10);
      values.push(value);
      const d = (await digestOf(v, uid))!;
      expect(child(d, Tag.HashingAlgorithm)?.value).toBe(HashingAlgorithm.SHA_256);
      expect(Buffer.from(child(d, Tag.DigestValue)!.value as Uint8Array).toString('hex')).toBe(createHash('sha256').update(value).digest('hex'));
      expect(child(d, Tag.KeyFormatType)?.value).toBe(KeyFormatType.Opaque);
    }
    expect(values[0]!.equals(values[1]!)).toBe(false);
  });

  it('refuses a missing or bad length, an algorithm, and object types Create cannot make', async () => {
    expectFailure(await create([]), ResultReason.MissingData);
    expectFailure(await create([int(Tag.CryptographicLength, 81)]), ResultReason.InvalidField);
    expectFailure(await create([int(Tag.CryptographicLength, 0)]), ResultReason.InvalidField);
    expectFailure(await create([int(Tag.CryptographicLength, 65_544)]), ResultReason.InvalidField);
    expectFailure(await create([int(Tag.CryptographicLength, 128), enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES)]), ResultReason.InvalidField);
    expectFailure(await create([int(Tag.CryptographicLength, 128)], ObjectType.OpaqueObject), ResultReason.InvalidField);
  });
});
