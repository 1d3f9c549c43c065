/**
 * The attributes a server derives from a registered X.509 certificate (OASIS TC-CERTATTR-1-14 /
 * -20, TC-ECC-3-14 / -20 record them):
 * - Cryptographic Algorithm and Length of its public key (KMIP 1.4 §3.4-3.5, 2.1 §4.7-4.8);
 * - Digital Signature Algorithm, from the certificate's signatureAlgorithm (1.4 §3.16, 2.1 §4.18);
 * - X.509 Certificate Identifier / Subject / Issuer (1.1+): the issuer and subject Names as DER, and
 *   the serial number as the DER of its INTEGER (tag and length included, as the vectors show:
 *   `02083132333435363738`);
 * - the 1.x Certificate Identifier / Subject / Issuer (1.0-1.4, gone in 2.0): the names as RFC 4514
 *   strings (most specific part first, `CN=Inter,O=Kmip Test,C=AU`) and the serial number as the hex
 *   of its INTEGER's contents octets, a leading 00 included (TC-CERTATTR-1-14 `3132333435363738`,
 *   TC-PKCS12-2-14 `00d2f5bad76a5ac8f9`);
 * - Certificate Subject / Issuer CN, O, OU, ... (1.4+, server-attributes.ts);
 * - Digest: SHA-256 of the certificate's DER, Key Format Type Raw (TC-CERTATTR's recorded value).
 * Which of them a client sees depends on its version (attribute-rules.ts attributesForVersion).
 * A value that does not parse as X.509 yields none of them.
 */
