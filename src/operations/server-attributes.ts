/**
 * Attributes the server sets on new objects: those every object starts with (`initialAttributes`,
 * for Create, Create Key Pair and Register: identity, state, dates, Short Unique Identifier, Lease
 * Time, Fresh, the sensitivity flags, Protection Storage Mask) and those only a server-generated key
 * has (`generatedKeyAttributes`: Digest, Random Number Generator). They are stored whatever the
 * request's version; responses filter them per version with `attributesForVersion` (Fresh is 1.1+,
 * Random Number Generator 1.3+, the sensitivity flags 1.4+, Short Unique Identifier and Protection
 * Storage Mask 2.0+), so a 1.x client never sees a 2.x-only one.
 */
import { X509Certificate, createHash } from 'node:crypto';
import type { Attribute } from '../kmip/attributes.js';
import { DRBGAlgorithm, CryptographicAlgorithm, HashingAlgorithm, ObjectType, ProtectionStorageMask, RNGAlgorithm, State, Tag } from '../kmip/generated/index.js';
import { DEFAULT_LEASE_SECONDS } from './lifecycle/usage.js';
import { bool, bytes, dateTime, enm, int, interval, struct, text } from '../ttlv/build.js';
import type { TtlvNode } from '../ttlv/types.js';
import { attr } from './objects.js';

/**
 * Digest (KMIP 1.4 §3.17, 2.1 §4.19): SHA-256 over the key material in the given Key Format Type
 * (for a Raw symmetric key, the key bytes), as in OASIS SKLC-M-1/2/3: { Hashing Algorithm SHA-256,
 * Digest Value, Key Format Type }. The caller zeroes `material`.
 */
export function digestAttribute(material: Uint8Array, keyFormatType: number): TtlvNode {
  return struct(Tag.Digest, [
    enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256),
    bytes(Tag.DigestValue, createHash('sha256').update(material).digest()),
    enm(Tag.KeyFormatType, keyFormatType),
  ]);
}

/**
 * Random Number Generator (KMIP 1.4 §3.44, 2.1 §4.48): the generator behind server-generated keys.
 * Keys come from the PKCS#11 token's C_GenerateKey; the embedded SoftHSM2 token draws on OpenSSL's
 * default DRBG, a NIST SP 800-90A CTR_DRBG with AES-256. (The OASIS vectors show their server's
 * ANSI X9.31 generator; we describe ours.)
 */
export function rngAttribute(): TtlvNode {
  return struct(Tag.RandomNumberGenerator, [
    enm(Tag.RNGAlgorithm, RNGAlgorithm.DRBG),
    enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
    int(Tag.CryptographicLength, 256),
    enm(Tag.DRBGAlgorithm, DRBGAlgorithm.CTR),
  ]);
}

/**
 * The attributes only a server-generated key has: its Digest (when its value may be read) and the
 * Random Number Generator behind it, unless the client supplied one. (Fresh and the sensitivity
 * flags every new object gets from `initialAttributes`.)
 */
export function generatedKeyAttributes(clientAttrs: readonly Attribute[], opts: { extractable: boolean; digest?: TtlvNode }): Attribute[] {
  const probe = { attributes: clientAttrs };
  const out: TtlvNode[] = [];
  if (opts.digest !== undefined) out.push(opts.digest);
  if (attr(probe, Tag.RandomNumberGenerator) === undefined) out.push(rngAttribute());
  return out.map((value) => ({ tag: value.tag, value }));
}

/** Object types with a Key Block. */
const KEY_BLOCK_TYPES = new Set<number>([
  ObjectType.SymmetricKey,
  ObjectType.PublicKey,
  ObjectType.PrivateKey,
  ObjectType.SplitKey,
  ObjectType.SecretData,
  ObjectType.PGPKey,
]);

/**
 * Sensitive / Always Sensitive / Extractable / Never Extractable of a new object (KMIP 1.4
 * §3.48–3.51, 2.1 §4.20, 4.42, 4.53, 4.58; they apply to every object type, and the OASIS vectors
 * show them on certificates too, TC-CERTATTR-1-20): Sensitive defaults to False and Extractable to
 * True; Always Sensitive and Never Extractable start equal to Sensitive and not-Extractable,
 * whoever made the object (BL-M-12-21: a public key registered with Sensitive True is Always
 * Sensitive).
 */
function sensitivityAttributes(clientAttrs: readonly Attribute[]): TtlvNode[] {
  const probe = { attributes: clientAttrs };
  const sensitive = attr(probe, Tag.Sensitive);
  const extractable = attr(probe, Tag.Extractable);
  const out: TtlvNode[] = [];
  if (sensitive === undefined) out.push(bool(Tag.Sensitive, false));
  out.push(bool(Tag.AlwaysSensitive, sensitive?.type === 'Boolean' && sensitive.value));
  if (extractable === undefined) out.push(bool(Tag.Extractable, true));
  out.push(bool(Tag.NeverExtractable, extractable?.type === 'Boolean' && !extractable.value));
  return out;
}

/** Object types the server grants a lease on (KMIP 1.4 §3.20, 2.1 §4.31: Lease Time set at creation). */
const LEASED_TYPES = new Set<number>([...KEY_BLOCK_TYPES, ObjectType.Certificate]);

