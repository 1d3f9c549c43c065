/**
 * Request substitution and response comparison for the OASIS replay. Everything must match except
 * what KMIP Additional Message Encodings §8.4 ("Permitted Test Case Variations") lets vary:
 * identifiers and placeholders are bound on first sight and must stay consistent; $NOW dates,
 * Result Message text, time stamps, correlation values and Query lists may differ; responses may
 * carry extra attributes; the Digest's value and key format are the server's choice; a 1.x Attribute
 * Index of 0 equals an absent one (KMIP 1.4 §2.1.1, see `withoutIndexZero`); server-set dates and
 * Short Unique Identifiers printed as literals are the recording server's, not compared as literals.
 * Mismatch messages name the path and types, never key bytes.
 */
import { kmipDictionary } from '../../src/kmip/dictionary.js';
import { Operation, PKCS_11Function, Tag } from '../../src/kmip/generated/index.js';
import type { TtlvNode } from '../../src/ttlv/types.js';
import { type Bindings, bytePlaceholder, nowOffset, textPlaceholder } from './bindings.js';

const name = (tag: number): string => kmipDictionary.tagName(tag) ?? `0x${tag.toString(16)}`;

/** Identifiers a server chooses: a literal in a vector is bound like a placeholder. */
const IDENTIFIER_TAGS = new Set<number>([
  Tag.UniqueIdentifier,
  Tag.PrivateKeyUniqueIdentifier,
  Tag.PublicKeyUniqueIdentifier,
  Tag.LinkedObjectIdentifier,
  Tag.AsynchronousCorrelationValue,
  Tag.CorrelationValue,
]);

/**
 * Dates the server sets when it creates or changes an object. A vector should print them as
 * `$NOW`, but some recordings kept their server's literal date (TC-IMPEXP-*-20 shows 2018's
 * Initial Date and Last Change Date). §8.4 lets dates vary, so a literal here is not compared;
 * the server's value must instead fall inside this replay run (a few seconds of slack).
 */
const SERVER_DATE_TAGS = new Set<number>([Tag.InitialDate, Tag.LastChangeDate, Tag.OriginalCreationDate]);
const RUN_STARTED_S = BigInt(Math.floor(Date.now() / 1000));
const DATE_SLACK_S = 5n;

function withinRun(actual: bigint, extended: boolean): boolean {
  const s = extended ? actual / 1_000_000n : actual;
  return s >= RUN_STARTED_S - DATE_SLACK_S && s <= BigInt(Math.floor(Date.now() / 1000)) + DATE_SLACK_S;
}

/** Containers whose children are a set of attributes: order-free, extras allowed. */
const ATTRIBUTE_SETS = new Set<number>([Tag.Attributes, Tag.TemplateAttribute, Tag.CommonAttributes, Tag.PrivateKeyAttributes, Tag.PublicKeyAttributes]);

/** Optional response fields a server may add (e.g. 1.x Create's Template-Attribute). */
const OPTIONAL_EXTRA = new Set<number>([Tag.TemplateAttribute, Tag.Attributes, Tag.Attribute]);

/** Header fields that are not compared (§8.4: time stamps, correlation values, nonces). */
const HEADER_COMPARED = new Set<number>([Tag.ProtocolVersion, Tag.BatchCount]);

/** Replaces bound placeholders and identifiers in a request, and $NOW markers with `now`. */
export function substitute(node: TtlvNode, b: Bindings, now: bigint): TtlvNode {
  switch (node.type) {
    case 'Structure':
      return { ...node, value: node.value.map((c) => substitute(c, b, now)) };
    case 'TextString': {
      const bound = b.textValue(node.value);
      return bound !== undefined && (textPlaceholder(node.value) !== undefined || IDENTIFIER_TAGS.has(node.tag)) ? { ...node, value: bound } : node;
    }
    case 'ByteString': {
      const token = bytePlaceholder(node.value);
      const bound = token === undefined ? undefined : b.bytesValue(token);
      return bound === undefined ? node : { ...node, value: bound };
    }
    case 'DateTime': {
      const off = nowOffset(node.value);
      return off === undefined ? node : { ...node, value: now + off };
    }
    case 'DateTimeExtended': {
      const off = nowOffset(node.value);
      return off === undefined ? node : { ...node, value: (now + off) * 1_000_000n };
    }
    default:
      return node;
  }
}

type Result = string | undefined;

