/**
 * Re-key Key Pair. KMIP 1.4 §4.5, 2.1 §6.1.46. A new key pair is generated in the HSM with the
 * existing pair's algorithm and size (RSA bits / EC curve / Ed25519 or Ed448, made as Create Key
 * Pair makes them, see create-key-pair.ts), with new Digests; each new key follows the Re-key rules
 * of its predecessor (successor.ts: attributes copied, names moved, dates copied or shifted by
 * Offset, Replaced / Replacement Object links both ways), and the new keys are linked to each
 * other (Public Key Link / Private Key Link) as Create Key Pair links them. The existing keys keep
 * their identifiers and State. The request names the existing private key (or the ID Placeholder);
 * its public key is the one its Public Key Link names. The new private key's identifier goes into
 * the ID Placeholder.
 */
import { type AsymmetricAlgorithm, type GenerateKeyPairRequest, type NamedCurve, asymmetricProviderOf } from '../../crypto/asymmetric.js';
import type { EdCurve } from '../../crypto/eddsa.js';
import { CryptoError } from '../../crypto/provider.js';
import { type Attribute, decodeRequestAttributes } from '../../kmip/attributes.js';
import { KmipError, featureNotSupported, invalidField } from '../../kmip/errors.js';
import type { Fields } from '../../kmip/fields.js';
import { CryptographicAlgorithm, LinkType, ObjectType, Operation, RecommendedCurve, ResultReason, Tag } from '../../kmip/generated/index.js';
import { enm, text } from '../../ttlv/build.js';
import { type ManagedObject, type StoredContent, attr, attrNumber, newUid, saveObject } from '../objects.js';
import { ED_ALGORITHMS, digest, edDsaPair, privateKeyDigest } from '../objects/create-key-pair.js';
import { defineOperation } from '../types.js';
import { pairFormats, publicKeyDigest } from '../objects/pair-formats.js';
import { loadCurrent } from './state.js';
import { checkRequestAttributes, link, linkType, retired, successor } from './successor.js';

interface ReKeyKeyPairRequest {
  readonly uid: string | undefined;
  readonly offset: number | undefined;
  readonly common: Attribute[];
  readonly privateAttrs: Attribute[];
  readonly publicAttrs: Attribute[];
}

interface ReKeyKeyPairResponse {
  readonly privateUid: string;
  readonly publicUid: string;
  readonly oldPrivate: string;
  readonly oldPublic: string;
}

