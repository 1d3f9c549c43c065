/**
 * Create Key Pair. KMIP 1.4 §4.2, 2.1 §6.1.13. The pair is generated in the HSM
 * (crypto/asymmetric.ts): the private key is kept wrapped under the master key (or resident in
 * the HSM when Extractable is False), the public key in the clear as DER SubjectPublicKeyInfo
 * (Key Format Type X.509). Two objects are stored, linked to each other (Link: Public Key Link on
 * the private key, Private Key Link on the public key; 2.1 §4.36).
 *
 * Attributes: the Common ones apply to both objects, the Private / Public Key ones to one object
 * and take precedence over the Common ones (2.1 §6.1.13); 1.x sends them as Common / Private Key /
 * Public Key Template-Attribute, 2.x as Common / Private Key / Public Key Attributes.
 * Supported: RSA 2048..4096 bits; EC (or ECDSA / ECDH as the algorithm) on P-256, P-384, P-521,
 * named by Recommended Curve or by Cryptographic Length; Ed25519 and Ed448 (KMIP 2.0+, where the
 * HSM implements PKCS#11 v3.0 EdDSA; see crypto/eddsa.ts for where their private keys live).
 */
import { initialAttributes, rngAttribute } from '../server-attributes.js';
import { createHash } from 'node:crypto';