/** `$MAC_DATA` for MACData, `$IV_COUNTER_NONCE` for IVCounterNonce: the vectors' placeholder naming. */
export function impliedPlaceholder(tag: number): string | undefined {
  const n = kmipDictionary.tagName(tag);
  if (n === undefined) return undefined;
  return `$${n.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2').toUpperCase()}`;
}

function leaf(e: TtlvNode, a: TtlvNode, b: Bindings, path: string, inDigest: boolean): Result {
  if (e.type !== a.type) return `${path}: expected type ${e.type}, got ${a.type}`;
  switch (e.type) {
    case 'TextString': {
      const av = a.value as string;
      if (textPlaceholder(e.value) !== undefined || IDENTIFIER_TAGS.has(e.tag)) {
        const err = b.bindText(e.value, av);
        return err && `${path}: ${err}`;
      }
      return e.value === av ? undefined : `${path}: text differs`;
    }
    case 'ByteString': {
      const av = a.value as Uint8Array;
      const token = bytePlaceholder(e.value);
      if (token !== undefined) {
        const err = b.bindBytes(token, av);
        return err && `${path}: ${err}`;
      }
      // A later request may name this output by placeholder (CS-AC-M-6 sends `$MAC_DATA` after a
      // MAC whose recorded response shows literal bytes): remember it under the tag's name.
      const implied = impliedPlaceholder(e.tag);
      if (implied !== undefined) b.implyBytes(implied, av);
      if (inDigest && e.tag === Tag.DigestValue) return undefined;
      // The Short Unique Identifier is the server's choice like the Unique Identifier it stands for
      // (TC-IMPEXP-3-20 prints its server's literal): bound on first sight, consistent afterwards.
      if (e.tag === Tag.ShortUniqueIdentifier) {
        const err = b.bindBytes(`#SHORT_UID:${Buffer.from(e.value).toString('hex')}`, av);
        return err && `${path}: ${err}`;
      }
      // §8.4: server-generated key material varies; the vectors print a filler of the right length.
      if (e.tag === Tag.KeyMaterial && e.value.length === av.length) return undefined;
      return Buffer.from(e.value).equals(Buffer.from(av)) ? undefined : `${path}: bytes differ (expected ${e.value.length} bytes, got ${av.length})`;
    }
    case 'DateTime':
    case 'DateTimeExtended':
      if (nowOffset(e.value) !== undefined) return undefined;
      if (e.value === a.value) return undefined;
      // An Import sets the literal as given (TC-IMPEXP-4-20), so equal is fine; else it must be ours.
      if (SERVER_DATE_TAGS.has(e.tag)) return withinRun(a.value as bigint, e.type === 'DateTimeExtended') ? undefined : `${path}: server-set date outside this run`;
      return `${path}: date differs`;
    case 'Enumeration':
      if (inDigest && e.tag === Tag.KeyFormatType) return undefined;
      return e.value === a.value
        ? undefined
        : `${path}: expected ${kmipDictionary.enumName(e.tag, e.value) ?? e.value}, got ${kmipDictionary.enumName(a.tag, a.value as number) ?? String(a.value)}`;
    default:
      return e.value === a.value ? undefined : `${path}: expected ${String(e.value)}, got ${String(a.value)}`;
  }
}

/** The Attribute Name of a 1.x `Attribute` structure. */
function v1Name(e: TtlvNode): string | undefined {
  if (e.type !== 'Structure' || e.tag !== Tag.Attribute) return undefined;
  const n = e.value.find((c) => c.tag === Tag.AttributeName);
  return n?.type === 'TextString' ? n.value : undefined;
}

/** A 1.x `Attribute` {Attribute Name "Digest", Attribute Value}: the Digest in its 1.x form. */
function isV1Digest(e: TtlvNode): boolean {
  return v1Name(e) === 'Digest';
}

/** A canonical text of a subtree, for binding whole structures. */
export function canonical(n: TtlvNode): string {
  if (n.type === 'Structure') return `${n.tag}{${n.value.map(canonical).join(',')}}`;
  const v = n.value instanceof Uint8Array ? Buffer.from(n.value).toString('hex') : String(n.value);
  return `${n.tag}:${n.type}:${v}`;
}

/**
 * The Random Number Generator attribute describes the server's generator, not the case (KMIP 1.4
 * §3.44, 2.1 §4.48; the vectors show their server's ANSI X9.31 generator): it must be a well-formed
 * structure naming an RNG Algorithm, and it is bound once per run (every case must see the same
 * value) instead of compared with the recording — unless the case's client supplied that value.
 */
