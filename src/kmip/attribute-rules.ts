/**
 * The spec's attribute rules as data: for every standard attribute, whether it may have several
 * instances, who sets it first, who may modify or delete it, which object types it applies to and
 * which protocol versions define it as an attribute. Sources: the rule table that ends each
 * attribute section of KMIP 1.4 §3 (§3.1–§3.51) and KMIP 2.1 §4 (§4.1–§4.61).
 *
 * The operations use it for the client-facing checks (KMIP 1.4 §4.14–4.16, 2.1 §6.1.2, 6.1.13,
 * 6.1.20, 6.1.21, 6.1.34, 6.1.51) and Create/Register for the "set by server" rule; responses use
 * {@link attributesForVersion} so that a 1.x client never receives an attribute its version lacks.
 */
import type { Attribute } from './attributes.js';
import { KmipError } from './errors.js';
import { type KmipVersion, ObjectType, ResultReason, State, Tag, isTagInVersion, kmipVersionOf, versionInSpan } from './generated/index.js';
import { type ProtocolVersion, is2x } from './protocol-version.js';

/** Who sets an attribute first ("Initially set by"). */
export type InitiallySetBy = 'server' | 'client' | 'either';

export interface AttributeRule {
  readonly tag: number;
  /** "Multiple instances permitted". */
  readonly multi: boolean;
  readonly initiallySetBy: InitiallySetBy;
  /** "Modifiable by server". */
  readonly serverModifiable: boolean;
  /** "Modifiable by client". */
  readonly clientModifiable: boolean;
  /** "Deletable by client". */
  readonly clientDeletable: boolean;
  /** Object states in which the client may modify it (the spec's "only while ..." notes); all when absent. */
  readonly clientModifiableIn?: readonly number[];
  /**
   * Set by the server, but from what the client asks for in Create / Register (the algorithm and
   * length of a new key, a certificate's type): allowed in those requests, never afterwards.
   */
  readonly creationInput?: boolean;
  /** "Applies to Object Types"; absent = all managed objects. */
  readonly appliesTo?: readonly number[];
  /** First version in which it is an attribute (e.g. Key Format Type became one in 2.0). */
  readonly since: KmipVersion;
  /** Last version in which it is an attribute (e.g. Operation Policy Name: 1.4). */
  readonly until?: KmipVersion;
}

const OT = ObjectType;
const KEYS = [OT.SymmetricKey, OT.PublicKey, OT.PrivateKey, OT.SplitKey, OT.PGPKey];
const CRYPTO = [OT.Certificate, ...KEYS];
const CERT = [OT.Certificate];
const SYMMETRIC = [OT.SymmetricKey, OT.SplitKey];

// Compact rows: tag, multi, initially set by, server-modifiable, client-modifiable, client-deletable,
// since, until?, extra. Flags are written as the spec tables print them (Y / N).
type Flag = 'Y' | 'N';
type Row = readonly [number, Flag, InitiallySetBy, Flag, Flag, Flag, KmipVersion, (KmipVersion | null)?, Partial<AttributeRule>?];

const S = 'server' as const;
const C = 'client' as const;
const E = 'either' as const;

