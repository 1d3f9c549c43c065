/**
 * The KMIP XML encoding (KMIP Additional Message Encodings v1.0 [ENC-1.0] §6; KMIP Profiles 2.1
 * §5.5). A TTLV item is an element named by its CamelCase tag (`<ActivationDate type="DateTime"
 * value="…"/>`), or the generic `<TTLV tag="0x420001" type="…" value="…"/>`. A missing `type`
 * means Structure; structures nest, every other type carries its value in `value`.
 *
 * The reader is a small strict XML parser of our own rather than a general one, so that the
 * attack surface is exactly what KMIP needs: no DTD (hence no entity expansion), only the five
 * predefined entities and character references, bounded size, depth and element count, and
 * every failure a `TtlvError` (BAD_SYNTAX for XML, BAD_TAG / UNKNOWN_TYPE / BAD_VALUE for KMIP).
 */
import type { TtlvDictionary } from './dictionary.js';
import { MAX_DEPTH, MAX_ITEMS } from './limits.js';
import { TtlvError } from './errors.js';
import type { ItemTypeName, TtlvNode } from './types.js';
import {
  type Site,
  type TextDecodeOptions,
  bigIntFromHex,
  bigIntToHex,
  bytesFromHex,
  bytesToHex,
  fail,
  formatEnum,
  formatIsoMicros,
  formatMaskParts,
  isItemTypeName,
  isMaskTag,
  isValidValue,
  makeNode,
  parseDateTime,
  parseDateTimeExtended,
  parseEnumText,
  parseInt32,
  parseInt64,
  parseMaskParts,
  parseTagText,
  parseUint32,
  placeholderValue,
  toFixedHex,
  valueContextTag,
} from './text-values.js';

/** The optional KMIP XML namespace (ENC-1.0 §6.1). */
export const KMIP_XML_NAMESPACE = 'urn:oasis:tc:kmip:xmlns';

/** Largest XML text accepted (characters). Stops memory exhaustion by one huge request. */
export const MAX_XML_CHARS = 16 * 1024 * 1024;
/**
 * Deepest item nesting and most elements per document: the binary codec's policy (limits.ts),
 * so an XML message cannot build a tree the TTLV layer would refuse from bytes.
 */
const MAX_XML_DEPTH = MAX_DEPTH;
const MAX_XML_ELEMENTS = MAX_ITEMS;

/** Options of the XML readers. */
export interface XmlDecodeOptions extends TextDecodeOptions {
  /** Override {@link MAX_XML_CHARS}. */
  maxChars?: number;
}

/** Options of the XML writer. */
export interface XmlEncodeOptions {
  /** Indentation per level; `''` writes everything on one line. Default two spaces. */
  indent?: string;
  /** Declare {@link KMIP_XML_NAMESPACE} on the top element. Default false. */
  namespace?: boolean;
  /** Write every item in the generic `<TTLV tag=… type=… value=…/>` form. Default false. */
  generic?: boolean;
}

/** A parsed XML element: only what the KMIP encoding uses. */
interface XmlElement {
  readonly name: string;
  readonly attrs: Map<string, string>;
  readonly children: XmlElement[];
  /** Non-whitespace character data seen directly inside the element. */
  hasText: boolean;
  readonly offset: number;
}

// --- A strict, minimal XML 1.0 reader ---------------------------------------------------------

const NAME = /[A-Za-z_:\u00C0-\uFFFF][A-Za-z0-9._:\u00B7\u00C0-\uFFFF-]*/y;
const WS = /[ \t\r\n]*/y;
// Characters XML 1.0 allows (§2.2); anything else, lone surrogates included, is a syntax error.
const BAD_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

class Reader {
  pos = 0;
  elements = 0;
  constructor(readonly src: string) {}

  err(what: string): never {
    throw new TtlvError('BAD_SYNTAX', `XML: ${what} at character ${this.pos}`, this.pos);
  }

  ws(): void {
    WS.lastIndex = this.pos;
    WS.test(this.src);
    this.pos = WS.lastIndex;
  }

  name(): string {
    NAME.lastIndex = this.pos;
    const m = NAME.exec(this.src);
    if (!m) this.err('expected a name');
    this.pos = NAME.lastIndex;
    return m[0];
  }

