/**
 * Builds X.509 v3 certificates (RFC 5280) from `node:crypto` keys: the TBSCertificate is
 * assembled with the small DER writer in `der.ts` and signed with `crypto.sign`. Used only for
 * the development PKI; production deployments bring their own certificates.
 */
import { X509Certificate, createHash, createPrivateKey, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import * as der from './der.js';

/** Subject / issuer: a CommonName and optionally an Organization. */
export interface DistinguishedName {
  commonName: string;
  organization?: string;
}

/** What a certificate says, apart from keys. */
export interface CertificateProfile {
  subject: DistinguishedName;
  notBefore: Date;
  notAfter: Date;
  /** CA certificates get basicConstraints cA=TRUE, pathLen 0, keyCertSign|cRLSign. */
  isCa: boolean;
  /** Extended key usage for end-entity certificates. */
  extendedKeyUsage?: ('serverAuth' | 'clientAuth')[];
  /** Subject alternative names: DNS names and IP literals (v4 or v6). */
  altNames?: string[];
}

/** The issuer side: its DN and signing key (the subject's own for a self-signed CA). */
export interface Issuer {
  /** The issuer's DN, or its subject Name exactly as DER-encoded in its certificate. */
  name: DistinguishedName | Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

function name(dn: DistinguishedName | Buffer): Buffer {
  if (Buffer.isBuffer(dn)) return dn;
  const rdn = (type: string, value: string): Buffer => der.set(der.sequence(der.oid(type), der.utf8String(value)));
  const rdns = [];
  if (dn.organization !== undefined) rdns.push(rdn(OID.organization, dn.organization));
  rdns.push(rdn(OID.commonName, dn.commonName));
  return der.sequence(...rdns);
}

/** AlgorithmIdentifier for the issuer key: ECDSA omits parameters, RSA has NULL (RFC 5758, RFC 4055). */
export function signatureAlgorithm(issuerKey: KeyObject): Buffer {
  if (issuerKey.asymmetricKeyType === 'ec') return der.sequence(der.oid(OID.ecdsaWithSha256));
  if (issuerKey.asymmetricKeyType === 'rsa') return der.sequence(der.oid(OID.sha256WithRsa), der.nullValue());
  throw new Error(`unsupported issuer key type ${issuerKey.asymmetricKeyType ?? 'unknown'}`);
}

/**
 * An issuer from its certificate and private key (PEM or DER), keeping the certificate's
 * subject bytes as the issuer name. Throws if the key does not belong to the certificate.
 */
export function loadIssuer(certificate: string | Buffer, privateKeyPem: string | Buffer): Issuer {
  const cert = new X509Certificate(certificate);
  const privateKey = createPrivateKey(privateKeyPem);
  if (!cert.checkPrivateKey(privateKey)) throw new Error('CA private key does not match its certificate');
  return { name: subjectNameDer(cert.raw), privateKey, publicKey: createPublicKey(privateKey) };
}

/** The issuer's Name as DER. */
export function issuerName(issuer: Issuer): Buffer {
  return name(issuer.name);
}

/**
 * The subject Name of a certificate, byte for byte, to use as the issuer of certificates it
 * signs: RFC 5280 §7.1 chain building compares names, so re-encoding could break the chain.
 */
export function subjectNameDer(certDer: Buffer): Buffer {
  const cert = der.readElement(certDer, 0);
  const [tbs] = der.children(certDer, cert);
  if (tbs === undefined) throw new Error('not a certificate');
  const fields = der.children(certDer, tbs);
  // TBSCertificate: [0] version (optional), serial, signature, issuer, validity, subject, ...
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = fields[offset + 4];
  if (subject === undefined || subject.tag !== 0x30) throw new Error('certificate has no subject Name');
  return certDer.subarray(subject.start, subject.end);
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING contents. */
export function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha1').update(subjectPublicKeyBits(spki)).digest();
}

/** Extracts the subjectPublicKey bits from a DER SubjectPublicKeyInfo (SEQUENCE { alg, BIT STRING }). */
function subjectPublicKeyBits(spki: Buffer): Buffer {
  const skipHeader = (buf: Buffer, at: number): { start: number; end: number } => {
    const first = buf[at + 1]!;
    if (first < 0x80) return { start: at + 2, end: at + 2 + first };
    const n = first & 0x7f;
    const len = buf.subarray(at + 2, at + 2 + n).reduce((acc, b) => acc * 256 + b, 0);
    return { start: at + 2 + n, end: at + 2 + n + len };
  };
  const outer = skipHeader(spki, 0);
  const alg = skipHeader(spki, outer.start);
  const bits = skipHeader(spki, alg.end);
  return spki.subarray(bits.start + 1, bits.end); // skip the unused-bits octet
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? der.sequence(der.oid(id), der.boolean(true), der.octetString(value))
    : der.sequence(der.oid(id), der.octetString(value));
}

function generalName(altName: string): Buffer {
  if (isIP(altName) === 4) return der.implicitPrimitive(7, Buffer.from(altName.split('.').map(Number)));
  if (isIP(altName) === 6) return der.implicitPrimitive(7, ipv6Bytes(altName));
  return der.implicitPrimitive(2, Buffer.from(altName, 'ascii'));
}

function ipv6Bytes(addr: string): Buffer {
  const [head = '', tail = ''] = addr.split('::');
  const parts = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const h = parts(head);
  const t = addr.includes('::') ? parts(tail) : [];
  const groups = [...h, ...new Array<number>(Math.max(0, 8 - h.length - t.length)).fill(0), ...t];
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) {
    throw new Error(`unsupported IPv6 literal in subjectAltName: ${addr}`);
  }
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

function extensions(profile: CertificateProfile, subjectKey: KeyObject, issuer: Issuer): Buffer {
  const exts: Buffer[] = [];
  if (profile.isCa) {
    exts.push(extension(OID.basicConstraints, true, der.sequence(der.boolean(true), der.smallInteger(0))));
    exts.push(extension(OID.keyUsage, true, der.namedBits([5, 6]))); // keyCertSign, cRLSign
  } else {
    exts.push(extension(OID.basicConstraints, true, der.sequence()));
    // digitalSignature suits ECDHE with either key type; keyEncipherment is what the
    // KMIP-mandated TLS_RSA_* suites need with an RSA key.
    const bits = subjectKey.asymmetricKeyType === 'rsa' ? [0, 2] : [0];
    exts.push(extension(OID.keyUsage, true, der.namedBits(bits)));
    if (profile.extendedKeyUsage?.length) {
      exts.push(
        extension(OID.extKeyUsage, false, der.sequence(...profile.extendedKeyUsage.map((u) => der.oid(OID[u])))),
      );
    }
  }
  if (profile.altNames?.length) {
    exts.push(extension(OID.subjectAltName, false, der.sequence(...profile.altNames.map(generalName))));
  }
  exts.push(extension(OID.subjectKeyIdentifier, false, der.octetString(keyIdentifier(subjectKey))));
  exts.push(
    extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicitPrimitive(0, keyIdentifier(issuer.publicKey)))),
  );
  return der.explicit(3, der.sequence(...exts));
}

/**
 * Issues a certificate for `subjectKey` signed by `issuer`, returned as PEM.
 * The serial number is 16 random bytes (RFC 5280 §4.1.2.2 allows up to 20 octets).
 */
export function buildCertificate(profile: CertificateProfile, subjectKey: KeyObject, issuer: Issuer): string {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive and non-zero
  const sigAlg = signatureAlgorithm(issuer.privateKey);
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)), // v3
    der.unsignedInteger(serial),
    sigAlg,
    name(issuer.name),
    der.sequence(der.time(profile.notBefore), der.time(profile.notAfter)),
    name(profile.subject),
    subjectKey.export({ type: 'spki', format: 'der' }),
    extensions(profile, subjectKey, issuer),
  );
  // ECDSA signatures come out DER-encoded (Ecdsa-Sig-Value), as X.509 wants.
  const signature = sign('sha256', tbs, issuer.privateKey);
  const cert = der.sequence(tbs, sigAlg, der.bitString(signature));
  const b64 = cert.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
