/** certificateAttributes (src/operations/objects/certificate-attributes.ts) over certificates made by the dev PKI builder and over malformed values. */
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CryptographicAlgorithm, DigitalSignatureAlgorithm, Tag } from '../src/kmip/generated/index.js';
import { buildCertificate } from '../src/server/pki/x509-builder.js';
import { certificateAttributes } from '../src/operations/objects/certificate-attributes.js';

describe('certificateAttributes', () => {
  const day = 86_400_000;
  const ca = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
  const pem = buildCertificate(
    { subject: { commonName: 'leaf, with comma', organization: 'Org' }, notBefore: new Date(Date.now() - day), notAfter: new Date(Date.now() + day), isCa: false },
    generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey,
    { name: { commonName: 'Issuer CA' }, ...ca },
  );
  const der = new X509Certificate(pem).raw;
  const serialTlv = (() => {
    const id = certificateAttributes(der).find((n) => n.tag === Tag.X_509CertificateIdentifier)!;
    return (id.value as { tag: number; value: Uint8Array }[]).find((c) => c.tag === Tag.CertificateSerialNumber)!.value;
  })();

  it('reads an EC certificate: key algorithm and curve size, ECDSA with SHA-256, serial TLV', () => {
    const out = certificateAttributes(der);
    const by = (tag: number) => out.find((n) => n.tag === tag);
    expect(by(Tag.CryptographicAlgorithm)?.value).toBe(CryptographicAlgorithm.EC);
    expect(by(Tag.CryptographicLength)?.value).toBe(256);
    // buildCertificate signs ecdsa-with-SHA256 whatever the issuer's curve.
    expect(by(Tag.DigitalSignatureAlgorithm)?.value).toBe(DigitalSignatureAlgorithm.ECDSAWithSHA256);
    const id = by(Tag.X_509CertificateIdentifier)!;
    const serial = (id.value as { tag: number; value: Uint8Array }[]).find((c) => c.tag === Tag.CertificateSerialNumber)!.value;
    expect(serial[0]).toBe(0x02); // the INTEGER's tag, as the OASIS vectors record it
    expect(Buffer.from(serial.subarray(2)).toString('hex').toUpperCase()).toBe(new X509Certificate(der).serialNumber.padStart((serial.length - 2) * 2, '0'));
    // The 1.x Certificate Identifier's Serial Number: the hex of the same contents octets, a leading
    // 00 kept (OASIS TC-PKCS12-2-14 records `00d2f5bad76a5ac8f9` for a serial with its top bit set).
    const oneX = by(Tag.CertificateIdentifier)!;
    const text = (oneX.value as { tag: number; value: string }[]).find((c) => c.tag === Tag.SerialNumber)!.value;
    expect(text).toBe(Buffer.from(serial.subarray(2)).toString('hex'));
  });

  it('keeps the leading 00 of a serial whose top bit is set, in both identifiers', () => {
    // Our certificate with its serial's first two contents octets made 00 d2: still minimal DER
    // for a positive INTEGER (signatures are not checked here), like TC-PKCS12-2-14's 00d2f5bad76a5ac8f9.
    const patched = Buffer.from(der);
    const serialAt = patched.indexOf(Buffer.from(serialTlv));
    patched[serialAt + 2] = 0x00;
    patched[serialAt + 3] = 0xd2;
    const out = certificateAttributes(patched);
    const id = out.find((n) => n.tag === Tag.X_509CertificateIdentifier)!;
    const tlv = (id.value as { tag: number; value: Uint8Array }[]).find((c) => c.tag === Tag.CertificateSerialNumber)!.value;
    const hex = Buffer.from(tlv.subarray(2)).toString('hex');
    expect(hex.startsWith('00d2')).toBe(true);
    const oneX = out.find((n) => n.tag === Tag.CertificateIdentifier)!;
    expect((oneX.value as { tag: number; value: string }[]).find((c) => c.tag === Tag.SerialNumber)!.value).toBe(hex);
    // Node's own rendering drops that 00, which is what kmipd used to answer.
    expect(new X509Certificate(patched).serialNumber.toLowerCase()).toBe(hex.slice(2));
  });

  it('writes the 1.x names most specific part first, escaping as RFC 4514 does', () => {
    const subject = certificateAttributes(der).find((n) => n.tag === Tag.CertificateSubject)!;
    const dn = (subject.value as { tag: number; value: string }[]).find((c) => c.tag === Tag.CertificateSubjectDistinguishedName)!.value;
    expect(dn).toBe('CN=leaf\\, with comma,O=Org');
  });

  it('yields nothing, without throwing, for values that are not certificates', () => {
    expect(certificateAttributes(Buffer.from('not a certificate'))).toEqual([]);
    expect(certificateAttributes(der.subarray(0, der.length - 40))).toEqual([]);
    expect(certificateAttributes(Buffer.from('3003020101', 'hex'))).toEqual([]);
    expect(certificateAttributes(new Uint8Array(0))).toEqual([]);
  });
});