  skipPast(end: string, what: string): string {
    const i = this.src.indexOf(end, this.pos);
    if (i < 0) this.err(`unterminated ${what}`);
    const body = this.src.slice(this.pos, i);
    this.pos = i + end.length;
    return body;
  }

  /** Comments, processing instructions and whitespace between markup (prolog and misc). */
  misc(): void {
    for (;;) {
      this.ws();
      if (this.src.startsWith('<!--', this.pos)) this.comment();
      else if (this.src.startsWith('<?', this.pos)) this.pi();
      else return;
    }
  }

  comment(): void {
    this.pos += 4;
    const body = this.skipPast('-->', 'comment');
    if (body.includes('--') || body.endsWith('-')) this.err('"--" inside a comment');
  }

  pi(): void {
    this.pos += 2;
    const target = this.name();
    if (target.toLowerCase() === 'xml' && this.pos !== 5 + (this.src.charCodeAt(0) === 0xfeff ? 1 : 0)) {
      this.err('XML declaration not at the start');
    }
    this.skipPast('?>', 'processing instruction');
  }

  /** Replace entity and character references; `attr` also normalises literal whitespace (§3.3.3). */
  unescape(raw: string, attr: boolean): string {
    const s = attr ? raw.replace(/\r\n|[\t\n\r]/g, ' ') : raw;
    if (!s.includes('&')) return s;
    return s.replace(/&([^;&]{0,10});|&/g, (whole: string, ref: string | undefined) => {
      if (ref === undefined) this.err('bare "&"');
      if (ref in PREDEFINED) return PREDEFINED[ref] as string;
      const m = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(ref);
      if (!m) this.err('unknown entity reference (DTD entities are not supported)');
      const cp = m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2]);
      const ch = cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
      if (ch === '' || BAD_CHAR.test(ch)) this.err('character reference to a character XML forbids');
      return ch;
    });
  }

  element(depth: number, maxDepth: number): XmlElement {
    if (depth > maxDepth) throw new TtlvError('TOO_DEEP', `XML nesting deeper than ${maxDepth}`, this.pos);
    if (++this.elements > MAX_XML_ELEMENTS) throw new TtlvError('TOO_MANY_ITEMS', 'too many XML elements', this.pos);
    const offset = this.pos;
    this.pos++; // '<'
    const name = this.name();
    const attrs = new Map<string, string>();
    for (;;) {
      const before = this.pos;
      this.ws();
      const c = this.src[this.pos];
      if (c === '/' || c === '>') break;
      if (this.pos === before) this.err('expected whitespace before an attribute');
      const an = this.name();
      this.ws();
      if (this.src[this.pos] !== '=') this.err('expected "="');
      this.pos++;
      this.ws();
      const q = this.src[this.pos];
      if (q !== '"' && q !== "'") this.err('expected a quoted attribute value');
      this.pos++;
      const raw = this.skipPast(q, 'attribute value');
      if (raw.includes('<')) this.err('"<" in an attribute value');
      if (attrs.has(an)) this.err('duplicate attribute');
      attrs.set(an, this.unescape(raw, true));
    }
    const el: XmlElement = { name, attrs, children: [], hasText: false, offset };
    if (this.src.startsWith('/>', this.pos)) {
      this.pos += 2;
      return el;
    }
    if (this.src[this.pos] !== '>') this.err('expected ">"');
    this.pos++;
    for (;;) {
      this.ws(); // the common case: only indentation between elements, nothing to slice
      const lt = this.src.indexOf('<', this.pos);
      if (lt < 0) this.err('unclosed element');
      if (lt > this.pos) {
        const text = this.src.slice(this.pos, lt);
        if (text.includes(']]>')) this.err('"]]>" in character data');
        if (/[^ \t\r\n]/.test(this.unescape(text, false))) el.hasText = true;
      }
      this.pos = lt;
      if (this.src.startsWith('</', lt)) {
        this.pos += 2;
        if (this.name() !== name) this.err('mismatched end tag');
        this.ws();
        if (this.src[this.pos] !== '>') this.err('expected ">"');
        this.pos++;
        return el;
      }
      if (this.src.startsWith('<!--', lt)) this.comment();
      else if (this.src.startsWith('<![CDATA[', lt)) {
        this.pos += 9;
        if (/[^ \t\r\n]/.test(this.skipPast(']]>', 'CDATA section'))) el.hasText = true;
      } else if (this.src.startsWith('<?', lt)) this.pi();
      else if (this.src.startsWith('<!', lt)) this.err('markup declaration inside an element');
      else el.children.push(this.element(depth + 1, maxDepth));
    }
  }
}