function rngFact(e: TtlvNode, a: TtlvNode, b: Bindings, path: string): Result {
  // A generator the client named when it made the object is the client's value: compare it.
  if (b.clientValues.has(canonical(e))) return canonical(e) === canonical(a) ? undefined : `${path}: differs from the value the client set`;
  if (a.type !== 'Structure') return `${path}: expected a structure, got ${a.type}`;
  if (!a.value.some((c) => c.tag === Tag.RNGAlgorithm && c.type === 'Enumeration')) return `${path}: missing RNGAlgorithm`;
  // The value's own tag (2.x RandomNumberGenerator, 1.x AttributeValue) is not part of it.
  const err = b.server.bind('Random Number Generator', a.value.map(canonical).join(','));
  return err && `${path}: ${err}`;
}

/**
 * A 1.x `Attribute` without an Attribute Index of 0. KMIP 1.4 §2.1.1 (and 1.0-1.3 alike): "When
 * an Attribute structure is used to specify or return a particular instance of an Attribute and
 * the Attribute Index is not specified it SHALL be assumed to be 0". So an explicit index 0 and
 * none are the same answer: the OASIS recordings leave it out (TC-CREG-1-14, TC-REKEY-1-14), kmipd
 * writes it on multi-instance attributes because PyKMIP's client reads it.
 */
function withoutIndexZero(n: TtlvNode): TtlvNode {
  if (n.type !== 'Structure' || n.tag !== Tag.Attribute) return n;
  const isZero = (c: TtlvNode) => c.tag === Tag.AttributeIndex && c.type === 'Integer' && c.value === 0;
  return n.value.some(isZero) ? { ...n, value: n.value.filter((c) => !isZero(c)) } : n;
}

/** CK_INFO in the KMIP Profiles 2.0 §5.18 encoding: version (2), manufacturerID (32), flags (CK_ULONG, 8), libraryDescription (32), version (2). */
const CK_INFO_BYTES = 76;

/**
 * The PKCS#11 C_GetInfo answer (OASIS PKCS11-M-1-20/-21) describes the server's Cryptoki library
 * (the recording shows its vendor's "TEST Pty Ltd"), not the case: like the Random Number
 * Generator it must be a CK_INFO of the right size and the same value every time in the run; the
 * rest of the payload is compared as usual.
 */
function pkcs11InfoFact(e: TtlvNode, a: TtlvNode, b: Bindings, path: string): Result {
  const out = field(a, Tag.PKCS_11OutputParameters);
  if (out?.type !== 'ByteString') return `${path}: missing PKCS_11OutputParameters`;
  if (out.value.length !== CK_INFO_BYTES) return `${path}/PKCS_11OutputParameters: expected a ${CK_INFO_BYTES}-byte CK_INFO, got ${out.value.length} bytes`;
  const err = b.server.bind('PKCS#11 CK_INFO', Buffer.from(out.value).toString('hex'));
  if (err) return `${path}/PKCS_11OutputParameters: ${err}`;
  return compareNode(withField(e, Tag.PKCS_11OutputParameters, out), a, b, path.slice(0, path.lastIndexOf('/')));
}

function isGetInfo(e: TtlvNode): boolean {
  const fn = field(e, Tag.PKCS_11Function);
  return e.tag === Tag.ResponsePayload && fn?.type === 'Enumeration' && fn.value === PKCS_11Function.C_GetInfo && field(e, Tag.PKCS_11OutputParameters) !== undefined;
}

