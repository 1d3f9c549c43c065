/**
 * Import and Export. KMIP 1.4 §4.28-4.29 (added in 1.4), 2.1 §6.1.24 / §6.1.22.
 *
 * Export returns an object with all its attributes: what Get returns (Key Format Type, Key
 * Compression Type, Key Wrap Type and Key Wrapping Specification included: Get's own code runs,
 * wrapping and the Extractable / Sensitive rules alike) plus what Get Attributes returns for all
 * attributes, as 2.x Attributes or 1.4 Template-Attribute.
 *
 * Import stores an object under the client's Unique Identifier with the attributes it gives, the
 * server-set ones (State, dates, Digest, Fresh, ...) included: "all attributes MUST be set to the
 * supplied values rather than any server generated values" (2.1 §6.1.24). The value is kept as
 * Register keeps it (objects/register.ts: HSM import or wrapped under the master key). An object
 * with that identifier (even a destroyed one, whose metadata remains) is replaced only with
 * Replace Existing = True, else Object Already Exists (OASIS TC-IMPEXP-3-20); another owner's
 * object is never replaced (Permission Denied). Key Wrap Type As Registered (or none) keeps a
 * wrapped key wrapped, as Register does; Not Wrapped unwraps it first with the key its Key
 * Wrapping Data names (Get's unwrapping: NIST Key Wrap under an AES key held here).
 */