/** Parse one XML document to its root element. DOCTYPE is refused: no DTD, no entity expansion. */
function parseDocument(xml: string, maxDepth: number, opts: XmlDecodeOptions | undefined, rootDepth: number): XmlElement {
  if (typeof xml !== 'string') throw new TtlvError('BAD_SYNTAX', 'XML input is not a string');
  const max = opts?.maxChars ?? MAX_XML_CHARS;
  if (xml.length > max) throw new TtlvError('TOO_LARGE', `XML longer than ${max} characters`);
  const r = new Reader(xml);
  const bad = BAD_CHAR.exec(xml);
  if (bad) {
    r.pos = bad.index;
    r.err('character XML forbids');
  }
  if (xml.charCodeAt(0) === 0xfeff) r.pos = 1;
  r.misc();
  if (r.src.startsWith('<!DOCTYPE', r.pos)) r.err('DOCTYPE is not accepted');
  if (r.src[r.pos] !== '<') r.err('expected the root element');
  const root = r.element(rootDepth, maxDepth);
  r.misc();
  if (r.pos !== xml.length) r.err('content after the root element');
  return root;
}

// --- XML elements -> TTLV ----------------------------------------------------------------------

/** In-scope namespace bindings: prefix ('' for default) -> URI. */
type Scope = ReadonlyMap<string, string>;

function enterScope(el: XmlElement, outer: Scope, site: Site): Scope {
  let scope: Map<string, string> | undefined;
  for (const [k, v] of el.attrs) {
    if (k !== 'xmlns' && !k.startsWith('xmlns:')) continue;
    if (v !== KMIP_XML_NAMESPACE && v !== '') fail('BAD_SYNTAX', 'namespace other than urn:oasis:tc:kmip:xmlns', site);
    scope ??= new Map(outer);
    scope.set(k === 'xmlns' ? '' : k.slice(6), v);
  }
  return scope ?? outer;
}

/** Local name of an element in the KMIP namespace (or in no namespace). */
function localName(el: XmlElement, scope: Scope, site: Site): string {
  const i = el.name.indexOf(':');
  if (i < 0) return el.name;
  if (scope.get(el.name.slice(0, i)) !== KMIP_XML_NAMESPACE) fail('BAD_SYNTAX', 'unbound element prefix', site);
  return el.name.slice(i + 1);
}

function toNode(
  el: XmlElement,
  dict: TtlvDictionary,
  opts: XmlDecodeOptions | undefined,
  outer: Scope,
  path: string,
  siblings: readonly TtlvNode[],
): TtlvNode {
  const site0: Site = { path, offset: el.offset };
  const scope = enterScope(el, outer, site0);
  const local = localName(el, scope, site0);
  const generic = local === 'TTLV';
  for (const k of el.attrs.keys()) {
    const ok = k === 'type' || k === 'value' || k === 'xmlns' || k.startsWith('xmlns:') || (generic && (k === 'tag' || k === 'name'));
    if (!ok) fail('BAD_SYNTAX', `unexpected attribute ${JSON.stringify(k.slice(0, 40))}`, site0);
  }
  let tag: number;
  if (generic) {
    const t = el.attrs.get('tag');
    if (t === undefined) fail('BAD_TAG', 'generic TTLV element without a tag attribute', site0);
    tag = parseTagText(dict, t, site0);
  } else {
    tag = parseTagText(dict, local, site0);
  }
  const site = { path, offset: el.offset, tag };
  const typeText = el.attrs.get('type') ?? 'Structure';
  if (!isItemTypeName(typeText)) fail('UNKNOWN_TYPE', 'unknown item type name', site);
  if (el.hasText) fail('BAD_SYNTAX', 'character data inside a KMIP element', site);
  const valueText = el.attrs.get('value');
  if (typeText === 'Structure') {
    if (valueText !== undefined) fail('BAD_SYNTAX', 'value attribute on a Structure', site);
    const kids: TtlvNode[] = [];
    const seen = new Map<string, number>();
    for (const c of el.children) {
      const n = (seen.get(c.name) ?? 0) + 1;
      seen.set(c.name, n);
      kids.push(toNode(c, dict, opts, scope, `${path}/${c.name}${n > 1 ? `[${n}]` : ''}`, kids));
    }
    return makeNode(tag, 'Structure', kids);
  }
  if (el.children.length > 0) fail('BAD_SYNTAX', `child elements inside a ${typeText}`, site);
  if (valueText === undefined) fail('BAD_VALUE', `${typeText} without a value attribute`, site);
  const ph = placeholderValue(opts, valueText, typeText, site);
  if (ph !== undefined) return makeNode(tag, typeText, ph);
  const ctx = valueContextTag(dict, tag, siblings, siblings.length);
  return makeNode(tag, typeText, parseXmlValue(dict, typeText, ctx, valueText, site));
}

