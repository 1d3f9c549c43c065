/**
 * KMIP 1.x Template objects (KMIP 1.4 §2.2.6; deprecated in 1.3, removed in 2.0) and the Names of
 * Templates a 1.x Template-Attribute may carry (1.4 §2.1.8).
 *
 * A Template is a named, stored list of attributes for new objects. kmipd keeps it as a managed
 * object of type Template whose own attributes are those the spec lists as applying to the
 * Template itself (Unique Identifier, Object Type, Name, Initial Date, Last Change Date; and
 * custom attributes given in the Register's Template-Attribute), and whose content is the list of
 * attributes for objects created from it, stored in the 2.x attribute form.
 *
 * A request's Template-Attribute (Create, Create Key Pair's three, Register, Re-key, Derive Key,
 * ...) naming templates is expanded before the operation decodes it
 * ({@link expandTemplateReferences}): the templates' attributes in the order they are named, a
 * later template's value of an attribute replacing an earlier one's, and the attributes given
 * explicitly in the Template-Attribute replacing the templates' values of the same attribute
 * (1.4 §2.1.8: the explicit attributes take precedence). A Name that no Template of the caller has
 * is Item Not Found. 2.x has no templates: a 2.x request naming one is Feature Not Supported (by
 * the attribute decoder).
 */
