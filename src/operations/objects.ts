/**
 * Managed objects as the operations see them, and their serialised form in the object store.
 *
 * Every attribute, server-maintained ones included (Unique Identifier, Object Type, State, dates),
 * lives in one list, so Get Attributes is a filter. The body stored is JSON whose attribute list is
 * a TTLV-encoded 2.x `Attributes` structure (exact types survive, no second value format).
 * Key material is never in the body in plaintext: only the HSM's wrapped blob or a resident id.
 *
 * Contents by object type (KMIP 2.1 §2.2):
 * - Symmetric Key whose algorithm the HSM implements (AES, 3DES, HMAC): `key`, an HSM key ref, so
 *   the crypto operations can use it; `content` (when registered) records the Key Format Type.
 * - Any other secret value (Secret Data, Opaque Object, Private Key, Split Key, PGP Key, other
 *   symmetric keys): `content` + `secret`, the value wrapped under the master key (objects/material.ts).
 * - Public Key and Certificate (not secret): `content` + `clear`, the bytes as registered.
 * Once an object is Destroyed its value is dropped from the body (KMIP 2.1 §6.1.16); metadata stays.
 */
import { randomBytes } from 'node:crypto';
import type { KeyRef, SymmetricAlgorithm } from '../crypto/provider.js';
import { type Attribute, decodeV2Attribute, encodeAttribute } from '../kmip/attributes.js';
import { itemNotFound, objectDestroyed } from '../kmip/errors.js';
import { State, Tag } from '../kmip/generated/index.js';
import type { KeyBlockInfo } from '../kmip/key-block.js';
import { encodeIndexString, encodeIndexUint32 } from '../store/index-keys.js';
import type { IndexTerm, StoredObject } from '../store/object-store.js';
import { struct } from '../ttlv/build.js';
import { decodeTtlv } from '../ttlv/decode.js';
import { encodeTtlv } from '../ttlv/encode.js';
import type { TtlvNode } from '../ttlv/types.js';
import { attributeTerms } from './locate/terms.js';
import type { SecretRef } from './objects/material.js';
import type { RequestContext } from './types.js';

const V2 = { major: 2, minor: 1 } as const;

export interface KeyMaterialRef {
  readonly ref: KeyRef;
  readonly algorithm: SymmetricAlgorithm;
}

export interface ManagedObject {
  readonly uid: string;
  readonly owner: string;
  readonly revision: number;
  readonly objectType: number;
  readonly attributes: readonly Attribute[];
  readonly key?: KeyMaterialRef;
  /** The object's value beyond `key`: type-specific fields and Key Block metadata (Register). */
  readonly content?: StoredContent;
}

/** What Register kept of the object structure (see src/kmip/key-block.ts). */
export interface StoredContent {
  /** Type-specific, non-secret children (Secret Data Type, Certificate Type, ...), verbatim. */
  readonly fields: readonly TtlvNode[];
  readonly keyBlock?: KeyBlockInfo;
  /** The value of a non-secret object (Public Key material, Certificate Value). */
  readonly clear?: Uint8Array;
  /** The value of a secret object that is not in `key`, wrapped under the master key. */
  readonly secret?: SecretRef;
}

let uidSequence = 0;

/**
 * A new Unique Identifier, shaped like a UUID, that sorts newest first: 48 bits of inverted
 * milliseconds, 16 bits of an inverted per-process sequence, then 64 random bits. Locate answers
 * in ascending uid order (ObjectStore.locate), so its results come most recent first, which is
 * the order the OASIS vectors expect (TC-OFFSET-1: the last created key is listed first).
 */