const ROWS: readonly Row[] = [
  // KMIP 1.4 §3.1–3.3, 2.1 §4.57, 4.47, 4.49 (2.0 renumbered; the rules did not change).
  [Tag.UniqueIdentifier, 'N', S, 'N', 'N', 'N', '1.0'],
  [Tag.Name, 'Y', C, 'Y', 'Y', 'Y', '1.0'],
  [Tag.ObjectType, 'N', S, 'N', 'N', 'N', '1.0', null, { creationInput: true }],
  // §3.4–3.7: the cryptographic description of a key is fixed once the key exists.
  [Tag.CryptographicAlgorithm, 'N', S, 'N', 'N', 'N', '1.0', null, { appliesTo: CRYPTO, creationInput: true }],
  [Tag.CryptographicLength, 'N', S, 'N', 'N', 'N', '1.0', null, { appliesTo: CRYPTO, creationInput: true }],
  [Tag.CryptographicParameters, 'Y', C, 'N', 'Y', 'Y', '1.0', null, { appliesTo: CRYPTO }],
  [Tag.CryptographicDomainParameters, 'N', C, 'N', 'N', 'N', '1.0', null, { appliesTo: [OT.PublicKey, OT.PrivateKey] }],
  // §3.8–3.16: certificate attributes are derived from the certificate by the server.
  [Tag.CertificateType, 'N', S, 'N', 'N', 'N', '1.0', null, { appliesTo: CERT, creationInput: true }],
  [Tag.CertificateLength, 'N', S, 'N', 'N', 'N', '1.1', null, { appliesTo: CERT }],
  [Tag.X_509CertificateIdentifier, 'N', S, 'N', 'N', 'N', '1.1', null, { appliesTo: CERT }],
  [Tag.X_509CertificateSubject, 'N', S, 'N', 'N', 'N', '1.1', null, { appliesTo: CERT }],
  [Tag.X_509CertificateIssuer, 'N', S, 'N', 'N', 'N', '1.1', null, { appliesTo: CERT }],
  [Tag.CertificateIdentifier, 'N', S, 'N', 'N', 'N', '1.0', '1.4', { appliesTo: CERT }],
  [Tag.CertificateSubject, 'N', S, 'N', 'N', 'N', '1.0', '1.4', { appliesTo: CERT }],
  [Tag.CertificateIssuer, 'N', S, 'N', 'N', 'N', '1.0', '1.4', { appliesTo: CERT }],
  [Tag.DigitalSignatureAlgorithm, 'Y', S, 'N', 'N', 'N', '1.1', null, { appliesTo: [OT.Certificate, OT.PGPKey], creationInput: true }],
  // §3.17 Digest: one per key format the server computed.
  [Tag.Digest, 'Y', S, 'Y', 'N', 'N', '1.0'],
  // §3.18 Operation Policy Name (reserved in 2.0).
  [Tag.OperationPolicyName, 'N', E, 'Y', 'Y', 'Y', '1.0', '1.4'],
  // §3.19 Cryptographic Usage Mask: fixed for the client after creation.
  [Tag.CryptographicUsageMask, 'N', E, 'Y', 'N', 'N', '1.0'],
  [Tag.LeaseTime, 'N', S, 'Y', 'N', 'N', '1.0'],
  [Tag.UsageLimits, 'N', E, 'Y', 'Y', 'Y', '1.0', null, { appliesTo: KEYS }],
  // §3.22 State: changed only by the lifecycle operations.
  [Tag.State, 'N', S, 'Y', 'N', 'N', '1.0'],
  [Tag.InitialDate, 'N', S, 'N', 'N', 'N', '1.0'],
  // §3.24–3.27: the client may move dates only while the object has not reached them.
  [Tag.ActivationDate, 'N', E, 'Y', 'Y', 'N', '1.0', null, { clientModifiableIn: [State.PreActive] }],
  [Tag.ProcessStartDate, 'N', E, 'Y', 'Y', 'N', '1.0', null, { clientModifiableIn: [State.PreActive], appliesTo: SYMMETRIC }],
  [Tag.ProtectStopDate, 'N', E, 'Y', 'Y', 'N', '1.0', null, { clientModifiableIn: [State.PreActive], appliesTo: SYMMETRIC }],
  [Tag.DeactivationDate, 'N', E, 'Y', 'Y', 'N', '1.0', null, { clientModifiableIn: [State.PreActive, State.Active] }],
  [Tag.DestroyDate, 'N', S, 'N', 'N', 'N', '1.0'],
  [Tag.CompromiseOccurrenceDate, 'N', S, 'N', 'N', 'N', '1.0'],
  [Tag.CompromiseDate, 'N', S, 'N', 'N', 'N', '1.0'],
  [Tag.RevocationReason, 'N', S, 'Y', 'N', 'N', '1.0'],
  [Tag.ArchiveDate, 'N', S, 'N', 'N', 'N', '1.0'],
  [Tag.ObjectGroup, 'Y', E, 'Y', 'Y', 'Y', '1.0'],
  [Tag.Fresh, 'N', E, 'Y', 'N', 'N', '1.1'],
  [Tag.Link, 'Y', E, 'Y', 'Y', 'Y', '1.0'],
  [Tag.ApplicationSpecificInformation, 'Y', E, 'Y', 'Y', 'Y', '1.0'],
  [Tag.ContactInformation, 'N', E, 'Y', 'Y', 'Y', '1.0'],
  [Tag.LastChangeDate, 'N', S, 'Y', 'N', 'N', '1.0'],
  [Tag.AlternativeName, 'Y', C, 'Y', 'Y', 'Y', '1.2'],
  [Tag.KeyValuePresent, 'N', S, 'N', 'N', 'N', '1.2', null, { appliesTo: KEYS }],
  [Tag.KeyValueLocation, 'N', S, 'N', 'N', 'N', '1.2', null, { appliesTo: KEYS }],
  [Tag.OriginalCreationDate, 'N', E, 'N', 'N', 'N', '1.2'],
  [Tag.RandomNumberGenerator, 'N', E, 'N', 'N', 'N', '1.3'],
  [Tag.PKCS_12FriendlyName, 'N', C, 'Y', 'Y', 'Y', '1.4'],
  [Tag.Description, 'N', C, 'Y', 'Y', 'Y', '1.4'],
  [Tag.Comment, 'N', C, 'Y', 'Y', 'Y', '1.4'],
  // §3.48–3.51: Sensitive and Extractable are the client's; the "Always"/"Never" flags track them.
  [Tag.Sensitive, 'N', E, 'Y', 'Y', 'N', '1.4'],
  [Tag.AlwaysSensitive, 'N', S, 'Y', 'N', 'N', '1.4'],
  [Tag.Extractable, 'N', E, 'Y', 'Y', 'N', '1.4'],
  [Tag.NeverExtractable, 'N', S, 'Y', 'N', 'N', '1.4'],
  // Attributes new in KMIP 2.0 / 2.1 (2.1 §4).
  [Tag.ShortUniqueIdentifier, 'N', S, 'N', 'N', 'N', '2.0'],
  [Tag.KeyFormatType, 'N', S, 'N', 'N', 'N', '2.0', null, { appliesTo: KEYS, creationInput: true }],
  [Tag.ProtectionStorageMasks, 'N', S, 'N', 'N', 'N', '2.0', null, { creationInput: true }],
  // The storage protection the server gave the object (the OASIS vectors list it, e.g. SKFF-M-9-20).
  [Tag.ProtectionStorageMask, 'N', S, 'N', 'N', 'N', '2.0'],
  [Tag.ProtectionLevel, 'N', E, 'Y', 'N', 'N', '2.0'],
  [Tag.ProtectionPeriod, 'N', E, 'Y', 'N', 'N', '2.0'],
  [Tag.QuantumSafe, 'N', E, 'Y', 'N', 'N', '2.0'],
  [Tag.NISTKeyType, 'N', E, 'N', 'N', 'N', '2.0', null, { appliesTo: KEYS }],
  [Tag.OpaqueDataType, 'N', C, 'N', 'N', 'N', '2.0', null, { appliesTo: [OT.OpaqueObject] }],
  [Tag.ObjectGroupMember, 'N', E, 'Y', 'Y', 'Y', '2.0'],
  // Certificate name parts: tags of KMIP 1.4 (§9.1.3.1), and attributes from 1.4 on (OASIS
  // TC-CERTATTR-1-14 and TC-ECC-3-14 list them at 1.4; 1.3 has no such tags).
  [Tag.CertificateSubjectCN, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateSubjectO, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateSubjectOU, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateSubjectEmail, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateSubjectC, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateSubjectST, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateSubjectL, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateSubjectUID, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateSubjectSerialNumber, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateSubjectTitle, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateSubjectDC, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateSubjectDNQualifier, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateIssuerCN, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateIssuerO, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateIssuerOU, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateIssuerEmail, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateIssuerC, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateIssuerST, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateIssuerL, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateIssuerUID, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateIssuerSerialNumber, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateIssuerTitle, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateIssuerDC, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.CertificateIssuerDNQualifier, 'N', S, 'N', 'N', 'N', '1.4', null, { appliesTo: CERT }],
  [Tag.RotateInterval, 'N', E, 'Y', 'Y', 'Y', '2.1'],
  [Tag.RotateAutomatic, 'N', E, 'Y', 'Y', 'Y', '2.1'],
  [Tag.RotateOffset, 'N', E, 'Y', 'Y', 'Y', '2.1'],
  [Tag.RotateDate, 'N', S, 'Y', 'N', 'N', '2.1'],
  [Tag.RotateGeneration, 'N', S, 'Y', 'N', 'N', '2.1'],
  [Tag.RotateName, 'N', E, 'Y', 'Y', 'Y', '2.1'],
  [Tag.RotateNameType, 'N', E, 'Y', 'Y', 'Y', '2.1'],
  [Tag.RotateLatest, 'N', S, 'Y', 'N', 'N', '2.1'],
];

