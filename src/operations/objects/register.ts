/**
 * Register. KMIP 1.4 §4.3, 2.1 §6.1.43. Stores a client-supplied object of any type except
 * Certificate Request; a Template (1.x only: deprecated in 1.3, gone in 2.0) is kept as a list of
 * attributes for new objects (objects/template.ts).
 *
 * Where the value goes (see src/operations/objects.ts): a Raw or Transparent Symmetric Key of an
 * algorithm the HSM implements is imported into the HSM and kept wrapped under the master key, so
 * the cryptographic operations can use it; other secret values are wrapped under the master key
 * as generic secrets; Public Keys and Certificates are kept in the clear, byte for byte as given.
 * Wrapped material (Key Wrapping Data, BYOK) is kept as registered (not unwrapped) and Get
 * returns it as registered; the cryptographic operations cannot use it, except a Symmetric Key
 * wrapped under one of the caller's RSA keys, which is also unwrapped into the HSM (key-wrap-rsa.ts).
 */
import { digestAttribute, initialAttributes } from '../server-attributes.js';
import { CryptoError, type KeyRef, type SymmetricAlgorithm } from '../../crypto/provider.js';
import { type Attribute, decodeRequestAttributes } from '../../kmip/attributes.js';
import { KmipError, invalidField, missingData } from '../../kmip/errors.js';
import { CertificateType, CryptographicAlgorithm, HashingAlgorithm, KeyFormatType, ObjectType, Operation, ResultReason, Tag } from '../../kmip/generated/index.js';
import { type KeyBlockInfo, type ObjectContent, decodeObjectContent, isSecretType, symmetricKeyBytes } from '../../kmip/key-block.js';
import { is2x } from '../../kmip/protocol-version.js';
import { bool, bytes, enm, int, struct, text } from '../../ttlv/build.js';
import { decodeTtlv } from '../../ttlv/decode.js';
import { importKey } from '../../kmip/key-formats.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { type ManagedObject, type StoredContent, attr, attrNumber, newUid, saveObject } from '../objects.js';
import { type RequestContext, defineOperation } from '../types.js';
import { certificateAttributes } from './certificate-attributes.js';
import { checkRegisteredKey } from './key-conversion.js';
import { importRsaWrapped } from './key-wrap-rsa.js';
import { CHUNK_BYTES, wrapSecret } from './material.js';
import { type OpenedRegistration, checkRegisteredPkcs12, openRegisteredPkcs12 } from './pkcs12.js';
import { decodeTemplateContent, registerTemplate } from './template.js';

interface RegisterRequest {
  readonly objectType: number;
  readonly attributes: Attribute[];
  readonly content: ObjectContent;
}

interface RegisterResponse {
  readonly uid: string;
  /** Other objects the Register made (the certificates of a PKCS#12 file), for the audit record. */
  readonly also: readonly string[];
}

/**
 * Attributes only the server sets (KMIP 2.1 §4 "Set by server"; 1.4 §3 attribute rules). Unlike
 * Create, Register lets the client set Original Creation Date (1.4 §3.61: the object may have been
 * created elsewhere; OASIS TC-MDO-2) and Key Value Location (1.4 §3.45).
 */
const SERVER_ONLY = new Set<number>([
  Tag.UniqueIdentifier,
  Tag.State,
  Tag.InitialDate,
  Tag.LastChangeDate,
  Tag.Digest,
  Tag.DestroyDate,
  Tag.CompromiseDate,
  Tag.ArchiveDate,
  // Fresh is not here: "initially set by server or client" (1.4 §3.34; OASIS BL-M-13-21 registers Fresh True).
  Tag.KeyValuePresent,
  Tag.AlwaysSensitive,
  Tag.NeverExtractable,
]);

/** KMIP algorithm -> an HSM key type the providers implement, for registered symmetric keys. */
const HSM_ALGORITHMS: Readonly<Record<number, SymmetricAlgorithm>> = {
  [CryptographicAlgorithm.AES]: 'AES',
  [CryptographicAlgorithm.DES3]: 'TDES',
  [CryptographicAlgorithm.HMAC_SHA1]: 'HMAC-SHA1',
  [CryptographicAlgorithm.HMAC_SHA256]: 'HMAC-SHA256',
  [CryptographicAlgorithm.HMAC_SHA384]: 'HMAC-SHA384',
  [CryptographicAlgorithm.HMAC_SHA512]: 'HMAC-SHA512',
};

