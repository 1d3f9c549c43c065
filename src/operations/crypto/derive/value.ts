/**
 * The plaintext value of a secret object, for the operations that compute with it in the server
 * process (Derive Key's PBKDF2 / HKDF / HASH, Create Split Key): a Symmetric Key held by the HSM
 * is exported from it, any other secret unwrapped from the master key. An object with
 * Extractable = False (KMIP 1.4 §3.50, 2.1 §4.20), or resident in the HSM, is refused with Not
 * Extractable (Permission Denied before 1.4) and never exported. Callers zero the result.
 */
import { CryptoError } from '../../../crypto/provider.js';
import { KmipError, featureNotSupported } from '../../../kmip/errors.js';
import { ResultReason, Tag } from '../../../kmip/generated/index.js';
import { atLeast } from '../../../kmip/protocol-version.js';
import { type ManagedObject, attr } from '../../objects.js';
import { unwrapSecret } from '../../objects/material.js';
import type { RequestContext } from '../../types.js';

function notExtractable(ctx: RequestContext): KmipError {
  return new KmipError(
    atLeast(ctx.version, 1, 4) ? ResultReason.NotExtractable : ResultReason.PermissionDenied,
    'This operation needs the object\'s value, and the object is not extractable',
  );
}

export async function secretValue(ctx: RequestContext, obj: ManagedObject): Promise<Uint8Array> {
  const ex = attr(obj, Tag.Extractable);
  if (ex?.type === 'Boolean' && !ex.value) throw notExtractable(ctx);
  if (obj.key !== undefined) {
    if (obj.key.ref.kind === 'resident') throw notExtractable(ctx);
    try {
      return await ctx.crypto.exportKeyMaterial(obj.key.ref, obj.key.algorithm);
    } catch (e) {
      if (e instanceof CryptoError && e.code === 'NOT_EXTRACTABLE') throw notExtractable(ctx);
      throw e;
    }
  }
  const c = obj.content;
  if (c?.secret !== undefined && c.keyBlock?.wrappingData === undefined && c.keyBlock?.form !== 'keyvalue') {
    return unwrapSecret(ctx, c.secret);
  }
  throw featureNotSupported('The object\'s value is not held by the server in a form it can compute with');
}