/** Compares `a` (actual) against `e` (expected). Returns the first mismatch, or undefined. */
export function compareNode(eIn: TtlvNode, aIn: TtlvNode, b: Bindings, path: string, inDigest = false): Result {
  const e = withoutIndexZero(eIn);
  const a = withoutIndexZero(aIn);
  if (e.tag !== a.tag) return `${path}: expected ${name(e.tag)}, got ${name(a.tag)}`;
  const here = `${path}/${name(e.tag)}`;
  if (e.type !== 'Structure' || a.type !== 'Structure') return leaf(e, a, b, here, inDigest);
  if (e.tag === Tag.RandomNumberGenerator) return rngFact(e, a, b, here);
  // Once pkcs11InfoFact has put the actual CK_INFO into `e`, the two are the same node and this is skipped.
  if (isGetInfo(e) && field(e, Tag.PKCS_11OutputParameters) !== field(a, Tag.PKCS_11OutputParameters)) return pkcs11InfoFact(e, a, b, here);
  if (v1Name(e) === 'Random Number Generator') {
    const an = a.value.find((c) => c.tag === Tag.AttributeName);
    if (an?.type !== 'TextString' || an.value !== 'Random Number Generator') return `${here}/AttributeName: text differs`;
    const av = a.value.find((c) => c.tag === Tag.AttributeValue);
    const ev = e.value.find((c) => c.tag === Tag.AttributeValue);
    if (ev === undefined) return undefined;
    return av === undefined ? `${here}: missing AttributeValue` : rngFact(ev, av, b, `${here}/AttributeValue`);
  }
  const digest = inDigest || e.tag === Tag.Digest || isV1Digest(e);
  if (ATTRIBUTE_SETS.has(e.tag)) return compareSet(e.value, a.value, b, here, digest);
  let j = 0;
  for (const ec of e.value) {
    while (j < a.value.length && a.value[j]!.tag !== ec.tag && OPTIONAL_EXTRA.has(a.value[j]!.tag)) j++;
    const ac = a.value[j];
    if (ac === undefined) return `${here}: missing ${name(ec.tag)}`;
    const err = compareNode(ec, ac, b, here, digest);
    if (err) return err;
    j++;
  }
  for (; j < a.value.length; j++) {
    if (!OPTIONAL_EXTRA.has(a.value[j]!.tag)) return `${here}: unexpected ${name(a.value[j]!.tag)}`;
  }
  return undefined;
}

/** Each expected child must match a distinct actual child, in any order; extras are allowed. */
function compareSet(es: readonly TtlvNode[], as: readonly TtlvNode[], b: Bindings, path: string, digest: boolean): Result {
  const used = new Set<number>();
  for (const ec of es) {
    let firstErr: string | undefined;
    let found = false;
    for (let i = 0; i < as.length && !found; i++) {
      if (used.has(i) || as[i]!.tag !== ec.tag) continue;
      const err = compareNode(ec, as[i]!, b, path, digest);
      if (err === undefined) {
        used.add(i);
        found = true;
      } else firstErr ??= err;
    }
    if (!found) {
      // A missing name is clearer than the first near miss.
      if (ec.type === 'TextString' && textPlaceholder(ec.value) === undefined) return `${path}: missing ${name(ec.tag)} "${ec.value}"`;
      if (ec.type === 'Enumeration') return `${path}: missing ${name(ec.tag)} ${kmipDictionary.enumName(ec.tag, ec.value) ?? ec.value}`;
      return firstErr ?? `${path}: missing ${name(ec.tag)}`;
    }
  }
  return undefined;
}

/** Every expected child matches an actual child, in order, with extras allowed between them. */
function subsequence(es: readonly TtlvNode[], as: readonly TtlvNode[], b: Bindings, path: string): Result {
  let j = 0;
  for (const ec of es) {
    while (j < as.length && compareNode(ec, as[j]!, b, path) !== undefined) j++;
    if (j === as.length) return `${path}: ${name(ec.tag)} missing or out of order`;
    j++;
  }
  return undefined;
}

/** Compares a whole response message. */
export function compareResponse(e: TtlvNode, a: TtlvNode, b: Bindings): Result {
  if (e.type !== 'Structure' || a.type !== 'Structure' || a.tag !== Tag.ResponseMessage) return 'not a Response Message';
  const eh = e.value.find((n) => n.tag === Tag.ResponseHeader);
  const ah = a.value.find((n) => n.tag === Tag.ResponseHeader);
  if (eh?.type !== 'Structure' || ah?.type !== 'Structure') return 'missing Response Header';
  for (const f of eh.value) {
    if (!HEADER_COMPARED.has(f.tag)) continue;
    const af = ah.value.find((n) => n.tag === f.tag);
    if (af === undefined) return `ResponseHeader: missing ${name(f.tag)}`;
    const err = compareNode(f, af, b, 'ResponseHeader');
    if (err) return err;
  }
  const eItems = e.value.filter((n) => n.tag === Tag.BatchItem);
  const aItems = a.value.filter((n) => n.tag === Tag.BatchItem);
  if (eItems.length !== aItems.length) return `expected ${eItems.length} batch items, got ${aItems.length}`;
  for (let i = 0; i < eItems.length; i++) {
    const err = compareItem(eItems[i]!, aItems[i]!, b, `BatchItem[${i}]`);
    if (err) return err;
  }
  return undefined;
}

