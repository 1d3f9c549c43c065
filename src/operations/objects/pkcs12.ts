/**
 * PKCS#12 for a Private Key (KMIP 1.4 §3.35 Link types PKCS#12 Certificate / Password Link, §3.62
 * PKCS#12 Friendly Name; 2.1 §4.36, §4.47; OASIS TC-PKCS12-1-14 / -20, TC-PKCS12-2-14 / -20).
 *
 * Get with Key Format Type PKCS#12: the key and the chain of certificates its PKCS#12 Certificate
 * Links name (the key's link, then each certificate's own, up to MAX_CHAIN), protected with the
 * Secret Data its PKCS#12 Password Link names (kmip/pkcs12.ts builds the file). The answer is a
 * Key Block whose Key Value is the PKCS#12 bytes (a Byte String, as the vectors record). The
 * password object must be an Active Secret Data of the caller; without a Password Link the request
 * is Missing Data.
 *
 * Register of a key in PKCS#12 format needs its password object Active too (TC-PKCS12-2: Wrong Key
 * Lifecycle State at 2.x, Permission Denied at 1.x, until the password is activated). The file is
 * then opened (kmip/pkcs12-read.ts): the key is kept as PKCS#8 and its certificates become
 * Certificate objects, linked as Get's PKCS#12 expects ({@link openRegisteredPkcs12}).
 */
