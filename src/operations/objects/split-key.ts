/**
 * Create Split Key and Join Split Key. KMIP 1.4 §4.38-4.39 (added in 1.2), 2.1 §6.1.14 / §6.1.27.
 *
 * Create Split Key splits a Symmetric Key or Secret Data (the Unique Identifier or ID
 * Placeholder; without either, a new random value of the requested Cryptographic Algorithm and
 * Length from the HSM's RNG) into Split Key Parts objects, any Split Key Threshold of which join
 * back to it (split/shares.ts: XOR, Polynomial Sharing GF(2^8), Polynomial Sharing Prime Field;
 * GF(2^16) answers Feature Not Supported). Splitting reveals the value through the parts, so the
 * base must be extractable (Not Extractable otherwise). Each part is a Split Key object stored
 * like a registered one (wrapped under the master key), carrying the base's Cryptographic
 * Algorithm and Length in its Key Block (OASIS TC-SJ-2-20) and the request's attributes; Links:
 * Parent Link to the base and Child Link back from it, Previous / Next Link along the parts.
 *
 * Join Split Key recombines parts into a Symmetric Key or Secret Data registered as a new object.
 * Fewer parts than the threshold answer Cryptographic Failure (OASIS TC-SJ-1..4: "FAILURE"); parts
 * of different splits (method, threshold, count, prime or length disagree) or a repeated Key Part
 * Identifier answer Invalid Field.
 */
