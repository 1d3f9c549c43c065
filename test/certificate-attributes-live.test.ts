/**
 * Attributes the server derives at Register, live (mutual TLS, SoftHSM2, LevelDB): a certificate's
 * key algorithm and length, Digital Signature Algorithm, X.509 and 1.x identifiers, subject and
 * issuer name parts and Digest, each at the versions that define it (the 1.x Certificate
 * Identifier never to a 2.x client, the name parts never to a 1.3 client), with the values the
 * OASIS vectors record (TC-CERTATTR-1-14 / -20, TC-ECC-3-14 / -20); and the Digest of registered
 * keys in their registered format (TC-PGP-1, TC-IMPEXP-1..4).
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CertificateType, CryptographicAlgorithm, DigitalSignatureAlgorithm, KeyFormatType, ObjectType, Operation, SecretDataType, Tag } from '../src/kmip/generated/index.js';
import { tagInfo } from '../src/kmip/generated/tags.js';
import { bigInt as big, bytes, child, children, enm, int, struct, text } from '../src/ttlv/build.js';
import { encodeTtlv } from '../src/ttlv/encode.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { payloadText } from './helpers/kmip-request.js';
import { OASIS_DIR } from './helpers/oasis.js';
import { expectSuccess, requestAttributes, useLiveKmipd } from './helpers/live.js';

const kmipd = useLiveKmipd('cert-attrs');

/** The certificate of OASIS TC-CERTATTR-1 (RSA 1024, SHA-256 with RSA, issuer CN=Inter, subject CN=EE). */
function vectorCertificate(file: string): Buffer {
  const xml = readFileSync(join(OASIS_DIR, file), 'utf8');
  return Buffer.from(/CertificateValue type="ByteString" value="([0-9a-f]+)"/.exec(xml)![1]!, 'hex');
}
const CERTATTR = vectorCertificate('testcases/v1.4/TC-CERTATTR-1-14.xml');
const ECC = vectorCertificate('testcases/v1.4/TC-ECC-3-14.xml');
const ISSUER_DER = '3031310b300906035504061302415531123010060355040a13094b6d69702054657374310e300c06035504031305496e746572';
const SUBJECT_DER = '302e310b300906035504061302415531123010060355040a13094b6d69702054657374310b3009060355040313024545';

const hex = (n: TtlvNode | undefined): string => Buffer.from(n!.value as Uint8Array).toString('hex');

/** All attributes, by tag, whichever form the version answers in. */
async function allAttributes(v: [number, number], uid: string): Promise<Map<number, TtlvNode[]>> {
  const r = expectSuccess(await kmipd.one(v, Operation.GetAttributes, [text(Tag.UniqueIdentifier, uid)]));
  const out = new Map<number, TtlvNode[]>();
  const add = (tag: number, n: TtlvNode) => out.set(tag, [...(out.get(tag) ?? []), n]);
  if (v[0] >= 2) for (const n of child(r.payload!, Tag.Attributes)!.value as TtlvNode[]) add(n.tag, n);
  else {
    for (const a of children(r.payload!, Tag.Attribute)) {
      const name = child(a, Tag.AttributeName)!.value as string;
      const tag = Object.values(Tag).find((t) => tagInfo(t)?.spec === name);
      if (tag !== undefined) add(tag, child(a, Tag.AttributeValue)!);
    }
  }
  return out;
}

async function register(v: [number, number], type: number, object: TtlvNode, attrs: TtlvNode[] = []): Promise<string> {
  return payloadText(expectSuccess(await kmipd.one(v, Operation.Register, [enm(Tag.ObjectType, type), requestAttributes(v, attrs), object])), Tag.UniqueIdentifier)!;
}

const certificate = (der: Uint8Array): TtlvNode => struct(Tag.Certificate, [enm(Tag.CertificateType, CertificateType.X_509), bytes(Tag.CertificateValue, der)]);
const block = (fmt: number, material: TtlvNode, alg?: number, len?: number): TtlvNode =>
  struct(Tag.KeyBlock, [
    enm(Tag.KeyFormatType, fmt),
    struct(Tag.KeyValue, [material]),
    ...(alg !== undefined ? [enm(Tag.CryptographicAlgorithm, alg)] : []),
    ...(len !== undefined ? [int(Tag.CryptographicLength, len)] : []),
  ]);