import { KmipError, featureNotSupported, invalidField, missingData, wrongKeyLifecycleState } from '../../kmip/errors.js';
import type { Attribute } from '../../kmip/attributes.js';
import { CryptographicAlgorithm, KeyFormatType, LinkType, ObjectType, ResultReason, State, Tag } from '../../kmip/generated/index.js';
import { type KeyBlockInfo, type ObjectContent, keyMaterialNode } from '../../kmip/key-block.js';
import { importKey, keyLength } from '../../kmip/key-formats.js';
import { buildPkcs12 } from '../../kmip/pkcs12.js';
import { type OpenedPkcs12, Pkcs12Error, readPkcs12 } from '../../kmip/pkcs12-read.js';
import { is2x } from '../../kmip/protocol-version.js';
import { bytes, enm, struct, text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { loadCurrent } from '../lifecycle/state.js';
import { type ManagedObject, attr, attrNumber, objectState } from '../objects.js';
import type { RequestContext } from '../types.js';
import { unwrapSecret } from './material.js';

/** Longest certificate chain followed (a loop of links ends here too). */
const MAX_CHAIN = 10;

/** The object a Link of this type names, if any. */
function linked(attributes: readonly Attribute[], type: number): string | undefined {
  for (const a of attributes) {
    if (a.vendor !== undefined || a.tag !== Tag.Link || a.value.type !== 'Structure') continue;
    const t = a.value.value.find((c) => c.tag === Tag.LinkType);
    const id = a.value.value.find((c) => c.tag === Tag.LinkedObjectIdentifier);
    if (t?.type === 'Enumeration' && t.value === type && id?.type === 'TextString') return id.value;
  }
  return undefined;
}

/** The password a PKCS#12 Password Link names: an Active Secret Data of the caller. */
export async function pkcs12Password(ctx: RequestContext, attributes: readonly Attribute[]): Promise<Uint8Array> {
  const uid = linked(attributes, LinkType.PKCS_12PasswordLink);
  if (uid === undefined) throw missingData('PKCS#12 needs a PKCS#12 Password Link to a Secret Data');
  const pw = await loadCurrent(ctx, uid);
  if (pw.objectType !== ObjectType.SecretData || pw.content?.secret === undefined) throw invalidField('The PKCS#12 Password Link must name a Secret Data');
  if (objectState(pw) !== State.Active) {
    throw is2x(ctx.version) ? wrongKeyLifecycleState('The PKCS#12 password is not Active') : new KmipError(ResultReason.PermissionDenied, 'The PKCS#12 password is not Active');
  }
  return unwrapSecret(ctx, pw.content.secret);
}

/** What registering a PKCS#12 file turns into (see {@link openRegisteredPkcs12}). */
export interface OpenedRegistration {
  /** The key as a PKCS#8 Private Key, with its algorithm and length. */
  readonly content: ObjectContent;
  /** Attributes for the key: PKCS#12 Certificate Link to its own certificate, and the key bag's friendlyName unless the client named it. */
  readonly attributes: readonly Attribute[];
  /** The Certificate objects registered from the file. */
  readonly certificateUids: readonly string[];
}

/** Registers one certificate (DER) with these attributes and returns its uid. */
export type RegisterCertificate = (der: Buffer, attributes: Attribute[]) => Promise<string>;

const ALGORITHMS: Readonly<Record<string, number>> = {
  rsa: CryptographicAlgorithm.RSA,
  ec: CryptographicAlgorithm.EC,
  ed25519: CryptographicAlgorithm.Ed25519,
  ed448: CryptographicAlgorithm.Ed448,
};

const friendlyNameAttribute = (name: string): Attribute => ({ tag: Tag.PKCS_12FriendlyName, value: text(Tag.PKCS_12FriendlyName, name) });

const certificateLink = (uid: string): Attribute => ({
  tag: Tag.Link,
  value: struct(Tag.Link, [enm(Tag.LinkType, LinkType.PKCS_12CertificateLink), text(Tag.LinkedObjectIdentifier, uid)]),
});

/**
 * Register of a Private Key given as a PKCS#12 file (OASIS TC-PKCS12-2-14 / -20): the file is
 * opened with the password its PKCS#12 Password Link names (which must be Active), the key is
 * kept as PKCS#8 with its Cryptographic Algorithm and Length, and each certificate in the file
 * becomes a Certificate object: the key's own certificate is linked from the key, and each
 * certificate to the next one in the file, by PKCS#12 Certificate Links, which is the chain that
 * Get with Key Format Type PKCS#12 follows to write the file again. All of it is staged in the
 * request's unit of work, so it commits (or not) as one.
 */
export async function openRegisteredPkcs12(
  ctx: RequestContext,
  attributes: readonly Attribute[],
  content: ObjectContent,
  registerCertificate: RegisterCertificate,
): Promise<OpenedRegistration> {
  const pw = await pkcs12Password(ctx, attributes);
  let opened: OpenedPkcs12;
  try {
    opened = await readPkcs12(content.value, pw);
  } catch (e) {
    if (!(e instanceof Pkcs12Error)) throw e;
    throw e.unsupported ? featureNotSupported(`PKCS#12: ${e.message}`) : invalidField(`PKCS#12: ${e.message}`);
  } finally {
    pw.fill(0);
  }
  const type = opened.key.asymmetricKeyType ?? '';
  const algorithm = ALGORITHMS[type];
  if (algorithm === undefined) throw featureNotSupported(`PKCS#12: a ${type || 'unknown'} private key is not supported`);
  const pkcs8 = opened.key.export({ type: 'pkcs8', format: 'der' });
  const keyBlock: KeyBlockInfo = {
    formatType: KeyFormatType.PKCS_8,
    algorithm,
    length: keyLength(opened.key),
    form: 'bytes',
    keyValueAttributes: content.keyBlock?.keyValueAttributes ?? [],
  };
  // Last certificate first, so that each one can link to the next. A bag's friendlyName becomes
  // the certificate's PKCS#12 Friendly Name (OASIS TC-PKCS12-2 reads it back).
  const uids: string[] = [];
  for (let i = opened.certificates.length - 1; i >= 0; i--) {
    const cert = opened.certificates[i]!;
    const next = uids[0];
    const attrs: Attribute[] = [];
    if (next !== undefined) attrs.push(certificateLink(next));
    if (cert.friendlyName !== undefined) attrs.push(friendlyNameAttribute(cert.friendlyName));
    uids.unshift(await registerCertificate(cert.der, attrs));
  }
  const extra: Attribute[] = uids.length > 0 ? [certificateLink(uids[0]!)] : [];
  if (opened.keyFriendlyName !== undefined && attr({ attributes }, Tag.PKCS_12FriendlyName) === undefined) extra.push(friendlyNameAttribute(opened.keyFriendlyName));
  return {
    content: { objectType: content.objectType, fields: content.fields, keyBlock, value: pkcs8 },
    attributes: extra,
    certificateUids: uids,
  };
}

/** Register: a key given in PKCS#12 format needs its password object to be Active. */
export async function checkRegisteredPkcs12(ctx: RequestContext, attributes: readonly Attribute[]): Promise<void> {
  (await pkcs12Password(ctx, attributes)).fill(0);
}

/**
 * The Private Key structure of a Get with Key Format Type PKCS#12. `value` reads the key's stored
 * value as Get does (checks included).
 */
export async function pkcs12PrivateKey(ctx: RequestContext, obj: ManagedObject, value: (o: ManagedObject) => Promise<Uint8Array>): Promise<TtlvNode> {
  const kb = obj.content?.keyBlock;
  if (obj.objectType !== ObjectType.PrivateKey || kb === undefined || (kb.form !== 'bytes' && kb.form !== 'ttlv')) {
    throw new KmipError(ResultReason.KeyFormatTypeNotSupported, 'PKCS#12 applies to private keys held in the clear here');
  }
  const certificates: Uint8Array[] = [];
  const seen = new Set<string>([obj.uid]);
  for (let uid = linked(obj.attributes, LinkType.PKCS_12CertificateLink); uid !== undefined && !seen.has(uid); ) {
    if (certificates.length >= MAX_CHAIN) throw invalidField('The PKCS#12 certificate chain is too long');
    seen.add(uid);
    const cert = await loadCurrent(ctx, uid);
    if (cert.objectType !== ObjectType.Certificate || cert.content?.clear === undefined) throw invalidField('A PKCS#12 Certificate Link must name a Certificate');
    certificates.push(cert.content.clear);
    uid = linked(cert.attributes, LinkType.PKCS_12CertificateLink);
  }
  const pw = await pkcs12Password(ctx, obj.attributes);
  const stored = await value(obj);
  try {
    const key = importKey('private', kb.formatType, keyMaterialNode(kb, stored), attrNumber(obj, Tag.CryptographicAlgorithm));
    const name = attr(obj, Tag.PKCS_12FriendlyName);
    const pfx = await buildPkcs12({ key, certificates, password: pw, ...(name?.type === 'TextString' ? { friendlyName: name.value } : {}) });
    // The vectors record the 1.4 Key Value as the PKCS#12 Byte String itself (TC-PKCS12-1-14) and
    // the 2.0 one as a Key Value whose Key Material is the PKCS#12 (TC-PKCS12-1-20).
    const kv = is2x(ctx.version) ? struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, pfx)]) : bytes(Tag.KeyValue, pfx);
    return struct(Tag.PrivateKey, [struct(Tag.KeyBlock, [enm(Tag.KeyFormatType, KeyFormatType.PKCS_12), kv])]);
  } catch (e) {
    if (e instanceof KmipError) throw e;
    throw featureNotSupported('The key cannot be written as PKCS#12');
  } finally {
    stored.fill(0);
    pw.fill(0);
  }
}
