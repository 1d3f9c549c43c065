/**
 * Managed objects as the operations see them, and their serialised form in the object store.
 *
 * Every attribute, server-maintained ones included (Unique Identifier, Object Type, State, dates),
 * lives in one list, so Get Attributes is a filter. The body stored is JSON whose attribute list is
 * a TTLV-encoded 2.x `Attributes` structure (exact types survive, no second value format).
 * Key material is never in the body in plaintext: only the HSM's wrapped blob or a resident id.
 */
import type { KeyRef, SymmetricAlgorithm } from '../crypto/provider.js';
import { type Attribute, decodeV2Attribute, encodeAttribute } from '../kmip/attributes.js';
import { itemNotFound, objectDestroyed } from '../kmip/errors.js';
import { State, Tag } from '../kmip/generated/index.js';
import { encodeIndexString, encodeIndexUint32 } from '../store/index-keys.js';
import type { IndexTerm, StoredObject } from '../store/object-store.js';
import { struct } from '../ttlv/build.js';
import { decodeTtlv } from '../ttlv/decode.js';
import { encodeTtlv } from '../ttlv/encode.js';
import type { TtlvNode } from '../ttlv/types.js';
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

/** Locate index terms: the attributes Locate filters on most (see the lifecycle issue for more). */
function indexTerms(obj: ManagedObject): IndexTerm[] {
  const terms: IndexTerm[] = [
    { field: 'objectType', value: encodeIndexUint32(obj.objectType) },
    { field: 'owner', value: encodeIndexString(obj.owner) },
  ];
  const state = attrNumber(obj, Tag.State);
  if (state !== undefined) terms.push({ field: 'state', value: encodeIndexUint32(state) });
  const alg = attrNumber(obj, Tag.CryptographicAlgorithm);
  if (alg !== undefined) terms.push({ field: 'cryptographicAlgorithm', value: encodeIndexUint32(alg) });
  for (const a of obj.attributes) {
    if (a.tag === Tag.Name && a.value.type === 'Structure') {
      const nv = a.value.value.find((c) => c.tag === Tag.NameValue);
      if (nv?.type === 'TextString') terms.push({ field: 'name', value: encodeIndexString(nv.value) });
    }
  }
  return terms;
}

interface Body {
  v: 1;
  objectType: number;
  attributes: string; // base64 TTLV `Attributes` structure
  key?: { alg: SymmetricAlgorithm; kind: 'wrapped'; mech: string; mkl: string; blob: string } | { alg: SymmetricAlgorithm; kind: 'resident'; id: string };
}

export function serializeObject(obj: ManagedObject): StoredObject {
  const attrs = struct(
    Tag.Attributes,
    obj.attributes.map((a) => encodeAttribute(a, V2)).filter((n): n is TtlvNode => n !== undefined),
  );
  const body: Body = { v: 1, objectType: obj.objectType, attributes: encodeTtlv(attrs).toString('base64') };
  if (obj.key !== undefined) {
    const r = obj.key.ref;
    body.key =
      r.kind === 'wrapped'
        ? { alg: obj.key.algorithm, kind: 'wrapped', mech: r.mechanism, mkl: r.masterKeyLabel, blob: Buffer.from(r.blob).toString('base64') }
        : { alg: obj.key.algorithm, kind: 'resident', id: r.id };
  }
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
  if (body.key !== undefined) {
    const k = body.key;
    key = {
      algorithm: k.alg,
      ref:
        k.kind === 'wrapped'
          ? { kind: 'wrapped', mechanism: k.mech, masterKeyLabel: k.mkl, blob: new Uint8Array(Buffer.from(k.blob, 'base64')) }
          : { kind: 'resident', id: k.id },
    };
  }
  return { uid: s.uid, owner: s.owner, revision: s.revision, objectType: body.objectType, attributes, key };
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