/**
 * Decode one XML element holding a single TTLV item (e.g. one `<RequestMessage>`).
 * @throws TtlvError on any malformed XML, unknown tag or type name, or bad value.
 */
export function xmlToTtlv(xml: string, dict: TtlvDictionary, opts?: XmlDecodeOptions): TtlvNode {
  const root = parseDocument(xml, MAX_XML_DEPTH, opts, 1);
  return toNode(root, dict, opts, new Map(), `/${root.name}`, []);
}

/**
 * Decode a document whose root element (any name, e.g. the OASIS test cases' `<KMIP>`) holds
 * several top-level TTLV items in order. Character data directly inside the root is ignored
 * (the OVH transcriptions put `# TIME n` lines there).
 * @throws TtlvError as {@link xmlToTtlv}.
 */
export function xmlDocumentToTtlv(xml: string, dict: TtlvDictionary, opts?: XmlDecodeOptions): TtlvNode[] {
  const root = parseDocument(xml, MAX_XML_DEPTH, opts, 0);
  const scope = enterScope(root, new Map(), { path: `/${root.name}`, offset: root.offset });
  return root.children.map((c, i) => toNode(c, dict, opts, scope, `/${root.name}/${c.name}[${i + 1}]`, []));
}

// --- Values ------------------------------------------------------------------------------------

/** Parse the `value` attribute of a non-Structure item. ENC-1.0 §6.1.5. */
function parseXmlValue(dict: TtlvDictionary, type: Exclude<ItemTypeName, 'Structure'>, ctx: number, s: string, site: Site): TtlvNode['value'] {
  switch (type) {
    case 'Integer':
      // Masks are an xsd:list of bit names and/or hex; a lone decimal is still an xsd:int.
      if (isMaskTag(dict, ctx) && !/^[+-]?[0-9]+$/.test(s)) {
        return parseMaskParts(dict, ctx, s.split(/[ \t\r\n]+/).filter((p) => p !== ''), site);
      }
      return parseInt32(s, site);
    case 'LongInteger':
      return parseInt64(s, site);
    case 'BigInteger':
      // xsd:hexBinary (as the OASIS 2.1 vectors write it); the 0x form of §6.1.1 is also taken.
      return bigIntFromHex(s.startsWith('0x') ? s.slice(2) : s, site);
    case 'Enumeration':
      return parseEnumText(dict, ctx, s, site);
    case 'Boolean':
      // xsd:boolean lexical space.
      if (s === 'true' || s === '1') return true;
      if (s === 'false' || s === '0') return false;
      return fail('BAD_VALUE', 'Boolean is not true/false/1/0', site);
    case 'TextString':
      return s;
    case 'ByteString':
      return bytesFromHex(s, site);
    case 'DateTime':
      return parseDateTime(s, site);
    case 'Interval':
      return parseUint32(s, site, true);
    case 'DateTimeExtended':
      return parseDateTimeExtended(s, site);
  }
}