export function newUid(now: Date = new Date()): string {
  const t = (0xffff_ffff_ffffn - BigInt(now.getTime())) & 0xffff_ffff_ffffn;
  uidSequence = (uidSequence + 1) & 0xffff;
  const seq = 0xffff - uidSequence;
  const hex = t.toString(16).padStart(12, '0') + seq.toString(16).padStart(4, '0') + randomBytes(8).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** First value of a standard attribute, or undefined. */
export function attr(obj: Pick<ManagedObject, 'attributes'>, tag: number): TtlvNode | undefined {
  return obj.attributes.find((a) => a.tag === tag && a.vendor === undefined)?.value;
}

export function attrNumber(obj: Pick<ManagedObject, 'attributes'>, tag: number): number | undefined {
  const v = attr(obj, tag);
  return v !== undefined && (v.type === 'Enumeration' || v.type === 'Integer') ? v.value : undefined;
}

export function objectState(obj: ManagedObject): number {
  return attrNumber(obj, Tag.State) ?? State.PreActive;
}

/** Replaces every instance of a standard attribute with `value` (or removes it when undefined). */
export function withAttribute(obj: ManagedObject, tag: number, value: TtlvNode | undefined): ManagedObject {
  const rest = obj.attributes.filter((a) => !(a.tag === tag && a.vendor === undefined));
  return { ...obj, attributes: value === undefined ? rest : [...rest, { tag, value }] };
}

/**
 * Locate index terms (src/operations/locate/terms.ts): every attribute under `a:<key>`, plus the
 * storage status, plus the original named fields (objectType, owner, state, ...), kept for
 * compatibility with stores written before the generic terms existed.
 */
function indexTerms(obj: ManagedObject): IndexTerm[] {
  const terms: IndexTerm[] = [
    { field: 'objectType', value: encodeIndexUint32(obj.objectType) },
    { field: 'owner', value: encodeIndexString(obj.owner) },
  ];
  const state = attrNumber(obj, Tag.State);
  if (state !== undefined) terms.push({ field: 'state', value: encodeIndexUint32(state) });
  const alg = attrNumber(obj, Tag.CryptographicAlgorithm);
  if (alg !== undefined) terms.push({ field: 'cryptographicAlgorithm', value: encodeIndexUint32(alg) });
  const names = new Set<string>();
  for (const a of obj.attributes) {
    if (a.tag === Tag.Name && a.value.type === 'Structure') {
      const nv = a.value.value.find((c) => c.tag === Tag.NameValue);
      if (nv?.type === 'TextString' && !names.has(nv.value)) {
        names.add(nv.value);
        terms.push({ field: 'name', value: encodeIndexString(nv.value) });
      }
    }
  }
  return [...terms, ...attributeTerms(obj.attributes, state)];
}

type BodyKeyRef =
  | { kind: 'wrapped'; mech: string; mkl: string; blob: string; vl?: number }
  | { kind: 'resident'; id: string };

function refToBody(r: KeyRef): BodyKeyRef {
  return r.kind === 'wrapped'
    ? { kind: 'wrapped', mech: r.mechanism, mkl: r.masterKeyLabel, blob: Buffer.from(r.blob).toString('base64'), ...(r.valueLength !== undefined ? { vl: r.valueLength } : {}) }
    : { kind: 'resident', id: r.id };
}

function refFromBody(k: BodyKeyRef): KeyRef {
  return k.kind === 'wrapped'
    ? {
        kind: 'wrapped',
        mechanism: k.mech,
        masterKeyLabel: k.mkl,
        blob: new Uint8Array(Buffer.from(k.blob, 'base64')),
        ...(k.vl !== undefined ? { valueLength: k.vl } : {}),
      }
    : { kind: 'resident', id: k.id };
}

interface BodyContent {
  fields: string; // base64 TTLV of a Structure holding the fields
  kb?: Omit<KeyBlockInfo, 'keyValueAttributes' | 'wrappingData'> & { kva: string; wd?: string };
  clear?: string;
  secret?: { len: number; chunks: BodyKeyRef[] };
}

function ttlvList(nodes: readonly TtlvNode[]): string {
  return encodeTtlv(struct(Tag.Attributes, [...nodes])).toString('base64');
}

function ttlvListFrom(b64: string): TtlvNode[] {
  const tree = decodeTtlv(Buffer.from(b64, 'base64'));
  return tree.type === 'Structure' ? tree.value : [];
}

function contentToBody(c: StoredContent, destroyed: boolean): BodyContent {
  const out: BodyContent = { fields: ttlvList(c.fields) };
  if (c.keyBlock !== undefined) {
    const { keyValueAttributes, wrappingData, ...rest } = c.keyBlock;
    out.kb = { ...rest, kva: ttlvList(keyValueAttributes), ...(wrappingData !== undefined ? { wd: ttlvList([wrappingData]) } : {}) };
  }
  if (destroyed) return out;
  if (c.clear !== undefined) out.clear = Buffer.from(c.clear).toString('base64');
  if (c.secret !== undefined) out.secret = { len: c.secret.length, chunks: c.secret.chunks.map(refToBody) };
  return out;
}

function contentFromBody(b: BodyContent): StoredContent {
  let keyBlock: KeyBlockInfo | undefined;
  if (b.kb !== undefined) {
    const { kva, wd, ...rest } = b.kb;
    const wrappingData = wd !== undefined ? ttlvListFrom(wd)[0] : undefined;
    keyBlock = { ...rest, keyValueAttributes: ttlvListFrom(kva), ...(wrappingData !== undefined ? { wrappingData } : {}) };
  }
  return {
    fields: ttlvListFrom(b.fields),
    ...(keyBlock !== undefined ? { keyBlock } : {}),
    ...(b.clear !== undefined ? { clear: new Uint8Array(Buffer.from(b.clear, 'base64')) } : {}),
    ...(b.secret !== undefined ? { secret: { length: b.secret.len, chunks: b.secret.chunks.map(refFromBody) } } : {}),
  };
}

interface Body {
  v: 1;
  objectType: number;
  attributes: string; // base64 TTLV `Attributes` structure
  key?: { alg: SymmetricAlgorithm } & BodyKeyRef;
  content?: BodyContent;
}

export function serializeObject(obj: ManagedObject): StoredObject {
  const attrs = struct(
    Tag.Attributes,
    obj.attributes.map((a) => encodeAttribute(a, V2)).filter((n): n is TtlvNode => n !== undefined),
  );
  const body: Body = { v: 1, objectType: obj.objectType, attributes: encodeTtlv(attrs).toString('base64') };
  const state = objectState(obj);
  const destroyed = state === State.Destroyed || state === State.DestroyedCompromised;
  if (obj.key !== undefined && !destroyed) body.key = { alg: obj.key.algorithm, ...refToBody(obj.key.ref) };
  if (obj.content !== undefined) body.content = contentToBody(obj.content, destroyed);
  return {
    uid: obj.uid,
    owner: obj.owner,
    revision: obj.revision,
    body: Buffer.from(JSON.stringify(body)),
    index: indexTerms(obj),
  };
}

export function deserializeObject(s: StoredObject): ManagedObject {
  const body = JSON.parse(Buffer.from(s.body).toString('utf8')) as Body;
  const tree = decodeTtlv(Buffer.from(body.attributes, 'base64'));
  const attributes = tree.type === 'Structure' ? tree.value.map(decodeV2Attribute) : [];
  let key: KeyMaterialRef | undefined;
  if (body.key !== undefined) key = { algorithm: body.key.alg, ref: refFromBody(body.key) };
  const obj: ManagedObject = { uid: s.uid, owner: s.owner, revision: s.revision, objectType: body.objectType, attributes, key };
  return body.content !== undefined ? { ...obj, content: contentFromBody(body.content) } : obj;
}

/** The uid a request names, or the ID Placeholder (KMIP 2.1 §4.58), or Missing Data. */
export function resolveUid(ctx: RequestContext, uid: string | undefined): string {
  const r = uid ?? ctx.idPlaceholder;
  if (r === undefined) throw itemNotFound();
  return r;
}

/**
 * Loads an object the principal may use. Until the policy issue widens it, only the owner may
 * (an object of another owner is reported as not found, so its existence does not leak).
 */
export async function loadObject(ctx: RequestContext, uid: string, opts: { allowDestroyed?: boolean } = {}): Promise<ManagedObject> {
  const stored = await ctx.tx.get(uid);
  if (stored === undefined) throw itemNotFound(uid);
  const obj = deserializeObject(stored);
  if (obj.owner !== ctx.principal) throw itemNotFound(uid);
  const st = objectState(obj);
  if (!opts.allowDestroyed && (st === State.Destroyed || st === State.DestroyedCompromised)) {
    // KMIP 1.x has no "Object Destroyed" reason (added in 2.0); 1.x clients get Item Not Found.
    throw ctx.version.major >= 2 ? objectDestroyed(uid) : itemNotFound(uid);
  }
  return obj;
}

export function saveObject(ctx: RequestContext, obj: ManagedObject): void {
  ctx.tx.put(serializeObject(obj));
}


