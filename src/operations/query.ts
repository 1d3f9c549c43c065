/**
 * Query. KMIP 1.4 §4.25, 2.1 §6.1.40. Answers only what kmipd really does: the operations with a
 * registered handler and the object types those handlers create or accept. Functions whose lists
 * kmipd does not populate (application namespaces, extensions, attestation types, profiles,
 * registration methods) answer empty, which the spec allows; capability information (1.3+) says
 * what is and is not supported.
 */
import { isEnumValueInVersion, kmipVersionOf, ObjectType, Operation, QueryFunction, Tag } from '../kmip/generated/index.js';
import { atLeast } from '../kmip/protocol-version.js';
import { invalidField } from '../kmip/errors.js';
import { bool, enm, struct, text } from '../ttlv/build.js';
import type { TtlvNode } from '../ttlv/types.js';
import { type RequestContext, defineOperation } from './types.js';

/**
 * Object types kmipd manages: Create makes symmetric keys, Create Key Pair public/private keys,
 * Register stores all of these. Template (deprecated in 1.3) and Certificate Request are not.
 */
export const SUPPORTED_OBJECT_TYPES: readonly number[] = [
  ObjectType.Certificate,
  ObjectType.SymmetricKey,
  ObjectType.PublicKey,
  ObjectType.PrivateKey,
  ObjectType.SplitKey,
  ObjectType.SecretData,
  ObjectType.OpaqueObject,
  ObjectType.PGPKey,
];

/** True when `value` of enumeration `name` exists in the client's version. */
function inVersion(ctx: RequestContext, name: 'Operation' | 'ObjectType' | 'QueryFunction', value: number): boolean {
  const v = kmipVersionOf(ctx.version.major, ctx.version.minor);
  return v !== undefined && isEnumValueInVersion(name, value, v);
}

export default defineOperation<number[], TtlvNode[]>({
  operation: Operation.Query,
  decode(payload) {
    return payload?.many(Tag.QueryFunction, 'Enumeration').map((n) => n.value) ?? [];
  },
  async handle(ctx, functions) {
    const out: TtlvNode[] = [];
    for (const fn of functions) {
      if (!inVersion(ctx, 'QueryFunction', fn)) throw invalidField('Unknown Query Function');
    }
    const want = new Set(functions);
    if (want.has(QueryFunction.QueryOperations)) {
      for (const op of ctx.operations) if (inVersion(ctx, 'Operation', op)) out.push(enm(Tag.Operation, op));
    }
    if (want.has(QueryFunction.QueryObjects)) {
      for (const t of SUPPORTED_OBJECT_TYPES) if (inVersion(ctx, 'ObjectType', t)) out.push(enm(Tag.ObjectType, t));
    }
    if (want.has(QueryFunction.QueryServerInformation)) {
      out.push(text(Tag.VendorIdentification, ctx.server.vendorIdentification));
      // KMIP 1.4 §4.25: Server Information is a structure whose contents are vendor-specific.
      out.push(struct(Tag.ServerInformation, []));
    }
    if (want.has(QueryFunction.QueryCapabilities) && atLeast(ctx.version, 1, 3)) {
      // KMIP 1.3 §2.1.22 Capability Information: no streaming, asynchronous or attestation support yet.
      out.push(
        struct(Tag.CapabilityInformation, [
          bool(Tag.StreamingCapability, false),
          bool(Tag.AsynchronousCapability, false),
          bool(Tag.AttestationCapability, false),
        ]),
      );
    }
    return out;
  },
  encode(res) {
    return res;
  },
});