import {
  type AsymmetricAlgorithm,
  type AsymmetricProvider,
  type GenerateKeyPairRequest,
  type NamedCurve,
  asymmetricProviderOf,
} from '../../crypto/asymmetric.js';
import { type EdCurve, edDsaProviderOf } from '../../crypto/eddsa.js';
import { CryptoError, type KeyRef } from '../../crypto/provider.js';
import { type Attribute, decodeRequestAttributes } from '../../kmip/attributes.js';
import { KmipError, featureNotSupported, invalidField, missingData } from '../../kmip/errors.js';
import type { Fields } from '../../kmip/fields.js';
import {
  CryptographicAlgorithm,
  HashingAlgorithm,
  LinkType,
  ObjectType,
  Operation,
  RecommendedCurve,
  ResultReason,
  Tag,
} from '../../kmip/generated/index.js';
import { is2x } from '../../kmip/protocol-version.js';
import { bytes, enm, int, struct, text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { type ManagedObject, type StoredContent, attr, attrNumber, newUid, saveObject } from '../objects.js';
import { type RequestContext, defineOperation } from '../types.js';
import { wrapSecret } from './material.js';
import { pairFormats, publicKeyDigest, privateKeyDigest as servedPrivateKeyDigest } from './pair-formats.js';

interface CreateKeyPairRequest {
  readonly common: Attribute[];
  readonly privateAttrs: Attribute[];
  readonly publicAttrs: Attribute[];
}

interface CreateKeyPairResponse {
  readonly privateUid: string;
  readonly publicUid: string;
}

/** Attributes only the server sets (KMIP 2.1 §4 "Set by server"; 1.4 §3). */
const SERVER_ONLY = new Set<number>([
  Tag.UniqueIdentifier,
  Tag.ObjectType,
  Tag.State,
  Tag.InitialDate,
  Tag.LastChangeDate,
  Tag.Digest,
  Tag.DestroyDate,
  Tag.CompromiseDate,
  Tag.CompromiseOccurrenceDate,
  Tag.ArchiveDate,
  Tag.Fresh,
  Tag.OriginalCreationDate,
  Tag.KeyValueLocation,
  Tag.KeyValuePresent,
  Tag.AlwaysSensitive,
  Tag.NeverExtractable,
  Tag.Link,
]);

/** Attributes that may occur once: a Private/Public value replaces the Common one. */
const MULTI = new Set<number>([Tag.Name, Tag.ObjectGroup, Tag.ApplicationSpecificInformation, Tag.AlternativeName, Tag.Link]);

function merge(common: readonly Attribute[], specific: readonly Attribute[]): Attribute[] {
  const key = (a: Attribute): string => (a.vendor === undefined ? String(a.tag) : `${a.vendor}-${a.vendorName ?? ''}`);
  const overridden = new Set(specific.filter((a) => !MULTI.has(a.tag) || a.vendor !== undefined).map(key));
  return [...common.filter((a) => !overridden.has(key(a)) || (MULTI.has(a.tag) && a.vendor === undefined)), ...specific];
}

const CURVE_BY_ENUM: ReadonlyMap<number, NamedCurve> = new Map([
  [RecommendedCurve.P_256, 'P-256'],
  [RecommendedCurve.P_384, 'P-384'],
  [RecommendedCurve.P_521, 'P-521'],
  [RecommendedCurve.SECP256K1, 'secp256k1'],
]);
const CURVE_BY_LENGTH: ReadonlyMap<number, NamedCurve> = new Map([
  [256, 'P-256'],
  [384, 'P-384'],
  [521, 'P-521'],
]);
const CURVE_BITS: Readonly<Record<NamedCurve, number>> = { 'P-256': 256, 'P-384': 384, 'P-521': 521, secp256k1: 256 };
const EC_ALGORITHMS = new Set<number>([CryptographicAlgorithm.EC, CryptographicAlgorithm.ECDSA, CryptographicAlgorithm.ECDH]);

/** KMIP 2.0 Ed25519 / Ed448 (2.1 §11.8): curve, Recommended Curve, Cryptographic Lengths accepted (the first is recorded). */
export const ED_ALGORITHMS: ReadonlyMap<number, { curve: EdCurve; rc: number; lengths: readonly number[] }> = new Map([
  [CryptographicAlgorithm.Ed25519, { curve: 'Ed25519', rc: RecommendedCurve.CURVE25519, lengths: [256, 255] }],
  [CryptographicAlgorithm.Ed448, { curve: 'Ed448', rc: RecommendedCurve.CURVE448, lengths: [456, 448] }],
]);

interface Generation {
  /** RSA / EC: the AsymmetricProvider request. */
  readonly req?: GenerateKeyPairRequest;
  /** Ed25519 / Ed448: the EdDsaProvider curve. */
  readonly ed?: EdCurve;
  readonly length: number;
  readonly algorithm: AsymmetricAlgorithm | EdCurve;
}

/**
 * The Recommended Curve: the attribute, else the one inside Cryptographic Domain Parameters (KMIP
 * 1.4 §3.7, 2.1 §4.15; OASIS TC-DERIVEKEY-6 names secp256k1 only there, with its Qlength).
 */
function recommendedCurve(probe: { attributes: readonly Attribute[] }): { rc?: number; qlength?: number } {
  const rc = attrNumber(probe, Tag.RecommendedCurve);
  const dp = attr(probe, Tag.CryptographicDomainParameters);
  const inner = (tag: number): number | undefined => {
    const n = dp?.type === 'Structure' ? dp.value.find((c) => c.tag === tag) : undefined;
    return n?.type === 'Enumeration' || n?.type === 'Integer' ? n.value : undefined;
  };
  const drc = inner(Tag.RecommendedCurve);
  if (rc !== undefined && drc !== undefined && rc !== drc) throw invalidField('Recommended Curve and Cryptographic Domain Parameters disagree');
  const q = inner(Tag.Qlength);
  const r = rc ?? drc;
  return { ...(r !== undefined ? { rc: r } : {}), ...(q !== undefined ? { qlength: q } : {}) };
}

/** The generation request an attribute set names, and the Cryptographic Length to record. */
function generation(attrs: readonly Attribute[], extractable: boolean): Generation {
  const probe = { attributes: attrs };
  const alg = attrNumber(probe, Tag.CryptographicAlgorithm);
  if (alg === undefined) throw missingData('Cryptographic Algorithm is required');
  const len = attrNumber(probe, Tag.CryptographicLength);
  const ed = ED_ALGORITHMS.get(alg);
  if (ed !== undefined) {
    const rc = attrNumber(probe, Tag.RecommendedCurve);
    if (rc !== undefined && rc !== ed.rc) throw invalidField(`Recommended Curve does not match ${ed.curve}`);
    if (len !== undefined && !ed.lengths.includes(len)) throw invalidField(`Cryptographic Length does not match ${ed.curve}`);
    return { ed: ed.curve, length: len ?? ed.lengths[0]!, algorithm: ed.curve };
  }
  if (alg === CryptographicAlgorithm.RSA) {
    if (len === undefined) throw missingData('Cryptographic Length is required for RSA');
    if (len < 2048 || len > 4096 || len % 8 !== 0) throw invalidField('RSA keys are 2048 to 4096 bits');
    return { req: { algorithm: 'RSA', bits: len, extractable }, length: len, algorithm: 'RSA' };
  }
  if (EC_ALGORITHMS.has(alg)) {
    const { rc, qlength } = recommendedCurve(probe);
    let curve: NamedCurve | undefined;
    if (rc !== undefined) {
      curve = CURVE_BY_ENUM.get(rc);
      if (!curve) throw featureNotSupported('Recommended Curve not supported (P-256, P-384, P-521, SECP256K1 are)');
      if (len !== undefined && len !== CURVE_BITS[curve]) throw invalidField('Cryptographic Length does not match the Recommended Curve');
      if (qlength !== undefined && qlength !== CURVE_BITS[curve]) throw invalidField('Qlength does not match the Recommended Curve');
    } else {
      if (len === undefined) throw missingData('Recommended Curve or Cryptographic Length is required for EC keys');
      curve = CURVE_BY_LENGTH.get(len);
      if (!curve) throw invalidField('EC keys are 256, 384 or 521 bits (P-256, P-384, P-521)');
    }
    return { req: { algorithm: 'EC', curve, extractable }, length: CURVE_BITS[curve], algorithm: 'EC' };
  }
  throw featureNotSupported('Cryptographic Algorithm not supported for key pairs (RSA, EC, ECDSA, ECDH, Ed25519, Ed448 are)');
}

function checkClientAttributes(ctx: RequestContext, attrs: readonly Attribute[]): void {
  for (const a of attrs) {
    if (SERVER_ONLY.has(a.tag) && a.vendor === undefined) {
      throw new KmipError(is2x(ctx.version) ? ResultReason.ReadOnlyAttribute : ResultReason.InvalidField, 'Attribute is set by the server');
    }
  }
}

function link(type: number, uid: string): Attribute {
  return { tag: Tag.Link, value: struct(Tag.Link, [enm(Tag.LinkType, type), text(Tag.LinkedObjectIdentifier, uid)]) };
}

/** Digest attribute: SHA-256 of the Key Material in its Key Format Type (KMIP 1.4 §3.17, 2.1 §4.15). */
export function digest(value: Uint8Array, format: number): Attribute {
  return {
    tag: Tag.Digest,
    value: struct(Tag.Digest, [enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256), bytes(Tag.DigestValue, value), enm(Tag.KeyFormatType, format)]),
  };
}