/** Format the value of a non-Structure node for its `value` attribute. */
function formatXmlValue(dict: TtlvDictionary, node: TtlvNode, ctx: number, site: Site): string {
  if (!isValidValue(node.type, node.value)) fail('BAD_VALUE', `invalid ${node.type} value`, site);
  switch (node.type) {
    case 'Integer':
      return isMaskTag(dict, ctx) ? formatMaskParts(dict, ctx, node.value).join(' ') : String(node.value);
    case 'LongInteger':
    case 'Interval':
      return String(node.value);
    case 'BigInteger':
      return bigIntToHex(node.value);
    case 'Enumeration':
      return formatEnum(dict, ctx, node.value);
    case 'Boolean':
      return node.value ? 'true' : 'false';
    case 'TextString':
      if (BAD_CHAR.test(node.value)) fail('BAD_VALUE', 'Text String holds a character XML 1.0 cannot carry', site);
      return node.value;
    case 'ByteString':
      return bytesToHex(node.value);
    case 'DateTime':
      return formatIsoMicros(node.value * 1_000_000n, false) ?? toFixedHex(node.value, 16);
    case 'DateTimeExtended':
      return formatIsoMicros(node.value, true) ?? toFixedHex(node.value, 16);
    case 'Structure':
      return fail('BAD_VALUE', 'Structure has no value text', site);
  }
}

// --- TTLV -> XML ---------------------------------------------------------------------------------

function escapeAttr(s: string): string {
  return s.replace(/[&<>"\t\n\r]/g, (c) => `&#x${c.charCodeAt(0).toString(16)};`);
}

function write(node: TtlvNode, dict: TtlvDictionary, opts: XmlEncodeOptions | undefined, out: string[], depth: number, path: string, siblings: readonly TtlvNode[], index: number, ns: string): void {
  if (depth > MAX_XML_DEPTH) throw new TtlvError('TOO_DEEP', `tree deeper than ${MAX_XML_DEPTH}`);
  const name = opts?.generic ? undefined : dict.tagName(node.tag);
  const site = { path: `${path}/${name ?? 'TTLV'}`, tag: node.tag };
  if (!isItemTypeName(node.type)) fail('UNKNOWN_TYPE', 'unknown item type', site);
  const pad = (opts?.indent ?? '  ').repeat(depth - 1);
  const nl = opts?.indent === '' ? '' : '\n';
  let head = name !== undefined ? `<${name}` : `<TTLV tag="${escapeAttr(parseTagForOutput(node.tag, site))}"`;
  head += ns;
  if (node.type === 'Structure') {
    if (!Array.isArray(node.value)) fail('BAD_VALUE', 'Structure value is not an array', site);
    if (node.value.length === 0) {
      out.push(`${pad}${head}/>${nl}`);
      return;
    }
    out.push(`${pad}${head}>${nl}`);
    node.value.forEach((c, i) => write(c, dict, opts, out, depth + 1, site.path, node.value, i, ''));
    out.push(`${pad}</${name ?? 'TTLV'}>${nl}`);
    return;
  }
  const ctx = valueContextTag(dict, node.tag, siblings, index);
  const text = formatXmlValue(dict, node, ctx, site);
  out.push(`${pad}${head} type="${node.type}" value="${escapeAttr(text)}"/>${nl}`);
}

function parseTagForOutput(tag: number, site: Site): string {
  if (!Number.isInteger(tag) || (tag >> 16 !== 0x42 && tag >> 16 !== 0x54) || tag > 0xffffff) fail('BAD_TAG', 'tag outside 0x42xxxx/0x54xxxx', site);
  return '0x' + tag.toString(16).padStart(6, '0');
}

/**
 * Encode a TTLV tree as KMIP XML. Known tags use the specific form, unknown and extension tags
 * (or all, with `generic`) the `<TTLV tag=…>` form; Structures carry no type attribute.
 * @throws TtlvError (BAD_VALUE, BAD_TAG) for values that cannot be represented.
 */
export function ttlvToXml(node: TtlvNode, dict: TtlvDictionary, opts?: XmlEncodeOptions): string {
  const out: string[] = [];
  write(node, dict, opts, out, 1, '', [], 0, opts?.namespace ? ` xmlns="${KMIP_XML_NAMESPACE}"` : '');
  return out.join('');
}
