/**
 * Create of Secret Data (KMIP 2.1 §6.1.12: the Object Type may be any the server can generate;
 * OASIS TC-CREATE-SD-1-14 / -20 create one at 1.4 and 2.0 with only a Cryptographic Length): the
 * server draws the secret from the HSM's random number generator and keeps it like registered
 * Secret Data, wrapped under the master key (objects/material.ts). Get answers it as a Password
 * in Opaque format, the shape those vectors record.
 */
import { checkClientSuppliedAttributes } from '../../kmip/attribute-rules.js';
import type { Attribute } from '../../kmip/attributes.js';
import { invalidField, missingData } from '../../kmip/errors.js';
import { KeyFormatType, ObjectType, SecretDataType, Tag } from '../../kmip/generated/index.js';
import { enm } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { type ManagedObject, attrNumber, newUid, saveObject } from '../objects.js';
import { digestAttribute, generatedKeyAttributes, initialAttributes } from '../server-attributes.js';
import type { RequestContext } from '../types.js';
import { wrapSecret } from './material.js';

/** The largest secret Create makes: 8 KiB (65,536 bits), far above any password or seed. */
export const MAX_SECRET_DATA_BITS = 65_536;

export async function createSecretData(ctx: RequestContext, attributes: readonly Attribute[]): Promise<ManagedObject> {
  checkClientSuppliedAttributes(attributes, ctx.version);
  const probe = { attributes };
  const bits = attrNumber(probe, Tag.CryptographicLength);
  if (bits === undefined) throw missingData('Cryptographic Length is required to create Secret Data');
  if (bits <= 0 || bits % 8 !== 0 || bits > MAX_SECRET_DATA_BITS) {
    throw invalidField(`Cryptographic Length of Secret Data must be a positive multiple of 8, at most ${MAX_SECRET_DATA_BITS}`);
  }
  if (attrNumber(probe, Tag.CryptographicAlgorithm) !== undefined) throw invalidField('Secret Data has no Cryptographic Algorithm');
  const value = await ctx.crypto.randomBytes(bits / 8);
  let digest: TtlvNode;
  let secret: Awaited<ReturnType<typeof wrapSecret>>;
  try {
    digest = digestAttribute(value, KeyFormatType.Opaque);
    secret = await wrapSecret(ctx, value);
  } finally {
    value.fill(0);
  }
  const uid = newUid(ctx.now);
  const now = BigInt(Math.floor(ctx.now.getTime() / 1000));
  const obj: ManagedObject = {
    uid,
    owner: ctx.principal,
    revision: 1,
    objectType: ObjectType.SecretData,
    attributes: [
      ...initialAttributes(uid, ObjectType.SecretData, attributes, now).map((v) => ({ tag: v.tag, value: v })),
      ...attributes,
      { tag: Tag.KeyFormatType, value: enm(Tag.KeyFormatType, KeyFormatType.Opaque) },
      ...generatedKeyAttributes(attributes, { extractable: true, digest }),
    ],
    content: {
      fields: [enm(Tag.SecretDataType, SecretDataType.Password)],
      keyBlock: { formatType: KeyFormatType.Opaque, form: 'bytes', keyValueAttributes: [] },
      secret,
    },
  };
  saveObject(ctx, obj);
  return obj;
}