import { createPrivateKey } from 'node:crypto';
import { type Attribute, decodeRequestAttributes } from '../../kmip/attributes.js';
import { KmipError, featureNotSupported, invalidField, missingData } from '../../kmip/errors.js';
import { CryptographicAlgorithm, KeyFormatType, LinkType, ObjectType, Operation, ResultReason, SecretDataType, SplitKeyMethod, Tag } from '../../kmip/generated/index.js';
import type { ObjectContent } from '../../kmip/key-block.js';
import { is2x } from '../../kmip/protocol-version.js';
import { bigInt, enm, int, struct, text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { secretValue } from '../crypto/derive/value.js';
import { loadCurrent, touched } from '../lifecycle/state.js';
import { type ManagedObject, asItemNotFound, attrNumber, saveObject } from '../objects.js';
import { type RequestContext, defineOperation } from '../types.js';
import { unwrapSecret } from './material.js';
import { registerObject } from './register.js';
import { type Share, isProbablePrime, joinGf256, joinPrime, joinXor, primeBytes, splitGf256, splitPrime, splitXor } from './split/shares.js';

/**
 * The joined bytes must be a private key in the parts' Key Format Type, of their algorithm: parts
 * that do not belong together join into noise (Cryptographic Failure, as too few parts do).
 */
function checkJoinedPrivateKey(value: Uint8Array, format: number, algorithm: number | undefined): void {
  const type = format === KeyFormatType.PKCS_8 ? 'pkcs8' : format === KeyFormatType.PKCS_1 ? 'pkcs1' : 'sec1';
  let kind: string | undefined;
  try {
    kind = createPrivateKey({ key: Buffer.from(value.buffer, value.byteOffset, value.byteLength), format: 'der', type }).asymmetricKeyType;
  } catch {
    throw new KmipError(ResultReason.CryptographicFailure, 'The parts do not join into a private key');
  }
  const want = algorithm === CryptographicAlgorithm.RSA ? 'rsa' : algorithm !== undefined && EC_ALGORITHMS.has(algorithm) ? 'ec' : undefined;
  if (want !== undefined && kind !== want) throw new KmipError(ResultReason.CryptographicFailure, 'The joined private key is not of the parts\' Cryptographic Algorithm');
}

const EC_ALGORITHMS = new Set<number>([CryptographicAlgorithm.EC, CryptographicAlgorithm.ECDSA, CryptographicAlgorithm.ECDH]);

/** Key Format Types a joined Private Key may have: DER byte strings node:crypto can check. */
const PRIVATE_KEY_FORMATS = new Set<number>([KeyFormatType.PKCS_8, KeyFormatType.PKCS_1, KeyFormatType.ECPrivateKey]);

/** Most parts one request may create (GF(2^8) has 255 non-zero points). */
export const MAX_SPLIT_PARTS = 255;
/** Largest value split or joined, in bytes. */
const MAX_SPLIT_BYTES = 1024;
/** Largest Prime Field Size, in bits: bounds the big-integer work of a split or a join. */
const MAX_PRIME_BITS = 4096;

interface CreateSplitKeyRequest {
  readonly objectType: number;
  readonly uid: string | undefined;
  readonly parts: number;
  readonly threshold: number;
  readonly method: number;
  readonly prime: bigint | undefined;
  readonly attributes: Attribute[];
}

interface JoinSplitKeyRequest {
  readonly objectType: number;
  readonly uids: string[];
  readonly secretDataType: number | undefined;
  readonly attributes: Attribute[];
}

const badType = (ctx: RequestContext, msg: string): KmipError =>
  new KmipError(is2x(ctx.version) ? ResultReason.InvalidObjectType : ResultReason.InvalidField, msg);

function link(type: number, uid: string): Attribute {
  return { tag: Tag.Link, value: struct(Tag.Link, [enm(Tag.LinkType, type), text(Tag.LinkedObjectIdentifier, uid)]) };
}

function withLinks(obj: ManagedObject, links: Attribute[], now: Date): ManagedObject {
  return { ...touched({ ...obj, attributes: [...obj.attributes, ...links] }, now), revision: obj.revision + 1 };
}

/** The value to split and the algorithm / length its parts carry. */
async function splitSource(ctx: RequestContext, req: CreateSplitKeyRequest): Promise<{ base?: ManagedObject; value: Uint8Array; algorithm?: number; length?: number }> {
  const uid = req.uid ?? ctx.idPlaceholder;
  if (uid === undefined) {
    const probe = { attributes: req.attributes };
    const algorithm = attrNumber(probe, Tag.CryptographicAlgorithm);
    const length = attrNumber(probe, Tag.CryptographicLength);
    if (algorithm === undefined || length === undefined) throw missingData('Without a key to split, Cryptographic Algorithm and Length are required');
    if (length <= 0 || length % 8 !== 0 || length / 8 > MAX_SPLIT_BYTES) throw invalidField('Cryptographic Length must be whole bytes, at most 8192 bits');
    return { value: await ctx.crypto.randomBytes(length / 8), algorithm, length };
  }
  // 2.1 §6.1.10.1: Item Not Found for an unknown object, not Object Not Found.
  const base = await loadCurrent(ctx, uid).catch(asItemNotFound);
  if (base.objectType !== ObjectType.SymmetricKey && base.objectType !== ObjectType.SecretData) {
    throw badType(ctx, 'Create Split Key splits a Symmetric Key or Secret Data');
  }
  const value = await secretValue(ctx, base);
  const algorithm = attrNumber(base, Tag.CryptographicAlgorithm);
  const length = attrNumber(base, Tag.CryptographicLength) ?? value.length * 8;
  return { base, value, ...(algorithm !== undefined ? { algorithm } : {}), length };
}

async function makeShares(ctx: RequestContext, req: CreateSplitKeyRequest, value: Uint8Array): Promise<Share[]> {
  const random = (n: number): Promise<Uint8Array> => ctx.crypto.randomBytes(n);
  switch (req.method) {
    case SplitKeyMethod.XOR:
      if (req.threshold !== req.parts) throw invalidField('XOR splitting needs every part: Split Key Threshold must equal Split Key Parts');
      return splitXor(value, req.parts, random);
    case SplitKeyMethod.PolynomialSharingGF2_8:
      return splitGf256(value, req.parts, req.threshold, random);
    case SplitKeyMethod.PolynomialSharingPrimeField: {
      const p = req.prime;
      if (p === undefined) throw missingData('Polynomial Sharing Prime Field needs a Prime Field Size');
      if (p <= BigInt(req.parts) || p.toString(2).length > MAX_PRIME_BITS) throw invalidField(`Prime Field Size must exceed the part count and have at most ${MAX_PRIME_BITS} bits`);
      if (!isProbablePrime(p)) throw invalidField('Prime Field Size is not prime');
      try {
        return await splitPrime(value, p, req.parts, req.threshold, random);
      } catch (e) {
        if (e instanceof RangeError) throw invalidField('The key is not below the Prime Field Size');
        throw e;
      }
    }
    default:
      throw featureNotSupported('Split Key Method not supported (XOR, Polynomial Sharing GF(2^8) and Prime Field are)');
  }
}

const createSplitKey = defineOperation<CreateSplitKeyRequest, { uids: string[] }>({
  operation: Operation.CreateSplitKey,
  decode(payload) {
    if (payload === undefined) throw missingData('Create Split Key needs a payload');
    return {
      objectType: payload.req(Tag.ObjectType, 'Enumeration').value,
      uid: payload.text(Tag.UniqueIdentifier),
      parts: payload.req(Tag.SplitKeyParts, 'Integer').value,
      threshold: payload.req(Tag.SplitKeyThreshold, 'Integer').value,
      method: payload.req(Tag.SplitKeyMethod, 'Enumeration').value,
      prime: payload.opt(Tag.PrimeFieldSize, 'BigInteger')?.value,
      attributes: decodeRequestAttributes(payload),
    };
  },
  async handle(ctx, req) {
    if (req.objectType !== ObjectType.SplitKey) throw badType(ctx, 'Create Split Key creates Split Key objects');
    if (req.parts < 1 || req.parts > MAX_SPLIT_PARTS) throw invalidField(`Split Key Parts must be 1..${MAX_SPLIT_PARTS}`);
    if (req.threshold < 1 || req.threshold > req.parts) throw invalidField('Split Key Threshold must be 1..Split Key Parts');
    const src = await splitSource(ctx, req);
    let shares: Share[];
    try {
      shares = await makeShares(ctx, req, src.value);
    } finally {
      src.value.fill(0);
    }
    const parts: ManagedObject[] = [];
    try {
      for (const s of shares) {
        const fields: TtlvNode[] = [
          int(Tag.SplitKeyParts, req.parts),
          int(Tag.KeyPartIdentifier, s.x),
          int(Tag.SplitKeyThreshold, req.threshold),
          enm(Tag.SplitKeyMethod, req.method),
          ...(req.method === SplitKeyMethod.PolynomialSharingPrimeField && req.prime !== undefined ? [bigInt(Tag.PrimeFieldSize, req.prime)] : []),
        ];
        const content: ObjectContent = {
          objectType: ObjectType.SplitKey,
          fields,
          keyBlock: {
            formatType: KeyFormatType.Raw,
            ...(src.algorithm !== undefined ? { algorithm: src.algorithm } : {}),
            ...(src.length !== undefined ? { length: src.length } : {}),
            form: 'bytes',
            keyValueAttributes: [],
          },
          value: s.y,
        };
        parts.push(await registerObject(ctx, { objectType: ObjectType.SplitKey, attributes: req.attributes, content }));
      }
    } finally {
      for (const s of shares) s.y.fill(0);
    }
    parts.forEach((p, i) => {
      const links: Attribute[] = [];
      if (src.base !== undefined) links.push(link(LinkType.ParentLink, src.base.uid));
      if (i > 0) links.push(link(LinkType.PreviousLink, parts[i - 1]!.uid));
      if (i < parts.length - 1) links.push(link(LinkType.NextLink, parts[i + 1]!.uid));
      saveObject(ctx, { ...p, attributes: [...p.attributes, ...links] });
    });
    if (src.base !== undefined) {
      saveObject(ctx, withLinks(src.base, parts.map((p) => link(LinkType.ChildLink, p.uid)), ctx.now));
    }
    return { uids: parts.map((p) => p.uid) };
  },
  encode(res) {
    return res.uids.map((u) => text(Tag.UniqueIdentifier, u));
  },
  uids: (req, res) => [...(req.uid !== undefined ? [req.uid] : []), ...(res?.uids ?? [])],
});

interface PartInfo {
  readonly parts: number;
  readonly id: number;
  readonly threshold: number;
  readonly method: number;
  readonly prime: bigint | undefined;
}

function partInfo(obj: ManagedObject): PartInfo {
  const f = obj.content?.fields ?? [];
  const num = (tag: number): number => {
    const n = f.find((c) => c.tag === tag);
    if (n?.type !== 'Integer' && n?.type !== 'Enumeration') throw invalidField('A Split Key part is missing its split fields');
    return n.value;
  };
  const p = f.find((c) => c.tag === Tag.PrimeFieldSize);
  return {
    parts: num(Tag.SplitKeyParts),
    id: num(Tag.KeyPartIdentifier),
    threshold: num(Tag.SplitKeyThreshold),
    method: num(Tag.SplitKeyMethod),
    prime: p?.type === 'BigInteger' ? p.value : undefined,
  };
}

const joinSplitKey = defineOperation<JoinSplitKeyRequest, { uid: string }>({
  operation: Operation.JoinSplitKey,
  decode(payload) {
    if (payload === undefined) throw missingData('Join Split Key needs a payload');
    return {
      objectType: payload.req(Tag.ObjectType, 'Enumeration').value,
      uids: payload.many(Tag.UniqueIdentifier, 'TextString').map((n) => n.value),
      secretDataType: payload.enum(Tag.SecretDataType),
      attributes: decodeRequestAttributes(payload),
    };
  },
  async handle(ctx, req) {
    if (req.objectType !== ObjectType.SymmetricKey && req.objectType !== ObjectType.SecretData && req.objectType !== ObjectType.PrivateKey) {
      throw badType(ctx, 'Join Split Key produces a Symmetric Key, Secret Data or a Private Key');
    }
    if (req.uids.length === 0) throw missingData('Join Split Key needs the Unique Identifiers of the parts');
    if (req.uids.length > MAX_SPLIT_PARTS) throw invalidField('Too many parts');
    const objs: ManagedObject[] = [];
    for (const uid of req.uids) {
      const o = await loadCurrent(ctx, uid);
      if (o.objectType !== ObjectType.SplitKey) throw badType(ctx, 'Join Split Key joins Split Key objects');
      objs.push(o);
    }
    const infos = objs.map(partInfo);
    const first = infos[0]!;
    for (const i of infos) {
      if (i.method !== first.method || i.threshold !== first.threshold || i.parts !== first.parts || i.prime !== first.prime) {
        throw invalidField('The parts do not come from one split');
      }
    }
    if (new Set(infos.map((i) => i.id)).size !== infos.length) throw invalidField('A Key Part Identifier is repeated');
    // KMIP 2.1 §6.1.27: too few parts cannot reconstruct the key (OASIS TC-SJ-*: Cryptographic Failure).
    if (infos.length < first.threshold) throw new KmipError(ResultReason.CryptographicFailure, 'Fewer parts than the Split Key Threshold');

    const shares: Share[] = [];
    let value: Uint8Array | undefined;
    try {
      for (const [k, o] of objs.entries()) {
        if (o.content?.secret === undefined) throw featureNotSupported('A part\'s value is not held by the server in a form it can join');
        shares.push({ x: infos[k]!.id, y: await unwrapSecret(ctx, o.content.secret) });
      }
      if (shares.some((s) => s.y.length !== shares[0]!.y.length || s.y.length > MAX_SPLIT_BYTES * 2)) throw invalidField('The parts differ in length');
      const kb = objs[0]!.content?.keyBlock;
      const probe = { attributes: req.attributes };
      const bits = attrNumber(probe, Tag.CryptographicLength) ?? kb?.length;
      const algorithm = attrNumber(probe, Tag.CryptographicAlgorithm) ?? kb?.algorithm;
      switch (first.method) {
        case SplitKeyMethod.XOR:
          value = joinXor(shares);
          break;
        case SplitKeyMethod.PolynomialSharingGF2_8:
          value = joinGf256(shares);
          break;
        case SplitKeyMethod.PolynomialSharingPrimeField: {
          if (first.prime === undefined) throw invalidField('A Prime Field part has no Prime Field Size');
          const len = bits !== undefined && bits % 8 === 0 ? bits / 8 : primeBytes(first.prime);
          try {
            value = joinPrime(shares, first.prime, len);
          } catch {
            throw new KmipError(ResultReason.CryptographicFailure, 'The joined value does not fit the Cryptographic Length');
          }
          break;
        }
        default:
          throw featureNotSupported('Split Key Method not supported (XOR, Polynomial Sharing GF(2^8) and Prime Field are)');
      }
      // A private key's Cryptographic Length is its size (e.g. 256 for P-256), not its encoding's.
      if (req.objectType !== ObjectType.PrivateKey && bits !== undefined && bits !== value.length * 8) throw invalidField('Cryptographic Length does not match the joined key');
      if (req.objectType !== ObjectType.SecretData && algorithm === undefined) throw missingData('Cryptographic Algorithm of the joined key is required');
      // A Private Key (KMIP 1.4 §4.39, 2.1 §6.1.27): the joined bytes are the key in the parts'
      // Key Format Type (PKCS#8, PKCS#1, EC Private Key); Register checks they are one.
      const privateFormat = kb?.formatType;
      if (req.objectType === ObjectType.PrivateKey && (privateFormat === undefined || !PRIVATE_KEY_FORMATS.has(privateFormat))) {
        throw invalidField('Joining into a Private Key needs parts whose Key Format Type is PKCS#8, PKCS#1 or EC Private Key');
      }
      if (req.objectType === ObjectType.PrivateKey) checkJoinedPrivateKey(value, privateFormat!, algorithm);
      const content: ObjectContent =
        req.objectType === ObjectType.PrivateKey
          ? {
              objectType: req.objectType,
              fields: [],
              keyBlock: { formatType: privateFormat!, ...(algorithm !== undefined ? { algorithm } : {}), length: bits ?? kb?.length ?? value.length * 8, form: 'bytes', keyValueAttributes: [] },
              value,
            }
          : req.objectType === ObjectType.SymmetricKey
          ? {
              objectType: req.objectType,
              fields: [],
              keyBlock: { formatType: KeyFormatType.Raw, ...(algorithm !== undefined ? { algorithm } : {}), length: value.length * 8, form: 'bytes', keyValueAttributes: [] },
              value,
            }
          : {
              objectType: req.objectType,
              fields: [enm(Tag.SecretDataType, req.secretDataType ?? SecretDataType.Seed)],
              keyBlock: { formatType: KeyFormatType.Opaque, form: 'bytes', keyValueAttributes: [] },
              value,
            };
      const obj = await registerObject(ctx, { objectType: req.objectType, attributes: req.attributes, content });
      ctx.idPlaceholder = obj.uid;
      return { uid: obj.uid };
    } finally {
      for (const s of shares) s.y.fill(0);
      value?.fill(0);
    }
  },
  encode(res) {
    return [text(Tag.UniqueIdentifier, res.uid)];
  },
  uids: (req, res) => [...req.uids, ...(res ? [res.uid] : [])],
});

export { createSplitKey, joinSplitKey };
