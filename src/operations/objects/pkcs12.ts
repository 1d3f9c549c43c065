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
 * Lifecycle State at 2.x, Permission Denied at 1.x, until the password is activated).
 */
import { KmipError, featureNotSupported, invalidField, missingData, wrongKeyLifecycleState } from '../../kmip/errors.js';
import type { Attribute } from '../../kmip/attributes.js';
import { KeyFormatType, LinkType, ObjectType, ResultReason, State, Tag } from '../../kmip/generated/index.js';
import { keyMaterialNode } from '../../kmip/key-block.js';
import { importKey } from '../../kmip/key-formats.js';
import { buildPkcs12 } from '../../kmip/pkcs12.js';
import { is2x } from '../../kmip/protocol-version.js';
import { bytes, enm, struct } from '../../ttlv/build.js';
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
async function password(ctx: RequestContext, attributes: readonly Attribute[]): Promise<Uint8Array> {
  const uid = linked(attributes, LinkType.PKCS_12PasswordLink);
  if (uid === undefined) throw missingData('PKCS#12 needs a PKCS#12 Password Link to a Secret Data');
  const pw = await loadCurrent(ctx, uid);
  if (pw.objectType !== ObjectType.SecretData || pw.content?.secret === undefined) throw invalidField('The PKCS#12 Password Link must name a Secret Data');
  if (objectState(pw) !== State.Active) {
    throw is2x(ctx.version) ? wrongKeyLifecycleState('The PKCS#12 password is not Active') : new KmipError(ResultReason.PermissionDenied, 'The PKCS#12 password is not Active');
  }
  return unwrapSecret(ctx, pw.content.secret);
}

/** Register: a key given in PKCS#12 format needs its password object to be Active. */
export async function checkRegisteredPkcs12(ctx: RequestContext, attributes: readonly Attribute[]): Promise<void> {
  (await password(ctx, attributes)).fill(0);
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
  const pw = await password(ctx, obj.attributes);
  const stored = await value(obj);
  try {
    const key = importKey('private', kb.formatType, keyMaterialNode(kb, stored), attrNumber(obj, Tag.CryptographicAlgorithm));
    const name = attr(obj, Tag.PKCS_12FriendlyName);
    const pfx = buildPkcs12({ key, certificates, password: pw, ...(name?.type === 'TextString' ? { friendlyName: name.value } : {}) });
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