/**
 * SHA-256 of the private key in its served Key Format Type (objects/pair-formats.ts: PKCS#1 for
 * RSA, else PKCS#8), what Get returns. The PKCS#8 is exported from the HSM only for this hash and
 * zeroed at once; a non-extractable key has no Digest (its value is never available to hash).
 */
export async function privateKeyDigest(asym: AsymmetricProvider, ref: KeyRef, algorithm: AsymmetricAlgorithm): Promise<Buffer | undefined> {
  if (ref.kind === 'resident') return undefined;
  const der = await asym.exportPrivateKey(ref, algorithm);
  try {
    return servedPrivateKeyDigest(algorithm === 'RSA' ? CryptographicAlgorithm.RSA : undefined, der);
  } finally {
    der.fill(0);
  }
}

/**
 * An Ed25519 / Ed448 pair from the HSM (crypto/eddsa.ts). The private key stays resident when
 * not extractable; otherwise its PKCS#8 comes back (the module cannot wrap it) and is kept
 * wrapped under the master key as a secret value (objects/material.ts), like a registered key.
 */
export async function edDsaPair(ctx: RequestContext, curve: EdCurve, extractable: boolean): Promise<{ publicKey: Uint8Array; content: Pick<StoredContent, 'privateKey' | 'secret'>; digest?: Buffer }> {
  const ed = edDsaProviderOf(ctx.crypto);
  if (ed === undefined) throw featureNotSupported('The cryptographic module offers no EdDSA');
  const p = await ed.generateEdDsaKeyPair(curve, extractable);
  if (p.privateKey.kind === 'resident') return { publicKey: p.publicKey, content: { privateKey: p.privateKey } };
  const der = p.privateKey.der;
  try {
    return { publicKey: p.publicKey, content: { secret: await wrapSecret(ctx, der) }, digest: createHash('sha256').update(der).digest() };
  } finally {
    der.fill(0);
  }
}