/** The value attribute as a standard attribute of the object, unless the client gave it. */
function fromKeyBlock(attrs: readonly Attribute[], tag: number, node: TtlvNode | undefined): Attribute[] {
  if (node === undefined) return [];
  const given = attrNumber({ attributes: attrs }, tag);
  if (given !== undefined) {
    if (node.type === 'Enumeration' || node.type === 'Integer') {
      if (given !== node.value) throw invalidField('The Key Block and the attributes disagree on the cryptographic algorithm or length');
    }
    return [];
  }
  return [{ tag, value: node }];
}

/** Imports a symmetric key into the HSM when it can hold it; undefined otherwise. */
async function importIntoHsm(ctx: RequestContext, alg: number | undefined, raw: Uint8Array): Promise<{ ref: KeyRef; algorithm: SymmetricAlgorithm } | undefined> {
  const hsmAlg = alg === undefined ? undefined : HSM_ALGORITHMS[alg];
  if (hsmAlg === undefined) return undefined;
  try {
    return { ref: await ctx.crypto.importSymmetricKey(hsmAlg, raw), algorithm: hsmAlg };
  } catch (e) {
    // A length the HSM key type does not take (e.g. two-key 3DES): keep it as a generic secret.
    if (e instanceof CryptoError && e.code === 'UNSUPPORTED') return undefined;
    throw e;
  }
}

/**
 * The Digests of a registered key (KMIP 1.4 §3.17, 2.1 §4.19), as the OASIS vectors record them:
 * SHA-256 of the Key Material as registered, in its Key Format Type (TC-PGP-1, TC-IMPEXP-1..3: the
 * bytes; TC-IMPEXP-4: a Transparent key's Key Material structure as TTLV); and for a Transparent
 * key also its usual encoding: a symmetric key's Raw bytes, an RSA key's PKCS#1 (TC-IMPEXP-4).
 * None for a value registered wrapped or absent.
 */
function registeredDigests(objectType: number, kb: KeyBlockInfo, registered: Uint8Array, raw: Uint8Array): TtlvNode[] {
  if (kb.form !== 'bytes' && kb.form !== 'ttlv') return [];
  const out = [digestAttribute(registered, kb.formatType)];
  if (kb.formatType === KeyFormatType.TransparentSymmetricKey && objectType === ObjectType.SymmetricKey) out.push(digestAttribute(raw, KeyFormatType.Raw));
  const rsaHalf =
    kb.formatType === KeyFormatType.TransparentRSAPrivateKey ? 'private' : kb.formatType === KeyFormatType.TransparentRSAPublicKey ? 'public' : undefined;
  if (rsaHalf !== undefined) {
    const der = importKey(rsaHalf, kb.formatType, decodeTtlv(Buffer.from(registered))).export({ type: 'pkcs1', format: 'der' });
    try {
      out.push(digestAttribute(der, KeyFormatType.PKCS_1));
    } finally {
      der.fill(0);
    }
  }
  return out;
}

/**
 * A value that exists only in the HSM, already wrapped under the master key (Derive Key in the
 * HSM, derive/ecdh.ts): registerObject stores `ref` instead of importing or wrapping a value, and
 * takes the Digest from `sha256`. The request's content then carries an empty value.
 */
export interface PrewrappedValue {
  readonly ref: KeyRef;
  readonly length: number;
  readonly sha256: Uint8Array;
}

/**
 * Whether a prewrapped value of `length` bytes is stored exactly as registerObject would store the
 * same bytes given in clear: as the HSM key of `alg` when the HSM takes that length, else as a
 * one-chunk wrapped secret (whole 8-byte words, so wrapSecret would not have padded it).
 */
export function prewrappedFits(objectType: number, alg: number | undefined, length: number): boolean {
  const hsm = objectType === ObjectType.SymmetricKey && alg !== undefined ? HSM_ALGORITHMS[alg] : undefined;
  if (hsm === 'AES') return length === 16 || length === 24 || length === 32 || (length % 8 === 0 && length <= CHUNK_BYTES);
  if (hsm === 'TDES') return length === 24 || (length % 8 === 0 && length <= CHUNK_BYTES);
  if (hsm !== undefined) return length >= 1 && length <= CHUNK_BYTES;
  return length >= 8 && length % 8 === 0 && length <= CHUNK_BYTES;
}

function hsmKeyFits(hsm: SymmetricAlgorithm, length: number): boolean {
  if (hsm === 'AES') return length === 16 || length === 24 || length === 32;
  if (hsm === 'TDES') return length === 24;
  return length >= 1 && length <= CHUNK_BYTES;
}