/**
 * Short Unique Identifier (a KMIP 2.0 / 2.1 attribute, set by the server): a fixed-size (32-byte) identifier the server
 * derives from the Unique Identifier; kmipd uses the SHA-256 of the identifier's UTF-8 text, so it is
 * as unique as the identifier itself. A 2.x attribute: `attributesForVersion` keeps it from 1.x clients.
 */
export function shortUniqueIdentifier(uid: string): TtlvNode {
  return bytes(Tag.ShortUniqueIdentifier, createHash('sha256').update(uid, 'utf8').digest());
}

/**
 * The attributes every new object starts with (Create, Register, Create Key Pair): Unique
 * Identifier, Object Type, State (Active at once when the client's Activation Date is at or before
 * now, KMIP 1.4 §3.24 / 2.1 §4.13, else Pre-Active), Initial and Last Change Date, and Original
 * Creation Date unless the client supplied one (a 1.2+ attribute, 1.4 §3.43 / 2.1 §4.46; stored
 * whatever the version and left out of responses to 1.0 / 1.1 clients by `attributesForVersion`),
 * and the server-set attributes the OASIS vectors show on every object (SKFF-M-9, TC-CERTATTR-1,
 * TC-PGP-1): Short Unique Identifier, Lease Time, Fresh, sensitivity flags, Protection Storage Mask.
 */
export function initialAttributes(uid: string, objectType: number, clientAttrs: readonly Attribute[], nowSeconds: bigint): TtlvNode[] {
  const probe = { attributes: clientAttrs };
  const activation = attr(probe, Tag.ActivationDate);
  const active = activation?.type === 'DateTime' && activation.value <= nowSeconds;
  const out: TtlvNode[] = [
    text(Tag.UniqueIdentifier, uid),
    enm(Tag.ObjectType, objectType),
    enm(Tag.State, active ? State.Active : State.PreActive),
    dateTime(Tag.InitialDate, nowSeconds),
    dateTime(Tag.LastChangeDate, nowSeconds),
  ];
  if (attr(probe, Tag.OriginalCreationDate) === undefined) out.push(dateTime(Tag.OriginalCreationDate, nowSeconds));
  out.push(shortUniqueIdentifier(uid));
  if (LEASED_TYPES.has(objectType) && attr(probe, Tag.LeaseTime) === undefined) out.push(interval(Tag.LeaseTime, DEFAULT_LEASE_SECONDS));
  // Fresh (1.4 §3.34, 2.1 §4.22): not yet served to a client.
  if (attr(probe, Tag.Fresh) === undefined) out.push(bool(Tag.Fresh, true));
  out.push(...sensitivityAttributes(clientAttrs));
  // Protection Storage Mask (a 2.x attribute the server sets): kmipd keeps every object's value in its
  // LevelDB store (wrapped under the HSM's key) — software storage.
  out.push(int(Tag.ProtectionStorageMask, ProtectionStorageMask.Software));
  return out;
}

/** X.500 attribute short names (as node:crypto prints them) and the 2.x subject / issuer attributes. */
const DN_PARTS: readonly (readonly [string, number, number])[] = [
  ['CN', Tag.CertificateSubjectCN, Tag.CertificateIssuerCN],
  ['O', Tag.CertificateSubjectO, Tag.CertificateIssuerO],
  ['OU', Tag.CertificateSubjectOU, Tag.CertificateIssuerOU],
  ['emailAddress', Tag.CertificateSubjectEmail, Tag.CertificateIssuerEmail],
  ['C', Tag.CertificateSubjectC, Tag.CertificateIssuerC],
  ['ST', Tag.CertificateSubjectST, Tag.CertificateIssuerST],
  ['L', Tag.CertificateSubjectL, Tag.CertificateIssuerL],
  ['UID', Tag.CertificateSubjectUID, Tag.CertificateIssuerUID],
  ['serialNumber', Tag.CertificateSubjectSerialNumber, Tag.CertificateIssuerSerialNumber],
  ['title', Tag.CertificateSubjectTitle, Tag.CertificateIssuerTitle],
  ['DC', Tag.CertificateSubjectDC, Tag.CertificateIssuerDC],
  ['dnQualifier', Tag.CertificateSubjectDNQualifier, Tag.CertificateIssuerDNQualifier],
];

/**
 * The KMIP 1.4+ certificate name attributes (Certificate Subject CN / O / OU / Email / C / ST / L /
 * UID / Serial Number / Title / DC / DN Qualifier and the Issuer ones, KMIP 2.1 §4; OASIS BL-M-10-21)
 * the server derives from a registered X.509 certificate: the first value of each name part. A value
 * that does not parse as X.509 yields none (Register's own checks decide whether it is acceptable).
 * They are attributes from KMIP 1.4 on: `attributesForVersion` keeps them from older clients.
 */
export function certificateNameAttributes(der: Uint8Array): TtlvNode[] {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch {
    return [];
  }
  const parts = (dn: string): Map<string, string> => {
    const m = new Map<string, string>();
    for (const line of dn.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0 && !m.has(line.slice(0, eq))) m.set(line.slice(0, eq), line.slice(eq + 1));
    }
    return m;
  };
  const subject = parts(cert.subject);
  const issuer = parts(cert.issuer);
  const out: TtlvNode[] = [];
  for (const [key, subjectTag, issuerTag] of DN_PARTS) {
    const s = subject.get(key);
    if (s !== undefined) out.push(text(subjectTag, s));
    const i = issuer.get(key);
    if (i !== undefined) out.push(text(issuerTag, i));
  }
  return out;
}