const CURVES: ReadonlyMap<number, NamedCurve> = new Map([
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
/** What a re-keyed pair keeps from the existing one. */
const FIXED = new Set<number>([Tag.CryptographicAlgorithm, Tag.CryptographicLength, Tag.RecommendedCurve]);
const EC = new Set<number>([CryptographicAlgorithm.EC, CryptographicAlgorithm.ECDSA, CryptographicAlgorithm.ECDH]);

type Generation = { req: GenerateKeyPairRequest; algorithm: AsymmetricAlgorithm } | { ed: EdCurve; extractable: boolean };

/** The generation request that reproduces the existing private key's type and size. */
function sameKind(priv: ManagedObject, extractable: boolean): Generation {
  const alg = attrNumber(priv, Tag.CryptographicAlgorithm);
  const len = attrNumber(priv, Tag.CryptographicLength);
  const ed = alg !== undefined ? ED_ALGORITHMS.get(alg) : undefined;
  if (ed !== undefined) return { ed: ed.curve, extractable };
  if (alg === CryptographicAlgorithm.RSA && len !== undefined) return { req: { algorithm: 'RSA', bits: len, extractable }, algorithm: 'RSA' };
  if (alg !== undefined && EC.has(alg)) {
    const rc = attrNumber(priv, Tag.RecommendedCurve);
    const curve = rc !== undefined ? CURVES.get(rc) : len !== undefined ? CURVE_BY_LENGTH.get(len) : undefined;
    if (curve !== undefined) return { req: { algorithm: 'EC', curve, extractable }, algorithm: 'EC' };
  }
  throw featureNotSupported('Re-key Key Pair supports RSA, EC (P-256, P-384, P-521), Ed25519 and Ed448 key pairs');
}

function linked(obj: ManagedObject, type: number): string | undefined {
  for (const a of obj.attributes) {
    if (linkType(a) !== type || a.value.type !== 'Structure') continue;
    const id = a.value.value.find((c) => c.tag === Tag.LinkedObjectIdentifier);
    if (id?.type === 'TextString') return id.value;
  }
  return undefined;
}

/** Request attributes for one key: the specific ones take precedence over the common ones. */
function forKey(common: readonly Attribute[], specific: readonly Attribute[]): Attribute[] {
  const single = new Set(specific.filter((a) => a.vendor === undefined && a.tag !== Tag.Name && a.tag !== Tag.Link).map((a) => a.tag));
  return [...common.filter((a) => a.vendor !== undefined || !single.has(a.tag)), ...specific];
}

function container(payload: Fields | undefined, v1: number, v2: number): Attribute[] {
  if (payload === undefined || (!payload.has(v1) && !payload.has(v2))) return [];
  return decodeRequestAttributes(payload, [v1, v2]);
}

export default defineOperation<ReKeyKeyPairRequest, ReKeyKeyPairResponse>({
  operation: Operation.ReKeyKeyPair,
  decode(payload) {
    return {
      uid: payload?.text(Tag.PrivateKeyUniqueIdentifier),
      offset: payload?.opt(Tag.Offset, 'Interval')?.value,
      common: container(payload, Tag.CommonTemplateAttribute, Tag.CommonAttributes),
      privateAttrs: container(payload, Tag.PrivateKeyTemplateAttribute, Tag.PrivateKeyAttributes),
      publicAttrs: container(payload, Tag.PublicKeyTemplateAttribute, Tag.PublicKeyAttributes),
    };
  },
  async handle(ctx, req) {
    const privOverrides = forKey(req.common, req.privateAttrs);
    const pubOverrides = forKey(req.common, req.publicAttrs);
    checkRequestAttributes(ctx.version, privOverrides);
    checkRequestAttributes(ctx.version, pubOverrides);
    for (const a of [...privOverrides, ...pubOverrides]) {
      if (a.vendor === undefined && FIXED.has(a.tag)) {
        throw invalidField('Re-key Key Pair keeps the algorithm and size of the existing pair');
      }
    }
    const oldPriv = await loadCurrent(ctx, req.uid);
    if (oldPriv.objectType !== ObjectType.PrivateKey) throw new KmipError(ResultReason.InvalidObjectType, 'Re-key Key Pair takes a Private Key');
    const pubUid = linked(oldPriv, LinkType.PublicKeyLink);
    if (pubUid === undefined) throw invalidField('The private key has no Public Key Link');
    const oldPub = await loadCurrent(ctx, pubUid);
    if (oldPub.objectType !== ObjectType.PublicKey) throw invalidField('The Public Key Link does not name a Public Key');

    const asym = asymmetricProviderOf(ctx.crypto);
    if (asym === undefined) throw featureNotSupported('The cryptographic module offers no key pairs');
    const extractable = attr(oldPriv, Tag.Extractable);
    const gen = sameKind(oldPriv, !(extractable?.type === 'Boolean' && extractable.value === false));
    // The new pair as Create Key Pair makes it: where the private key lives, and the Digests.
    let pair: { publicKey: Uint8Array; content: Pick<StoredContent, 'privateKey' | 'secret'>; digest?: Buffer };
    try {
      if ('ed' in gen) pair = await edDsaPair(ctx, gen.ed, gen.extractable);
      else {
        const p = await asym.generateKeyPair(gen.req);
        pair = { publicKey: p.publicKey, content: { privateKey: p.privateKey }, digest: await privateKeyDigest(asym, p.privateKey, gen.algorithm) };
      }
    } catch (e) {
      if (e instanceof CryptoError && e.code === 'UNSUPPORTED') throw invalidField(e.message);
      throw e;
    }
    const privateUid = newUid(ctx.now);
    const publicUid = newUid(ctx.now);
    const algorithm = attrNumber(oldPriv, Tag.CryptographicAlgorithm);
    const length = attrNumber(oldPriv, Tag.CryptographicLength);
    const keyBlock = (formatType: number) => ({ formatType, algorithm, length, form: 'bytes' as const, keyValueAttributes: [] });
    const common = { now: ctx.now, version: ctx.version, offset: req.offset };
    // As Create Key Pair: stored PKCS#8 / X.509, served PKCS#1 for RSA (objects/pair-formats.ts).
    const formats = pairFormats(algorithm);
    const priv = successor(
      oldPriv,
      { uid: privateUid, owner: oldPriv.owner, objectType: ObjectType.PrivateKey, content: { fields: [], keyBlock: keyBlock(formats.stored.privateKey), ...pair.content } },
      {
        ...common,
        overrides: privOverrides,
        extra: [
          enm(Tag.KeyFormatType, formats.served.privateKey),
          link(LinkType.PublicKeyLink, publicUid),
          ...(pair.digest !== undefined ? [digest(pair.digest, formats.served.privateKey).value] : []),
        ],
      },
    );
    const pub = successor(
      oldPub,
      { uid: publicUid, owner: oldPub.owner, objectType: ObjectType.PublicKey, content: { fields: [], keyBlock: keyBlock(formats.stored.publicKey), clear: pair.publicKey } },
      {
        ...common,
        overrides: pubOverrides,
        extra: [
          enm(Tag.KeyFormatType, formats.served.publicKey),
          link(LinkType.PrivateKeyLink, privateUid),
          digest(publicKeyDigest(algorithm, pair.publicKey), formats.served.publicKey).value,
        ],
      },
    );
    // The copied pair links of the existing keys point at the old pair; the new pair links each other.
    const dropOldPairLink = (o: ManagedObject, type: number, keep: string): ManagedObject => ({
      ...o,
      attributes: o.attributes.filter((a) => linkType(a) !== type || linked({ ...o, attributes: [a] }, type) === keep),
    });
    saveObject(ctx, dropOldPairLink(priv, LinkType.PublicKeyLink, publicUid));
    saveObject(ctx, dropOldPairLink(pub, LinkType.PrivateKeyLink, privateUid));
    saveObject(ctx, retired(oldPriv, privateUid, ctx.now));
    saveObject(ctx, retired(oldPub, publicUid, ctx.now));
    ctx.idPlaceholder = privateUid;
    return { privateUid, publicUid, oldPrivate: oldPriv.uid, oldPublic: oldPub.uid };
  },
  encode(res) {
    return [text(Tag.PrivateKeyUniqueIdentifier, res.privateUid), text(Tag.PublicKeyUniqueIdentifier, res.publicUid)];
  },
  uids: (req, res) => (res ? [res.oldPrivate, res.oldPublic, res.privateUid, res.publicUid] : req.uid ? [req.uid] : []),
});