function buildObject(
  ctx: RequestContext,
  uid: string,
  objectType: number,
  clientAttrs: readonly Attribute[],
  extra: Attribute[],
  content: StoredContent,
): ManagedObject {
  const now = BigInt(Math.floor(ctx.now.getTime() / 1000));
  const serverSet: TtlvNode[] = initialAttributes(uid, objectType, clientAttrs, now);
  // The generator behind the new pair (KMIP 1.4 §3.44, 2.1 §4.48), as Create records it.
  if (attr({ attributes: clientAttrs }, Tag.RandomNumberGenerator) === undefined) serverSet.push(rngAttribute());
  const replaced = new Set(extra.map((a) => a.tag));
  return {
    uid,
    owner: ctx.principal,
    revision: 1,
    objectType,
    attributes: [
      ...serverSet.map((value) => ({ tag: value.tag, value })),
      ...clientAttrs.filter((a) => !(a.vendor === undefined && replaced.has(a.tag))),
      ...extra,
    ],
    content,
  };
}

/** Reads one of the attribute containers, in whichever version's form the client used. */
function container(payload: Fields, v1: number, v2: number): Attribute[] {
  if (!payload.has(v1) && !payload.has(v2)) return [];
  return decodeRequestAttributes(payload, [v1, v2]);
}