/** `created` collects the uids of any other objects the registration makes (a PKCS#12 file's certificates). */
export async function registerObject(ctx: RequestContext, req: RegisterRequest, prewrapped?: PrewrappedValue, created?: string[]): Promise<ManagedObject> {
  const client: Attribute[] = [];
  for (const a of req.attributes) {
    if (a.vendor === undefined && SERVER_ONLY.has(a.tag)) {
      throw new KmipError(is2x(ctx.version) ? ResultReason.ReadOnlyAttribute : ResultReason.InvalidField, 'Attribute is set by the server');
    }
    if (a.vendor === undefined && a.tag === Tag.ObjectType) {
      if (a.value.type !== 'Enumeration' || a.value.value !== req.objectType) throw invalidField('Object Type attribute disagrees with the request');
      continue;
    }
    client.push(a);
  }
  let c = req.content;
  if (c.objectType === ObjectType.PrivateKey && c.keyBlock?.formatType === KeyFormatType.PKCS_12 && c.keyBlock.form === 'bytes' && prewrapped === undefined) {
    // A PKCS#12 file: kept as its PKCS#8 key, its certificates registered beside it (objects/pkcs12.ts).
    const opened: OpenedRegistration = await openRegisteredPkcs12(ctx, client, c, async (der, attributes) => {
      const cert = await registerObject(ctx, {
        objectType: ObjectType.Certificate,
        attributes,
        content: { objectType: ObjectType.Certificate, fields: [enm(Tag.CertificateType, CertificateType.X_509)], value: der },
      });
      return cert.uid;
    });
    c = opened.content;
    client.push(...opened.attributes);
    created?.push(...opened.certificateUids);
  }
  const kb = c.keyBlock;
  let value = c.value;
  let blockInfo: KeyBlockInfo | undefined = kb;
  const derived: Attribute[] = [];
  if (kb !== undefined) {
    derived.push(...fromKeyBlock(client, Tag.CryptographicAlgorithm, kb.algorithm === undefined ? undefined : enm(Tag.CryptographicAlgorithm, kb.algorithm)));
    derived.push(...fromKeyBlock(client, Tag.CryptographicLength, kb.length === undefined ? undefined : int(Tag.CryptographicLength, kb.length)));
  }
  if (c.objectType === ObjectType.Certificate) {
    // KMIP 1.4 §3.8-3.9, 2.1 §4.9-4.10: Certificate Type and Length are attributes of the object.
    const ct = c.fields.find((n) => n.tag === Tag.CertificateType);
    if (ct !== undefined && attr({ attributes: client }, Tag.CertificateType) === undefined) derived.push({ tag: Tag.CertificateType, value: ct });
    if (attr({ attributes: client }, Tag.CertificateLength) === undefined) {
      derived.push({ tag: Tag.CertificateLength, value: int(Tag.CertificateLength, c.value.length) });
    }
    // Key algorithm and length, signature algorithm, X.509 and 1.x identifiers, name parts and
    // Digest (certificate-attributes.ts; OASIS TC-CERTATTR-1, BL-M-10-21), unless the client gave them.
    for (const n of certificateAttributes(c.value)) {
      if (attr({ attributes: client }, n.tag) === undefined) derived.push({ tag: n.tag, value: n });
    }
  }
  const probe = { attributes: [...client, ...derived] };
  const alg = attrNumber(probe, Tag.CryptographicAlgorithm);
  let key: ManagedObject['key'];
  const stored: { clear?: Uint8Array; secret?: StoredContent['secret'] } = {};
  if (c.objectType === ObjectType.SymmetricKey && kb !== undefined && kb.formatType !== KeyFormatType.Opaque && kb.form !== 'keyvalue' && kb.form !== 'none') {
    // KMIP 2.1 §2.1.7.1: Transparent Symmetric Key = { Key }. Kept as raw key bytes.
    if (prewrapped === undefined) value = symmetricKeyBytes(kb, value);
    const bits = (prewrapped?.length ?? value.length) * 8;
    const len = attrNumber(probe, Tag.CryptographicLength);
    if (len === undefined) derived.push({ tag: Tag.CryptographicLength, value: int(Tag.CryptographicLength, bits) });
    else if (alg === CryptographicAlgorithm.AES && len !== bits) throw invalidField('Cryptographic Length does not match the key material');
    if (alg === undefined) throw missingData('Cryptographic Algorithm is required for a Symmetric Key');
    if (prewrapped === undefined) key = await importIntoHsm(ctx, alg, value);
    else {
      const hsm = HSM_ALGORITHMS[alg];
      if (hsm !== undefined && hsmKeyFits(hsm, prewrapped.length)) key = { ref: prewrapped.ref, algorithm: hsm };
    }
    blockInfo = { ...kb, form: kb.formatType === KeyFormatType.TransparentSymmetricKey ? 'ttlv' : 'bytes' };
  }
  // BYOK by RSA key transport: also unwrapped into the HSM, kept as registered too (key-wrap-rsa.ts).
  const byok = c.objectType === ObjectType.SymmetricKey && kb?.form === 'keyvalue' && kb.wrappingData !== undefined && alg !== undefined && HSM_ALGORITHMS[alg] !== undefined;
  if (byok) key = await importRsaWrapped(ctx, kb.wrappingData!, value, HSM_ALGORITHMS[alg!]!);
  if (c.objectType === ObjectType.PrivateKey && kb?.formatType === KeyFormatType.PKCS_12) {
    // Registered wrapped: kept as is, but its PKCS#12 Password Link must name an Active password
    // (objects/pkcs12.ts; OASIS TC-PKCS12-2).
    await checkRegisteredPkcs12(ctx, client);
  }
  if ((c.objectType === ObjectType.PublicKey || c.objectType === ObjectType.PrivateKey) && kb !== undefined) {
    // Kept as registered; Transparent keys must be readable (objects/key-conversion.ts).
    checkRegisteredKey(c.objectType, kb, value, alg);
  }
  // Digest (KMIP 1.4 §3.17, 2.1 §4.19). See registeredDigests.
  if (prewrapped !== undefined) {
    if (kb === undefined || kb.form !== 'bytes' || !prewrappedFits(c.objectType, alg, prewrapped.length)) throw new Error('prewrapped value in a form it cannot be stored as');
    const d = struct(Tag.Digest, [enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256), bytes(Tag.DigestValue, prewrapped.sha256), enm(Tag.KeyFormatType, kb.formatType)]);
    derived.push({ tag: Tag.Digest, value: d });
  } else if (kb !== undefined) {
    for (const d of registeredDigests(c.objectType, kb, c.value, value)) derived.push({ tag: Tag.Digest, value: d });
  }
  if (prewrapped !== undefined && key === undefined) {
    // What wrapSecret makes of a value of whole 8-byte words up to one chunk: one wrapped chunk.
    stored.secret = { length: prewrapped.length, chunks: [prewrapped.ref] };
  } else if ((key === undefined || byok) && kb?.form !== 'none') {
    if (isSecretType(c.objectType)) stored.secret = await wrapSecret(ctx, value);
    else stored.clear = value;
  }

  const uid = newUid(ctx.now);
  const now = BigInt(Math.floor(ctx.now.getTime() / 1000));
  const serverSet: TtlvNode[] = initialAttributes(uid, c.objectType, probe.attributes, now);
  if (blockInfo !== undefined) serverSet.push(enm(Tag.KeyFormatType, blockInfo.formatType));
  // A certificate's value is its DER: Key Format Type Raw (a 2.x attribute; OASIS TC-CERTATTR-1-20, TC-ECC-3-20).
  else if (c.objectType === ObjectType.Certificate) serverSet.push(enm(Tag.KeyFormatType, KeyFormatType.Raw));
  // Key Value Present (KMIP 1.2+, set by the server): a key registered without its Key Value (e.g. OASIS TC-MDO-1) says so.
  if (kb?.form === 'none') serverSet.push(bool(Tag.KeyValuePresent, false));
  const obj: ManagedObject = {
    uid,
    owner: ctx.principal,
    revision: 1,
    objectType: c.objectType,
    attributes: [...serverSet.map((v) => ({ tag: v.tag, value: v })), ...client, ...derived],
    ...(key !== undefined ? { key } : {}),
    content: { fields: c.fields, ...(blockInfo !== undefined ? { keyBlock: blockInfo } : {}), ...stored },
  };
  saveObject(ctx, obj);
  return obj;
}

export default defineOperation<RegisterRequest, RegisterResponse>({
  operation: Operation.Register,
  decode(payload) {
    if (payload === undefined) throw missingData('Register needs a payload');
    const objectType = payload.req(Tag.ObjectType, 'Enumeration').value;
    const attributes = decodeRequestAttributes(payload);
    if (objectType === ObjectType.Template) {
      const fields = decodeTemplateContent(payload.opt(Tag.Template, 'Structure'));
      return { objectType, attributes, content: { objectType, fields, value: new Uint8Array(0) } };
    }
    return { objectType, attributes, content: decodeObjectContent(objectType, payload) };
  },
  async handle(ctx, req) {
    const also: string[] = [];
    const obj = req.objectType === ObjectType.Template ? registerTemplate(ctx, req.attributes, req.content.fields) : await registerObject(ctx, req, undefined, also);
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid, also };
  },
  encode(res) {
    return [text(Tag.UniqueIdentifier, res.uid)];
  },
  uids: (_req, res) => (res ? [res.uid, ...res.also] : []),
});
