import { describe, expect, it } from 'vitest';
import { bigInt, bytes, enm, int, struct } from '../ttlv/build.js';
import { encodeTtlv } from '../ttlv/encode.js';
import type { TtlvNode } from '../ttlv/types.js';
import { KmipError } from './errors.js';
import { Fields } from './fields.js';
import { CryptographicAlgorithm, KeyFormatType, ObjectType, ResultReason, SecretDataType, Tag } from './generated/index.js';
import { decodeObjectContent, encodeObjectContent, isSecretType, symmetricKeyBytes } from './key-block.js';

const payload = (type: number, obj: TtlvNode) => new Fields(struct(Tag.RequestPayload, [enm(Tag.ObjectType, type), obj]), 'payload');
const block = (fmt: number, material: TtlvNode, extra: TtlvNode[] = []) =>
  struct(Tag.KeyBlock, [enm(Tag.KeyFormatType, fmt), struct(Tag.KeyValue, [material]), ...extra]);

function reason(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof KmipError) return e.reason;
    throw e;
  }
  return undefined;
}

describe('key-block', () => {
  it('round-trips every object type byte for byte (decode then encode)', () => {
    const rsaT = struct(Tag.KeyMaterial, [bigInt(Tag.Modulus, 0xc0ffeen), bigInt(Tag.PublicExponent, 65537n)]);
    const cases: [number, TtlvNode][] = [
      [ObjectType.SymmetricKey, struct(Tag.SymmetricKey, [block(KeyFormatType.Raw, bytes(Tag.KeyMaterial, Buffer.alloc(16, 1)), [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 128)])])],
      [ObjectType.PublicKey, struct(Tag.PublicKey, [block(KeyFormatType.TransparentRSAPublicKey, rsaT, [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.RSA)])])],
      [ObjectType.SecretData, struct(Tag.SecretData, [enm(Tag.SecretDataType, SecretDataType.Seed), block(KeyFormatType.Opaque, bytes(Tag.KeyMaterial, Buffer.from('seed')))])],
      [ObjectType.OpaqueObject, struct(Tag.OpaqueObject, [enm(Tag.OpaqueDataType, 0x80000001), bytes(Tag.OpaqueDataValue, Buffer.from('x'))])],
      [ObjectType.Certificate, struct(Tag.Certificate, [enm(Tag.CertificateType, 1), bytes(Tag.CertificateValue, Buffer.from('3082', 'hex'))])],
      [ObjectType.PGPKey, struct(Tag.PGPKey, [int(Tag.PGPKeyVersion, 4), block(KeyFormatType.Raw, bytes(Tag.KeyMaterial, Buffer.from('pgp')))])],
    ];
    for (const [type, obj] of cases) {
      const c = decodeObjectContent(type, payload(type, obj));
      expect(Buffer.from(encodeTtlv(encodeObjectContent(c))).equals(encodeTtlv(obj)), `type ${type}`).toBe(true);
    }
  });

  it('unpacks a Transparent Symmetric Key to its Key bytes', () => {
    const key = Buffer.alloc(32, 7);
    const c = decodeObjectContent(
      ObjectType.SymmetricKey,
      payload(ObjectType.SymmetricKey, struct(Tag.SymmetricKey, [block(KeyFormatType.TransparentSymmetricKey, struct(Tag.KeyMaterial, [bytes(Tag.Key, key)]))])),
    );
    expect(Buffer.from(symmetricKeyBytes(c.keyBlock!, c.value)).equals(key)).toBe(true);
  });

  it('classifies secret and public object types', () => {
    expect([ObjectType.PublicKey, ObjectType.Certificate].map(isSecretType)).toEqual([false, false]);
    expect([ObjectType.SymmetricKey, ObjectType.PrivateKey, ObjectType.SecretData, ObjectType.OpaqueObject, ObjectType.SplitKey].every(isSecretType)).toBe(true);
  });

  it('names the spec reasons for bad input', () => {
    expect(reason(() => decodeObjectContent(ObjectType.Template, payload(ObjectType.Template, struct(Tag.Template, []))))).toBe(ResultReason.FeatureNotSupported);
    expect(reason(() => decodeObjectContent(ObjectType.SecretData, payload(ObjectType.SymmetricKey, struct(Tag.SymmetricKey, []))))).toBe(ResultReason.MissingData);
    expect(reason(() => decodeObjectContent(ObjectType.SymmetricKey, payload(ObjectType.SymmetricKey, struct(Tag.SymmetricKey, []))))).toBe(ResultReason.MissingData);
    expect(
      reason(() => decodeObjectContent(ObjectType.PrivateKey, payload(ObjectType.PrivateKey, struct(Tag.PrivateKey, [block(KeyFormatType.TransparentRSAPrivateKey, bytes(Tag.KeyMaterial, Buffer.from('x')))])))),
    ).toBe(ResultReason.InvalidField);
    expect(
      reason(() => decodeObjectContent(ObjectType.PrivateKey, payload(ObjectType.PrivateKey, struct(Tag.PrivateKey, [block(KeyFormatType.PKCS_8, bytes(Tag.KeyMaterial, new Uint8Array(0)))])))),
    ).toBe(ResultReason.InvalidField);
    expect(reason(() => decodeObjectContent(0x99, payload(0x99, struct(Tag.SymmetricKey, []))))).toBe(ResultReason.InvalidField);
  });
});
