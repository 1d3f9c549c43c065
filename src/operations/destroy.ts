/**
 * Destroy. KMIP 1.4 §4.21, 2.1 §6.1.16. The key material is destroyed (a resident HSM key is
 * deleted from the token; a wrapped blob is dropped from the store), the metadata is kept with
 * State Destroyed (or Destroyed Compromised) and a Destroy Date, as the spec requires. An Active
 * object must be revoked (deactivated) first.
 */
import { wrongKeyLifecycleState } from '../kmip/errors.js';
import { Operation, State, Tag } from '../kmip/generated/index.js';
import { dateTime, enm, text } from '../ttlv/build.js';
import { loadObject, objectState, resolveUid, saveObject, withAttribute } from './objects.js';
import { defineOperation } from './types.js';

export default defineOperation<{ uid: string | undefined }, { uid: string }>({
  operation: Operation.Destroy,
  decode(payload) {
    return { uid: payload?.text(Tag.UniqueIdentifier) };
  },
  async handle(ctx, req) {
    const obj = await loadObject(ctx, resolveUid(ctx, req.uid));
    const state = objectState(obj);
    if (state === State.Active) throw wrongKeyLifecycleState('An Active object must be revoked before it is destroyed');
    if (obj.key !== undefined) await ctx.crypto.destroyKey(obj.key.ref);
    const now = BigInt(Math.floor(ctx.now.getTime() / 1000));
    let next = withAttribute(
      obj,
      Tag.State,
      enm(Tag.State, state === State.Compromised ? State.DestroyedCompromised : State.Destroyed),
    );
    next = withAttribute(next, Tag.DestroyDate, dateTime(Tag.DestroyDate, now));
    next = withAttribute(next, Tag.LastChangeDate, dateTime(Tag.LastChangeDate, now));
    saveObject(ctx, { ...next, key: undefined, revision: obj.revision + 1 });
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid };
  },
  encode(res) {
    return [text(Tag.UniqueIdentifier, res.uid)];
  },
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
