/**
 * Destroy. KMIP 1.4 §4.21, 2.1 §6.1.16. The key material is destroyed (a resident HSM key is
 * deleted from the token; a wrapped blob is dropped from the store), the metadata is kept with
 * State Destroyed (or Destroyed Compromised) and a Destroy Date, as the spec requires
 * (1.4 §3.22 state figure). An Active object must be revoked (deactivated) first: Wrong Key
 * Lifecycle State in 2.x, Permission Denied in 1.x (OASIS SKLC-M-2-21 / SKLC-M-2-14 step 4). The
 * State is taken with its dates applied, so a key whose Deactivation Date has passed can be
 * destroyed and one whose Activation Date has passed cannot. An archived object may be destroyed.
 */
import { Operation, State, Tag } from '../kmip/generated/index.js';
import { dateTime, enm, text } from '../ttlv/build.js';
import { loadCurrent, seconds, touched, wrongState } from './lifecycle/state.js';
import { objectState, saveObject, withAttribute } from './objects.js';
import { defineOperation } from './types.js';

export default defineOperation<{ uid: string | undefined }, { uid: string }>({
  operation: Operation.Destroy,
  decode(payload) {
    return { uid: payload?.text(Tag.UniqueIdentifier) };
  },
  async handle(ctx, req) {
    const obj = await loadCurrent(ctx, req.uid, { allowArchived: true });
    const state = objectState(obj);
    if (state === State.Active) throw wrongState(ctx.version, 'An Active object must be revoked before it is destroyed');
    if (obj.key !== undefined) await ctx.crypto.destroyKey(obj.key.ref);
    // A resident private key of a key pair (Create Key Pair); wrapped ones go with the body.
    if (obj.content?.privateKey !== undefined) await ctx.crypto.destroyKey(obj.content.privateKey);
    let next = withAttribute(obj, Tag.State, enm(Tag.State, state === State.Compromised ? State.DestroyedCompromised : State.Destroyed));
    next = withAttribute(next, Tag.DestroyDate, dateTime(Tag.DestroyDate, seconds(ctx.now)));
    saveObject(ctx, { ...touched(next, ctx.now), key: undefined, revision: obj.revision + 1 });
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid };
  },
  encode(res) {
    return [text(Tag.UniqueIdentifier, res.uid)];
  },
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