describe.each([
  ['1.3', [1, 3] as [number, number]],
  ['1.4', [1, 4] as [number, number]],
  ['2.0', [2, 0] as [number, number]],
])('derived attributes live at KMIP %s', (_label, v) => {
  const is2x = v[0] >= 2;
  const has14 = is2x || v[1] >= 4;

  it('derives the certificate attributes the vectors record, each only at its versions', async () => {
    const uid = await register(v, ObjectType.Certificate, certificate(CERTATTR));
    const a = await allAttributes(v, uid);
    const one = (tag: number) => a.get(tag)?.[0];
    expect(one(Tag.CryptographicAlgorithm)?.value).toBe(CryptographicAlgorithm.RSA);
    expect(one(Tag.CryptographicLength)?.value).toBe(1024);
    expect(one(Tag.DigitalSignatureAlgorithm)?.value).toBe(DigitalSignatureAlgorithm.SHA_256WithRSAEncryption);
    expect(one(Tag.CertificateLength)?.value).toBe(CERTATTR.length);
    const id = one(Tag.X_509CertificateIdentifier)!;
    expect(hex(child(id, Tag.IssuerDistinguishedName))).toBe(ISSUER_DER);
    expect(hex(child(id, Tag.CertificateSerialNumber))).toBe('02083132333435363738');
    expect(hex(child(one(Tag.X_509CertificateIssuer)!, Tag.IssuerDistinguishedName))).toBe(ISSUER_DER);
    expect(hex(child(one(Tag.X_509CertificateSubject)!, Tag.SubjectDistinguishedName))).toBe(SUBJECT_DER);
    const digest = one(Tag.Digest)!;
    expect(hex(child(digest, Tag.DigestValue))).toBe('c2afb2c05ca8690d7d9cf753c3cceb758030c29538b730bb23b77dc5ff0bbb36');
    expect(child(digest, Tag.KeyFormatType)?.value).toBe(KeyFormatType.Raw);
    if (is2x) {
      // The 1.x-only attributes never reach a 2.x client.
      for (const t of [Tag.CertificateIdentifier, Tag.CertificateSubject, Tag.CertificateIssuer]) expect(a.has(t)).toBe(false);
    } else {
      const ci = one(Tag.CertificateIdentifier)!;
      expect(child(ci, Tag.Issuer)?.value).toBe('CN=Inter,O=Kmip Test,C=AU');
      expect(child(ci, Tag.SerialNumber)?.value).toBe('3132333435363738');
      expect(child(one(Tag.CertificateIssuer)!, Tag.CertificateIssuerDistinguishedName)?.value).toBe('CN=Inter,O=Kmip Test,C=AU');
      expect(child(one(Tag.CertificateSubject)!, Tag.CertificateSubjectDistinguishedName)?.value).toBe('CN=EE,O=Kmip Test,C=AU');
    }
    // Name parts: KMIP 1.4 and later only.
    expect(one(Tag.CertificateSubjectCN)?.value).toBe(has14 ? 'EE' : undefined);
    expect(one(Tag.CertificateIssuerO)?.value).toBe(has14 ? 'Kmip Test' : undefined);
    // Key Format Type is an attribute from 2.0 on.
    expect(one(Tag.KeyFormatType)?.value).toBe(is2x ? KeyFormatType.Raw : undefined);
  });

  it('derives EC key details and ECDSA signature algorithm; what the client gave wins', async () => {
    const uid = await register(v, ObjectType.Certificate, certificate(ECC), [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.ECDSA)]);
    const a = await allAttributes(v, uid);
    expect(a.get(Tag.CryptographicAlgorithm)?.map((n) => n.value)).toEqual([CryptographicAlgorithm.ECDSA]);
    expect(a.get(Tag.CryptographicLength)?.[0]?.value).toBe(256);
    expect(a.get(Tag.DigitalSignatureAlgorithm)?.[0]?.value).toBe(DigitalSignatureAlgorithm.ECDSAWithSHA256);
    expect(hex(child(a.get(Tag.X_509CertificateIdentifier)![0]!, Tag.CertificateSerialNumber))).toBe('020900ec0b7402196d5295');
  });

  it('keeps a value that is not X.509 without derived attributes', async () => {
    const uid = await register(v, ObjectType.Certificate, certificate(Buffer.from('not a certificate')));
    const a = await allAttributes(v, uid);
    expect(a.has(Tag.X_509CertificateIdentifier)).toBe(false);
    expect(a.has(Tag.DigitalSignatureAlgorithm)).toBe(false);
    expect(a.get(Tag.CertificateLength)?.[0]?.value).toBe(17);
  });

  it('gives registered keys the Digest of their material in the registered format', async () => {
    const secret = Buffer.alloc(24, 0x5a);
    const sd = await register(v, ObjectType.SecretData, struct(Tag.SecretData, [enm(Tag.SecretDataType, SecretDataType.Password), block(KeyFormatType.Opaque, bytes(Tag.KeyMaterial, secret))]));
    const d1 = (await allAttributes(v, sd)).get(Tag.Digest)!;
    expect(d1.map((d) => [hex(child(d, Tag.DigestValue)), child(d, Tag.KeyFormatType)?.value])).toEqual([[createHash('sha256').update(secret).digest('hex'), KeyFormatType.Opaque]]);

    // A Transparent RSA Private Key: the TTLV Key Material, and PKCS#1 (OASIS TC-IMPEXP-4-20).
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const j = privateKey.export({ format: 'jwk' });
    const n = (s: string | undefined) => BigInt(`0x${Buffer.from(s!, 'base64url').toString('hex')}`);
    const material = struct(Tag.KeyMaterial, [
      big(Tag.Modulus, n(j.n)),
      big(Tag.PrivateExponent, n(j.d)),
      big(Tag.PublicExponent, n(j.e)),
      big(Tag.P, n(j.p)),
      big(Tag.Q, n(j.q)),
      big(Tag.PrimeExponentP, n(j.dp)),
      big(Tag.PrimeExponentQ, n(j.dq)),
      big(Tag.CRTCoefficient, n(j.qi)),
    ]);
    const pk = await register(v, ObjectType.PrivateKey, struct(Tag.PrivateKey, [block(KeyFormatType.TransparentRSAPrivateKey, material, CryptographicAlgorithm.RSA, 1024)]));
    const d2 = (await allAttributes(v, pk)).get(Tag.Digest)!;
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    expect(d2.map((d) => [hex(child(d, Tag.DigestValue)), child(d, Tag.KeyFormatType)?.value])).toEqual([
      [sha(encodeTtlv(material)), KeyFormatType.TransparentRSAPrivateKey],
      [sha(privateKey.export({ type: 'pkcs1', format: 'der' })), KeyFormatType.PKCS_1],
    ]);
  });
});

describe('Export at KMIP 2.0', () => {
  it('leaves Fresh as it is (TC-IMPEXP-1/-3-20); a Get clears it', async () => {
    const v: [number, number] = [2, 0];
    const uid = await register(v, ObjectType.SymmetricKey, struct(Tag.SymmetricKey, [block(KeyFormatType.Raw, bytes(Tag.KeyMaterial, Buffer.alloc(16, 1)), CryptographicAlgorithm.AES, 128)]));
    const fresh = async () => {
      const r = expectSuccess(await kmipd.one(v, Operation.Export, [text(Tag.UniqueIdentifier, uid)]));
      return child(child(r.payload!, Tag.Attributes)!, Tag.Fresh)?.value;
    };
    expect(await fresh()).toBe(true);
    expect(await fresh()).toBe(true);
    expectSuccess(await kmipd.one(v, Operation.Get, [text(Tag.UniqueIdentifier, uid)]));
    expect(await fresh()).toBe(false);
  });
});