function compareItem(e: TtlvNode, a: TtlvNode, b: Bindings, path: string): Result {
  if (e.type !== 'Structure' || a.type !== 'Structure') return `${path}: not a structure`;
  const get = (s: readonly TtlvNode[], tag: number) => s.find((n) => n.tag === tag);
  for (const tag of [Tag.Operation, Tag.UniqueBatchItemID, Tag.ResultStatus, Tag.ResultReason]) {
    const ev = get(e.value, tag);
    const av = get(a.value, tag);
    if (ev === undefined) continue;
    if (av === undefined) return `${path}: missing ${name(tag)}`;
    const err = compareNode(ev, av, b, path);
    if (err) {
      // Say why the server failed (its Result Reason and Message, which carry no key material).
      const reason = get(a.value, Tag.ResultReason);
      const msg = get(a.value, Tag.ResultMessage);
      const why = [reason?.type === 'Enumeration' ? kmipDictionary.enumName(Tag.ResultReason, reason.value) : undefined, msg?.type === 'TextString' ? msg.value : undefined].filter(Boolean).join(': ');
      return tag === Tag.ResultStatus && why !== '' ? `${err} (${why})` : err;
    }
  }
  const op = get(e.value, Tag.Operation);
  const ep = get(e.value, Tag.ResponsePayload);
  const ap = get(a.value, Tag.ResponsePayload);
  // §8.4: Query lists may differ (extensions, namespaces, extra object and operation types).
  if (op?.value === Operation.Query) return undefined;
  // §8.4: a server may list extra versions in Discover Versions; the recorded ones must appear in order.
  if (op?.value === Operation.DiscoverVersions && ep?.type === 'Structure' && ap?.type === 'Structure') {
    return subsequence(ep.value, ap.value, b, `${path}/ResponsePayload`);
  }
  if (ep === undefined) return undefined;
  if (ap === undefined) return `${path}: missing ResponsePayload`;
  // RNG Retrieve returns random bytes: only their length is the server's to match.
  if (op?.value === Operation.RNGRetrieve) {
    const ed = field(ep, Tag.Data);
    const ad = field(ap, Tag.Data);
    if (ed?.type === 'ByteString' && ad?.type === 'ByteString') {
      if (ed.value.length !== ad.value.length) return `${path}/ResponsePayload/Data: expected ${ed.value.length} random bytes, got ${ad.value.length}`;
      return compareNode(withField(ep, Tag.Data, ad), ap, b, path);
    }
  }
  // Get Attributes / Get Attribute List answer a set of attributes or names (KMIP 1.4 §4.12-4.13,
  // 2.1 §6.1.22-6.1.23 give no order): after the Unique Identifier, order-free, extras allowed.
  if ((op?.value === Operation.GetAttributes || op?.value === Operation.GetAttributeList) && ep.type === 'Structure' && ap.type === 'Structure') {
    const here = `${path}/ResponsePayload`;
    const eu = field(ep, Tag.UniqueIdentifier);
    const au = field(ap, Tag.UniqueIdentifier);
    if (eu !== undefined) {
      if (au === undefined) return `${here}: missing UniqueIdentifier`;
      const err = compareNode(eu, au, b, here);
      if (err) return err;
    }
    const rest = (n: readonly TtlvNode[]) => n.filter((c) => c.tag !== Tag.UniqueIdentifier);
    return compareSet(rest(ep.value), rest(ap.value), b, here, false);
  }
  return compareNode(ep, ap, b, path);
}

/** The first child of a structure with `tag`. */
export function field(n: TtlvNode, tag: number): TtlvNode | undefined {
  return n.type === 'Structure' ? n.value.find((c) => c.tag === tag) : undefined;
}

/** `n` with its first child of `replacement.tag` replaced. */
export function withField(n: TtlvNode, tag: number, replacement: TtlvNode): TtlvNode {
  if (n.type !== 'Structure') return n;
  let done = false;
  return {
    ...n,
    value: n.value.map((c) => {
      if (done || c.tag !== tag) return c;
      done = true;
      return replacement;
    }),
  };
}

/** Random Number Generator values the case's requests carry (client-set, so compared exactly). */
export function clientRngValues(requests: readonly TtlvNode[]): string[] {
  const out: string[] = [];
  const walk = (n: TtlvNode): void => {
    if (n.type !== 'Structure') return;
    if (n.tag === Tag.RandomNumberGenerator) out.push(canonical(n));
    if (v1Name(n) === 'Random Number Generator') {
      const v = n.value.find((c) => c.tag === Tag.AttributeValue);
      if (v !== undefined) out.push(canonical(v));
    }
    n.value.forEach(walk);
  };
  requests.forEach(walk);
  return out;
}
