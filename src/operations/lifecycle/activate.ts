/**
 * Activate. KMIP 1.4 §4.19, 2.1 §6.1.1. Pre-Active -> Active (1.4 §3.22 state figure); the
 * Activation Date is set to now. Any other State is Wrong Key Lifecycle State (2.x) / Permission
 * Denied (1.x, as the OASIS 1.x vectors answer for a lifecycle violation).
 */
import { Operation, State, Tag } from '../../kmip/generated/index.js';
import { dateTime, text } from '../../ttlv/build.js';
import { objectState, saveObject, withAttribute } from '../objects.js';
import { defineOperation } from '../types.js';
import { loadCurrent, seconds, withState, wrongState } from './state.js';

export default defineOperation<{ uid: string | undefined }, { uid: string }>({
  operation: Operation.Activate,
  decode(payload) {
    return { uid: payload?.text(Tag.UniqueIdentifier) };
  },
  async handle(ctx, req) {
    const obj = await loadCurrent(ctx, req.uid);
    if (objectState(obj) !== State.PreActive) throw wrongState(ctx.version, 'Only a Pre-Active object can be activated');
    const next = withAttribute(withState(obj, State.Active, ctx.now), Tag.ActivationDate, dateTime(Tag.ActivationDate, seconds(ctx.now)));
    saveObject(ctx, { ...next, revision: obj.revision + 1 });
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid };
  },
  encode(res) {
    return [text(Tag.UniqueIdentifier, res.uid)];
  },
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});