import type { Attribute } from '../../kmip/attributes.js';
import { decodeRequestAttributes } from '../../kmip/attributes.js';
import { KmipError, invalidField, missingData, operationNotSupported, permissionDenied } from '../../kmip/errors.js';
import { KeyWrapType, Operation, ResultReason, Tag } from '../../kmip/generated/index.js';
import { type ObjectContent, decodeObjectContent } from '../../kmip/key-block.js';
import { atLeast, is2x } from '../../kmip/protocol-version.js';
import { struct, text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import getAttributes from '../attributes/get-attributes.js';
import get, { unwrapRegistered } from '../get.js';
import { deserializeObject, saveObject } from '../objects.js';
import { shortUniqueIdentifier } from '../server-attributes.js';
import { type OperationHandler, type RequestContext, defineOperation } from '../types.js';
import { registerObject } from './register.js';

function requireVersion(ctx: RequestContext): void {
  if (!atLeast(ctx.version, 1, 4)) throw operationNotSupported('Import and Export were added in KMIP 1.4');
}

type GetReq = Parameters<typeof get.handle>[1];

// Typed as the registry's handler type: Get's request type is private to get.ts.
const exportOp: OperationHandler<never, never> = defineOperation<GetReq, TtlvNode[]>({
  operation: Operation.Export,
  decode: (payload, ctx) => get.decode(payload, ctx),
  async handle(ctx, req) {
    requireVersion(ctx);
    // Export is a backup/migration read, not a client taking the key into use: it leaves Fresh as
    // it is. The OASIS vectors show Fresh True in a first Export (TC-IMPEXP-1..5-20) and still
    // True in a Get Attributes after it (TC-IMPEXP-3-20); only Get clears it.
    const before = await getAttributes.handle(ctx, { uid: req.uid, refs: undefined });
    const got = get.encode(await get.handle(ctx, { ...req, keepFresh: true }), ctx);
    const uid = got.find((n) => n.tag === Tag.UniqueIdentifier);
    if (uid?.type !== 'TextString' || uid.value !== before.uid) throw new KmipError(ResultReason.GeneralFailure, 'Get returned another Unique Identifier');
    const attrs = getAttributes.encode(before, ctx).filter((n) => n.tag !== Tag.UniqueIdentifier);
    const block = is2x(ctx.version) ? attrs : [struct(Tag.TemplateAttribute, attrs)];
    // Object Type, Unique Identifier, the attributes, then the object (2.1 §6.1.22 / 1.4 §4.29).
    const head = got.filter((n) => n.tag === Tag.ObjectType || n.tag === Tag.UniqueIdentifier);
    const rest = got.filter((n) => n.tag !== Tag.ObjectType && n.tag !== Tag.UniqueIdentifier);
    return [...head, ...block, ...rest];
  },
  encode: (res) => res,
  uids: (req, res) => {
    const u = res?.find((n) => n.tag === Tag.UniqueIdentifier);
    return u?.type === 'TextString' ? [u.value] : req.uid !== undefined ? [req.uid] : [];
  },
}) as unknown as OperationHandler<never, never>;

interface ImportRequest {
  readonly uid: string;
  readonly objectType: number;
  readonly replaceExisting: boolean;
  readonly keyWrapType: number | undefined;
  readonly attributes: Attribute[];
  readonly content: ObjectContent;
}

/**
 * Attributes Register refuses from a client (the server sets them), and Import takes as given;
 * plus the identifiers, which Import sets from the request.
 */
const SERVER_SET = new Set<number>([
  Tag.UniqueIdentifier,
  Tag.ShortUniqueIdentifier,
  Tag.State,
  Tag.InitialDate,
  Tag.LastChangeDate,
  Tag.Digest,
  Tag.DestroyDate,
  Tag.CompromiseDate,
  Tag.ArchiveDate,
  Tag.Fresh,
  Tag.KeyValuePresent,
  Tag.AlwaysSensitive,
  Tag.NeverExtractable,
]);

const importOp = defineOperation<ImportRequest, { uid: string }>({
  operation: Operation.Import,
  decode(payload) {
    if (payload === undefined) throw missingData('Import needs a payload');
    const objectType = payload.req(Tag.ObjectType, 'Enumeration').value;
    return {
      uid: payload.req(Tag.UniqueIdentifier, 'TextString').value,
      objectType,
      replaceExisting: payload.bool(Tag.ReplaceExisting) ?? false,
      keyWrapType: payload.enum(Tag.KeyWrapType),
      attributes: decodeRequestAttributes(payload),
      content: decodeObjectContent(objectType, payload),
    };
  },
  async handle(ctx, req) {
    requireVersion(ctx);
    if (req.uid.length === 0) throw invalidField('Unique Identifier is empty');
    if (req.keyWrapType !== undefined && req.keyWrapType !== KeyWrapType.NotWrapped && req.keyWrapType !== KeyWrapType.AsRegistered) {
      throw invalidField('Key Wrap Type must be Not Wrapped or As Registered');
    }
    let content = req.content;
    const kb = content.keyBlock;
    if (req.keyWrapType === KeyWrapType.NotWrapped && kb?.wrappingData !== undefined) {
      // Unwrapped with the named key, as Get does for Key Wrap Type Not Wrapped.
      const plain = await unwrapRegistered(ctx, kb, content.value);
      content = { ...content, keyBlock: plain.info, value: plain.value };
    }
    const stored = await ctx.tx.get(req.uid);
    const existing = stored === undefined ? undefined : deserializeObject(stored);
    if (existing !== undefined) {
      if (existing.owner !== ctx.principal) throw permissionDenied('The Unique Identifier belongs to another owner\'s object');
      if (!req.replaceExisting) throw new KmipError(ResultReason.ObjectAlreadyExists, 'An object with this Unique Identifier exists');
    }
    const given = req.attributes.filter((a) => a.vendor === undefined && SERVER_SET.has(a.tag));
    const client = req.attributes.filter((a) => !(a.vendor === undefined && SERVER_SET.has(a.tag)));
    const made = await registerObject(ctx, { objectType: req.objectType, attributes: client, content });
    ctx.tx.delete(made.uid);

    // The given values win over the ones Register set; the identifiers are the request's.
    const givenTags = new Set(given.map((a) => a.tag));
    const kept = made.attributes.filter(
      (a) => !(a.vendor === undefined && (givenTags.has(a.tag) || a.tag === Tag.UniqueIdentifier || a.tag === Tag.ShortUniqueIdentifier)),
    );
    const ids: Attribute[] = [
      { tag: Tag.UniqueIdentifier, value: text(Tag.UniqueIdentifier, req.uid) },
      { tag: Tag.ShortUniqueIdentifier, value: shortUniqueIdentifier(req.uid) },
    ];
    const imported = given.filter((a) => a.tag !== Tag.UniqueIdentifier && a.tag !== Tag.ShortUniqueIdentifier);
    saveObject(ctx, { ...made, uid: req.uid, revision: (existing?.revision ?? 0) + 1, attributes: [...ids, ...kept, ...imported] });
    if (existing?.key?.ref.kind === 'resident') await ctx.crypto.destroyKey(existing.key.ref);
    ctx.idPlaceholder = req.uid;
    return { uid: req.uid };
  },
  encode(res) {
    return [text(Tag.UniqueIdentifier, res.uid)];
  },
  uids: (req) => [req.uid],
});

export { exportOp, importOp };