import { X509Certificate } from 'node:crypto';
import { readDer } from '../../kmip/key-math.js';
import { CryptographicAlgorithm, DigitalSignatureAlgorithm, KeyFormatType, Tag } from '../../kmip/generated/index.js';
import { bytes, enm, int, struct, text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { certificateNameAttributes, digestAttribute } from '../server-attributes.js';

/** signatureAlgorithm OIDs (RFC 4055, 5758, 8017; NIST CSOR for SHA-3) -> Digital Signature Algorithm. */
const SIGNATURE_ALGORITHMS: ReadonlyMap<string, number> = new Map([
  ['1.2.840.113549.1.1.2', DigitalSignatureAlgorithm.MD2WithRSAEncryption],
  ['1.2.840.113549.1.1.4', DigitalSignatureAlgorithm.MD5WithRSAEncryption],
  ['1.2.840.113549.1.1.5', DigitalSignatureAlgorithm.SHA_1WithRSAEncryption],
  ['1.2.840.113549.1.1.14', DigitalSignatureAlgorithm.SHA_224WithRSAEncryption],
  ['1.2.840.113549.1.1.11', DigitalSignatureAlgorithm.SHA_256WithRSAEncryption],
  ['1.2.840.113549.1.1.12', DigitalSignatureAlgorithm.SHA_384WithRSAEncryption],
  ['1.2.840.113549.1.1.13', DigitalSignatureAlgorithm.SHA_512WithRSAEncryption],
  ['1.2.840.113549.1.1.10', DigitalSignatureAlgorithm.RSASSA_PSS],
  ['1.2.840.10040.4.3', DigitalSignatureAlgorithm.DSAWithSHA_1],
  ['2.16.840.1.101.3.4.3.1', DigitalSignatureAlgorithm.DSAWithSHA224],
  ['2.16.840.1.101.3.4.3.2', DigitalSignatureAlgorithm.DSAWithSHA256],
  ['1.2.840.10045.4.1', DigitalSignatureAlgorithm.ECDSAWithSHA_1],
  ['1.2.840.10045.4.3.1', DigitalSignatureAlgorithm.ECDSAWithSHA224],
  ['1.2.840.10045.4.3.2', DigitalSignatureAlgorithm.ECDSAWithSHA256],
  ['1.2.840.10045.4.3.3', DigitalSignatureAlgorithm.ECDSAWithSHA384],
  ['1.2.840.10045.4.3.4', DigitalSignatureAlgorithm.ECDSAWithSHA512],
  ['2.16.840.1.101.3.4.3.14', DigitalSignatureAlgorithm.SHA3_256WithRSAEncryption],
  ['2.16.840.1.101.3.4.3.15', DigitalSignatureAlgorithm.SHA3_384WithRSAEncryption],
  ['2.16.840.1.101.3.4.3.16', DigitalSignatureAlgorithm.SHA3_512WithRSAEncryption],
]);

/** Named curves (node:crypto names) and their field size in bits. */
const CURVE_BITS: Readonly<Record<string, number>> = {
  prime256v1: 256,
  secp256k1: 256,
  secp224r1: 224,
  secp384r1: 384,
  secp521r1: 521,
  prime192v1: 192,
};

/** Dotted text of a DER OBJECT IDENTIFIER's contents. */
function oidText(b: Uint8Array): string {
  const parts: number[] = [];
  let v = 0;
  for (const byte of b) {
    v = v * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      parts.push(v);
      v = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join('.');
}

interface TbsParts {
  readonly serial: Uint8Array; // DER TLV of the serialNumber INTEGER
  readonly serialValue: Uint8Array; // its contents octets (a leading 00 kept)
  readonly issuer: Uint8Array; // DER TLV of the issuer Name
  readonly subject: Uint8Array; // DER TLV of the subject Name
  readonly signatureOid: string;
}

/** The parts of a Certificate (RFC 5280 §4.1) the attributes need, read from its DER. */
function parseCertificate(der: Uint8Array): TbsParts {
  const cert = readDer(der, 0);
  const tbs = readDer(der, cert.start);
  const sigAlg = readDer(der, tbs.end);
  const oid = readDer(der, sigAlg.start);
  if (cert.tag !== 0x30 || tbs.tag !== 0x30 || sigAlg.tag !== 0x30 || oid.tag !== 0x06) throw new RangeError('not a certificate');
  let off = tbs.start;
  let el = readDer(der, off);
  if (el.tag === 0xa0) {
    off = el.end; // [0] EXPLICIT version
    el = readDer(der, off);
  }
  if (el.tag !== 0x02) throw new RangeError('no serial number');
  const serial = der.subarray(off, el.end);
  const signature = readDer(der, el.end); // tbs signature AlgorithmIdentifier
  const issuer = readDer(der, signature.end);
  const validity = readDer(der, issuer.end);
  const subject = readDer(der, validity.end);
  if (issuer.tag !== 0x30 || subject.tag !== 0x30) throw new RangeError('bad names');
  return {
    serial,
    serialValue: der.subarray(el.start, el.end),
    issuer: der.subarray(signature.end, issuer.end),
    subject: der.subarray(validity.end, subject.end),
    signatureOid: oidText(der.subarray(oid.start, oid.end)),
  };
}

/** node:crypto's one-part-per-line name (least specific first) as an RFC 4514 string (most specific first). */
function rfc4514(multiline: string): string {
  return multiline
    .split('\n')
    .filter((l) => l.length > 0)
    .reverse()
    .join(',');
}

/** Everything derived from a registered certificate, in no particular order (see the module comment). */
export function certificateAttributes(der: Uint8Array): TtlvNode[] {
  let cert: X509Certificate;
  let parts: TbsParts;
  try {
    cert = new X509Certificate(der);
    parts = parseCertificate(der);
  } catch {
    return [];
  }
  const out: TtlvNode[] = [];
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' && details?.modulusLength !== undefined) {
    out.push(enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.RSA), int(Tag.CryptographicLength, details.modulusLength));
  } else if (key.asymmetricKeyType === 'ec' && details?.namedCurve !== undefined && CURVE_BITS[details.namedCurve] !== undefined) {
    out.push(enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.EC), int(Tag.CryptographicLength, CURVE_BITS[details.namedCurve]!));
  } else if (key.asymmetricKeyType === 'dsa' && details?.modulusLength !== undefined) {
    out.push(enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.DSA), int(Tag.CryptographicLength, details.modulusLength));
  }
  const dsa = SIGNATURE_ALGORITHMS.get(parts.signatureOid);
  if (dsa !== undefined) out.push(enm(Tag.DigitalSignatureAlgorithm, dsa));
  out.push(
    struct(Tag.X_509CertificateIdentifier, [bytes(Tag.IssuerDistinguishedName, parts.issuer), bytes(Tag.CertificateSerialNumber, parts.serial)]),
    struct(Tag.X_509CertificateIssuer, [bytes(Tag.IssuerDistinguishedName, parts.issuer)]),
    struct(Tag.X_509CertificateSubject, [bytes(Tag.SubjectDistinguishedName, parts.subject)]),
    struct(Tag.CertificateIdentifier, [text(Tag.Issuer, rfc4514(cert.issuer)), text(Tag.SerialNumber, Buffer.from(parts.serialValue).toString('hex'))]),
    struct(Tag.CertificateIssuer, [text(Tag.CertificateIssuerDistinguishedName, rfc4514(cert.issuer))]),
    struct(Tag.CertificateSubject, [text(Tag.CertificateSubjectDistinguishedName, rfc4514(cert.subject))]),
    ...certificateNameAttributes(der),
    digestAttribute(der, KeyFormatType.Raw),
  );
  return out;
}