const RULES: ReadonlyMap<number, AttributeRule> = new Map(
  ROWS.map(([tag, multi, init, srv, cli, del, since, until, extra]) => [
    tag,
    {
      tag,
      multi: multi === 'Y',
      initiallySetBy: init,
      serverModifiable: srv === 'Y',
      clientModifiable: cli === 'Y',
      clientDeletable: del === 'Y',
      since,
      ...(until ? { until } : {}),
      ...extra,
    },
  ]),
);

/**
 * Vendor attributes (2.1 §4.60) and 1.x Custom Attributes (1.4 §3.39): set by client or server,
 * modifiable and deletable by the client, several instances allowed (TC-SETATTR-3-20 adds a
 * second instance of a vendor attribute).
 */
export const VENDOR_ATTRIBUTE_RULE: AttributeRule = {
  tag: Tag.AttributeValue,
  multi: true,
  initiallySetBy: 'either',
  serverModifiable: true,
  clientModifiable: true,
  clientDeletable: true,
  since: '1.0',
};

/** The rule of a standard attribute tag, or undefined when the tag is not an attribute. */
export function attributeRuleForTag(tag: number): AttributeRule | undefined {
  return RULES.get(tag);
}

/** The rule of an attribute (vendor attributes share one rule). */
export function attributeRule(a: Pick<Attribute, 'tag' | 'vendor'>): AttributeRule | undefined {
  return a.vendor !== undefined ? VENDOR_ATTRIBUTE_RULE : RULES.get(a.tag);
}