import { type Attribute, attributeKey, decodeV1Attribute, decodeV2Attribute, encodeAttribute } from '../../kmip/attributes.js';
import { checkClientSuppliedAttributes } from '../../kmip/attribute-rules.js';
import { KmipError, invalidField, missingData } from '../../kmip/errors.js';
import { tagLabel } from '../../kmip/fields.js';
import { NameType, ObjectType, ResultReason, Tag } from '../../kmip/generated/index.js';
import { is2x } from '../../kmip/protocol-version.js';
import { encodeIndexString } from '../../store/index-keys.js';
import { dateTime, enm, struct, text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { STORAGE_ONLINE, attributeField, encodeAttributeValue } from '../locate/terms.js';
import { type ManagedObject, deserializeObject, newUid, saveObject } from '../objects.js';
import type { RequestContext } from '../types.js';

const V2 = { major: 2, minor: 1 } as const;

/** The request containers that are Template-Attribute structures (1.4 §2.1.8). */
const TEMPLATE_ATTRIBUTE_TAGS = new Set<number>([
  Tag.TemplateAttribute,
  Tag.CommonTemplateAttribute,
  Tag.PrivateKeyTemplateAttribute,
  Tag.PublicKeyTemplateAttribute,
]);

/** Attributes that apply to the Template object itself rather than to objects made from it. */
function appliesToTemplateItself(a: Attribute): boolean {
  return a.vendor === undefined && a.tag === Tag.Name;
}

/** The Attribute structures of a Register's `Template` object (1.4 §2.2.6: Attribute, may be repeated). */
export function decodeTemplateContent(node: TtlvNode | undefined): TtlvNode[] {
  if (node === undefined) throw missingData('Register: Template is required for this Object Type');
  if (node.type !== 'Structure') throw invalidField('Template must be a Structure');
  for (const c of node.value) {
    if (c.tag !== Tag.Attribute) throw invalidField(`Template: unexpected ${tagLabel(c.tag)}`);
  }
  return node.value;
}

/**
 * Register of a Template (1.x only). `requestAttributes` are the Register's Template-Attribute;
 * `content` the Attribute structures of the Template. Names (from either) name the Template;
 * custom attributes of the Template-Attribute are the Template's own; every other attribute is
 * one for objects created from it, the Template-Attribute's replacing the content's.
 */
export function registerTemplate(ctx: RequestContext, requestAttributes: readonly Attribute[], content: readonly TtlvNode[]): ManagedObject {
  if (is2x(ctx.version)) throw new KmipError(ResultReason.FeatureNotSupported, 'Templates do not exist in KMIP 2.x');
  const own: Attribute[] = [];
  const forObjects: Attribute[] = [];
  for (const a of content.map(decodeV1Attribute)) (appliesToTemplateItself(a) ? own : forObjects).push(a);
  const explicit: Attribute[] = [];
  for (const a of requestAttributes) {
    if (a.vendor === undefined && a.tag === Tag.ObjectType) {
      if (a.value.type !== 'Enumeration' || a.value.value !== ObjectType.Template) throw invalidField('Object Type attribute disagrees with the request');
      continue;
    }
    (appliesToTemplateItself(a) || a.vendor !== undefined ? own : explicit).push(a);
  }
  // "A Template is a named Managed Object" (1.4 §2.2.6): requests name it to use it.
  if (!own.some(appliesToTemplateItself)) throw missingData('A Template needs a Name');
  const templateAttrs = merge([forObjects], explicit);
  // Only what a client may give a new object can be in a Template (1.4 §2.2.6: client-settable attributes).
  checkClientSuppliedAttributes([...own, ...templateAttrs], ctx.version);
  const uid = newUid(ctx.now);
  const now = BigInt(Math.floor(ctx.now.getTime() / 1000));
  const obj: ManagedObject = {
    uid,
    owner: ctx.principal,
    revision: 1,
    objectType: ObjectType.Template,
    attributes: [
      { tag: Tag.UniqueIdentifier, value: text(Tag.UniqueIdentifier, uid) },
      { tag: Tag.ObjectType, value: enm(Tag.ObjectType, ObjectType.Template) },
      { tag: Tag.InitialDate, value: dateTime(Tag.InitialDate, now) },
      { tag: Tag.LastChangeDate, value: dateTime(Tag.LastChangeDate, now) },
      ...own,
    ],
    content: { fields: templateAttrs.map((a) => encodeAttribute(a, V2)).filter((n): n is TtlvNode => n !== undefined) },
  };
  saveObject(ctx, obj);
  return obj;
}

/** The attributes a stored Template gives new objects. */
export function templateAttributes(obj: ManagedObject): Attribute[] {
  return (obj.content?.fields ?? []).map(decodeV2Attribute);
}

/** The Template structure of a Get response (1.4 §2.2.6), in the client's (1.x) form. */
export function encodeTemplate(ctx: RequestContext, obj: ManagedObject): TtlvNode {
  if (is2x(ctx.version)) throw new KmipError(ResultReason.FeatureNotSupported, 'Templates do not exist in KMIP 2.x');
  const attrs = templateAttributes(obj)
    .map((a) => encodeAttribute(a, ctx.version))
    .filter((n): n is TtlvNode => n !== undefined);
  return struct(Tag.Template, attrs);
}

/**
 * Templates in order, then the explicit attributes: each layer's attributes replace every instance
 * of the same attribute from the layers before it; within one layer all instances are kept.
 */
function merge(templates: readonly (readonly Attribute[])[], explicit: readonly Attribute[]): Attribute[] {
  let out: Attribute[] = [];
  for (const layer of [...templates, explicit]) {
    const keys = new Set(layer.map(attributeKey));
    out = [...out.filter((a) => !keys.has(attributeKey(a))), ...layer];
  }
  return out;
}

/** The caller's newest Template with this Name Value, or Item Not Found. */
async function findTemplate(ctx: RequestContext, name: TtlvNode): Promise<ManagedObject> {
  const nv = name.type === 'Structure' ? name.value.find((c) => c.tag === Tag.NameValue) : undefined;
  if (nv?.type !== 'TextString') throw invalidField('Template-Attribute: a Name needs a Name Value');
  const nt = name.type === 'Structure' ? name.value.find((c) => c.tag === Tag.NameType) : undefined;
  if (nt !== undefined && (nt.type !== 'Enumeration' || (nt.value !== NameType.UninterpretedTextString && nt.value !== NameType.URI))) {
    throw invalidField('Template-Attribute: invalid Name Type');
  }
  const conditions = [
    { field: attributeField({ tag: Tag.Name }), equals: encodeAttributeValue(Tag.Name, struct(Tag.Name, [nv]))! },
    { field: attributeField({ tag: Tag.ObjectType }), equals: encodeAttributeValue(Tag.ObjectType, enm(Tag.ObjectType, ObjectType.Template))! },
    { field: 'owner', equals: encodeIndexString(ctx.principal) },
    { field: 'storage', equals: STORAGE_ONLINE },
  ];
  // Templates registered earlier in the same batch are staged, not yet in the store.
  const staged = ctx.tx.changes().put.map(deserializeObject);
  const candidates = [...staged.filter((o) => o.objectType === ObjectType.Template).map((o) => o.uid), ...(await ctx.store.locate(conditions))];
  for (const uid of candidates) {
    const stored = await ctx.tx.get(uid);
    if (stored === undefined) continue;
    const obj = deserializeObject(stored);
    if (obj.owner !== ctx.principal || obj.objectType !== ObjectType.Template) continue;
    const named = obj.attributes.some((a) => a.tag === Tag.Name && a.vendor === undefined && a.value.type === 'Structure' && a.value.value.some((c) => c.tag === Tag.NameValue && c.type === 'TextString' && c.value === nv.value));
    const destroyed = obj.attributes.some((a) => a.tag === Tag.DestroyDate && a.vendor === undefined);
    if (named && !destroyed) return obj;
  }
  throw new KmipError(ResultReason.ItemNotFound, 'No Template has that Name');
}

/**
 * A 1.x request payload with the Names of Templates in its Template-Attribute structures replaced
 * by the templates' attributes (see the module comment). Payloads without any are returned as is.
 */
export async function expandTemplateReferences(ctx: RequestContext, payload: TtlvNode): Promise<TtlvNode> {
  if (is2x(ctx.version) || payload.type !== 'Structure') return payload;
  const named = (c: TtlvNode): boolean => TEMPLATE_ATTRIBUTE_TAGS.has(c.tag) && c.type === 'Structure' && c.value.some((n) => n.tag === Tag.Name);
  if (!payload.value.some(named)) return payload;
  const children: TtlvNode[] = [];
  for (const c of payload.value) {
    if (!named(c) || c.type !== 'Structure') {
      children.push(c);
      continue;
    }
    const layers: Attribute[][] = [];
    for (const n of c.value) if (n.tag === Tag.Name) layers.push(templateAttributes(await findTemplate(ctx, n)));
    const explicit = c.value.filter((n) => n.tag !== Tag.Name);
    // The explicit attributes stay as the client sent them; the decoder checks them as usual.
    const explicitKeys = new Set(explicit.filter((n) => n.tag === Tag.Attribute).map((n) => attributeKey(decodeV1Attribute(n))));
    const fromTemplates = merge(layers, []).filter((a) => !explicitKeys.has(attributeKey(a)));
    const encoded = fromTemplates.map((a) => encodeAttribute(a, ctx.version)).filter((n): n is TtlvNode => n !== undefined);
    children.push(struct(c.tag, [...encoded, ...explicit]));
  }
  return struct(payload.tag, children);
}
