/**
 * Delete Attribute. KMIP 1.4 §4.16: the instance named by Attribute Name + Attribute Index
 * (default 0); the response echoes the deleted attribute (SKFF-M-9-14). KMIP 2.1 §6.1.13:
 * `Current Attribute` deletes that instance, `Attribute Reference` alone every instance; the
 * response is the Unique Identifier. Attributes the client may not delete (required ones and
 * those the server maintains, "Deletable by client: No") are refused.
 */
import type { Attribute } from '../../kmip/attributes.js';
import { readOnlyAttribute } from '../../kmip/attribute-rules.js';
import { invalidField, missingData } from '../../kmip/errors.js';
import { Operation, Tag } from '../../kmip/generated/index.js';
import { saveObject } from '../objects.js';
import { defineOperation } from '../types.js';
import { type EchoResponse, encodeEcho } from './add-attribute.js';
import {
  type AttrRef,
  attributeNotFound,
  changed,
  instanceAt,
  instanceNotFound,
  instancesOf,
  notAnAttribute,
  refFromReference,
  refFromV1Name,
  refLabel,
  ruleFor,
  sameValue,
  loadForAttributes,
} from './common.js';
import { decodeCurrent } from './request.js';

interface DeleteRequest {
  readonly uid: string | undefined;
  /** The kind to delete; undefined when the name / reference is not a known attribute. */
  readonly ref: AttrRef | undefined;
  readonly label: string;
  readonly index?: number;
  readonly current?: Attribute;
}

export default defineOperation<DeleteRequest, EchoResponse>({
  operation: Operation.DeleteAttribute,
  decode(payload) {
    const uid = payload?.text(Tag.UniqueIdentifier);
    const current = decodeCurrent(payload);
    const refNode = payload?.all(Tag.AttributeReference);
    if (refNode !== undefined && refNode.length > 1) throw invalidField('Delete Attribute takes one Attribute Reference');
    const name = payload?.text(Tag.AttributeName);
    const index = payload?.int(Tag.AttributeIndex);
    if (index !== undefined && index < 0) throw invalidField('Attribute Index must not be negative');
    let ref: AttrRef | undefined;
    let label: string;
    if (current !== undefined) {
      ref = current;
      label = 'Current Attribute';
    } else if (refNode?.[0] !== undefined) {
      ref = refFromReference(refNode[0]);
      label = 'Attribute Reference';
    } else if (name !== undefined) {
      ref = refFromV1Name(name);
      label = name;
    } else throw missingData('Delete Attribute needs Attribute Name (1.x), or Current Attribute or Attribute Reference (2.x)');
    return { uid, ref, label, ...(index === undefined ? {} : { index }), ...(current ? { current } : {}) };
  },
  async handle(ctx, req) {
    const obj = await loadForAttributes(ctx, req.uid);
    if (req.ref === undefined) throw notAnAttribute(ctx.version, req.label);
    const r = req.ref;
    const rule = ruleFor(ctx.version, r);
    if (!rule.clientDeletable) throw readOnlyAttribute(ctx.version, refLabel(r));
    const all = instancesOf(obj, r);
    if (all.length === 0) throw attributeNotFound(ctx.version, r);
    let doomed: Attribute[];
    if (req.current !== undefined) {
      const hit = all.find((i) => sameValue(i.value, req.current!.value));
      if (hit === undefined) throw instanceNotFound(ctx.version, r);
      doomed = [hit];
    } else if (req.index !== undefined || req.label !== 'Attribute Reference') {
      // KMIP 1.4 §2.1.1: the instance with that index (absent means 0); the others keep theirs.
      const hit = instanceAt(all, req.index ?? 0);
      if (hit === undefined) throw instanceNotFound(ctx.version, r);
      doomed = [hit];
    } else doomed = all;
    saveObject(ctx, changed(ctx, obj, obj.attributes.filter((x) => !doomed.includes(x))));
    ctx.idPlaceholder = obj.uid;
    const first = doomed[0]!;
    return { uid: obj.uid, attr: first, index: first.index ?? 0, indexNamed: req.index !== undefined };
  },
  encode: encodeEcho,
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