/** Every standard attribute rule, in table order. */
export function allAttributeRules(): AttributeRule[] {
  return [...RULES.values()];
}

function kmipVersion(v: ProtocolVersion): KmipVersion {
  // Versions above the table (a future 2.x) read as the newest; below it as 1.0.
  return kmipVersionOf(v.major, v.minor) ?? (v.major >= 2 ? '2.1' : '1.0');
}

/** True when `version` defines this attribute (tag present, and an attribute in that version). */
export function isAttributeInVersion(a: Pick<Attribute, 'tag' | 'vendor'>, version: ProtocolVersion): boolean {
  if (a.vendor !== undefined) return is2x(version) || a.vendor === 'x' || a.vendor === 'y';
  const kv = kmipVersion(version);
  if (!isTagInVersion(a.tag, kv)) return false;
  const rule = RULES.get(a.tag);
  return rule === undefined || versionInSpan(kv, rule.since, rule.until);
}

/**
 * The attributes a client of `version` may receive (CONVENTIONS.md §2: never send a 2.x-only
 * attribute to a 1.x client, nor a 1.x-only one such as Operation Policy Name to a 2.x client;
 * vendor attributes other than x / y have no 1.x form).
 */
export function attributesForVersion<A extends Pick<Attribute, 'tag' | 'vendor'>>(attrs: readonly A[], version: ProtocolVersion): A[] {
  return attrs.filter((a) => isAttributeInVersion(a, version));
}

/** True when a client may give the attribute a first value on an existing object (Add / Set Attribute). */
export function isClientSettable(rule: AttributeRule): boolean {
  return rule.initiallySetBy !== 'server';
}

/** True when a client may supply the attribute in Create / Create Key Pair / Register. */
export function isCreationInput(rule: AttributeRule): boolean {
  return rule.initiallySetBy !== 'server' || rule.creationInput === true;
}

/** True when the rule lets the client modify the attribute while the object is in `state`. */
export function clientMayModifyIn(rule: AttributeRule, state: number): boolean {
  return rule.clientModifiable && (rule.clientModifiableIn === undefined || rule.clientModifiableIn.includes(state));
}

/** True when the attribute applies to objects of this type. */
export function appliesToObjectType(rule: AttributeRule, objectType: number): boolean {
  return rule.appliesTo === undefined || rule.appliesTo.includes(objectType);
}

/**
 * The error for a client touching an attribute it may not set: 2.x Attribute Read Only
 * (BL-M-7-21, BL-M-10-21); 1.x Permission Denied (KMIP 1.4 §11.14–11.16; SKLC-M-3-14).
 */
export function readOnlyAttribute(version: ProtocolVersion, what: string): KmipError {
  return new KmipError(is2x(version) ? ResultReason.AttributeReadOnly : ResultReason.PermissionDenied, `${what} is read-only for clients`);
}

/**
 * Create / Register: refuses attributes only the server sets (KMIP 1.4 §3 "Initially set by:
 * Server", 2.1 §4), except the creation inputs (algorithm, length, certificate type, ...).
 * 2.x: Read Only Attribute; 1.x has no such reason: Invalid Field. Unknown tags pass here (the
 * attribute decoder already refused non-attribute tags).
 */
export function checkClientSuppliedAttributes(attrs: readonly Attribute[], version: ProtocolVersion): void {
  for (const a of attrs) {
    const rule = attributeRule(a);
    if (rule !== undefined && !isCreationInput(rule)) {
      throw new KmipError(is2x(version) ? ResultReason.ReadOnlyAttribute : ResultReason.InvalidField, 'Attribute is set by the server');
    }
  }
}