export default defineOperation<CreateKeyPairRequest, CreateKeyPairResponse>({
  operation: Operation.CreateKeyPair,
  decode(payload) {
    if (payload === undefined) throw missingData('Create Key Pair needs a payload');
    return {
      common: container(payload, Tag.CommonTemplateAttribute, Tag.CommonAttributes),
      privateAttrs: container(payload, Tag.PrivateKeyTemplateAttribute, Tag.PrivateKeyAttributes),
      publicAttrs: container(payload, Tag.PublicKeyTemplateAttribute, Tag.PublicKeyAttributes),
    };
  },
  async handle(ctx, req) {
    const asym = asymmetricProviderOf(ctx.crypto);
    if (asym === undefined) throw featureNotSupported('The cryptographic module offers no key pairs');
    const privAttrs = merge(req.common, req.privateAttrs);
    const pubAttrs = merge(req.common, req.publicAttrs);
    checkClientAttributes(ctx, privAttrs);
    checkClientAttributes(ctx, pubAttrs);
    const extractable = attr({ attributes: privAttrs }, Tag.Extractable);
    const isExtractable = !(extractable?.type === 'Boolean' && extractable.value === false);
    const gen = generation(privAttrs, isExtractable);
    // The public key may name its type too (then it must agree), or inherit the private key's.
    if (attrNumber({ attributes: pubAttrs }, Tag.CryptographicAlgorithm) !== undefined) {
      const pubGen = generation(pubAttrs, isExtractable);
      if (pubGen.algorithm !== gen.algorithm || pubGen.length !== gen.length) {
        throw invalidField('The private and public key attributes name different key types');
      }
    } else {
      const a = attr({ attributes: privAttrs }, Tag.CryptographicAlgorithm) as TtlvNode;
      pubAttrs.push({ tag: Tag.CryptographicAlgorithm, value: a });
      const rc = attr({ attributes: privAttrs }, Tag.RecommendedCurve);
      if (rc !== undefined && attr({ attributes: pubAttrs }, Tag.RecommendedCurve) === undefined) pubAttrs.push({ tag: Tag.RecommendedCurve, value: rc });
    }
    let pair: { publicKey: Uint8Array; content: Pick<StoredContent, 'privateKey' | 'secret'>; digest?: Buffer };
    try {
      if (gen.ed !== undefined) {
        // Ed25519 / Ed448 are KMIP 2.0 enumerations (2.1 §11.8); 1.x has no way to name them.
        if (!is2x(ctx.version)) throw invalidField(`${gen.ed} is a KMIP 2.0 Cryptographic Algorithm`);
        pair = await edDsaPair(ctx, gen.ed, isExtractable);
      } else {
        const p = await asym.generateKeyPair(gen.req!);
        pair = { publicKey: p.publicKey, content: { privateKey: p.privateKey }, digest: await privateKeyDigest(asym, p.privateKey, gen.algorithm as AsymmetricAlgorithm) };
      }
    } catch (e) {
      if (e instanceof CryptoError && e.code === 'UNSUPPORTED') throw invalidField(e.message);
      throw e;
    }
    const privateUid = newUid(ctx.now);
    const publicUid = newUid(ctx.now);
    const algorithm = attrNumber({ attributes: privAttrs }, Tag.CryptographicAlgorithm) as number;
    const length = { tag: Tag.CryptographicLength, value: int(Tag.CryptographicLength, gen.length) };
    const keyBlock = (formatType: number) => ({ formatType, algorithm, length: gen.length, form: 'bytes' as const, keyValueAttributes: [] });
    const privDigest = pair.digest;
    // Stored as PKCS#8 / X.509; served (Key Format Type attribute, Get's default, Digest) as
    // PKCS#1 for RSA (objects/pair-formats.ts).
    const formats = pairFormats(algorithm);
    const priv = buildObject(
      ctx,
      privateUid,
      ObjectType.PrivateKey,
      privAttrs,
      [
        length,
        { tag: Tag.KeyFormatType, value: enm(Tag.KeyFormatType, formats.served.privateKey) },
        link(LinkType.PublicKeyLink, publicUid),
        ...(privDigest ? [digest(privDigest, formats.served.privateKey)] : []),
      ],
      { fields: [], keyBlock: keyBlock(formats.stored.privateKey), ...pair.content },
    );
    const pub = buildObject(
      ctx,
      publicUid,
      ObjectType.PublicKey,
      pubAttrs,
      [
        length,
        { tag: Tag.KeyFormatType, value: enm(Tag.KeyFormatType, formats.served.publicKey) },
        link(LinkType.PrivateKeyLink, privateUid),
        digest(publicKeyDigest(algorithm, pair.publicKey), formats.served.publicKey),
      ],
      { fields: [], keyBlock: keyBlock(formats.stored.publicKey), clear: pair.publicKey },
    );
    saveObject(ctx, priv);
    saveObject(ctx, pub);
    // KMIP 2.1 §6.1.13: the Private Key Unique Identifier goes into the ID Placeholder.
    ctx.idPlaceholder = privateUid;
    return { privateUid, publicUid };
  },
  encode(res) {
    return [text(Tag.PrivateKeyUniqueIdentifier, res.privateUid), text(Tag.PublicKeyUniqueIdentifier, res.publicUid)];
  },
  uids: (_req, res) => (res ? [res.privateUid, res.publicUid] : []),
});
