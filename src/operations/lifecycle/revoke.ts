/**
 * Revoke. KMIP 1.4 §4.20, 2.1 §6.1.47. The Revocation Reason (code and optional message) is
 * recorded on the object.
 * - Key Compromise / CA Compromise: -> Compromised (from Pre-Active, Active or Deactivated), or
 *   Destroyed -> Destroyed Compromised (1.4 §3.22 state figure); Compromise Date is set
 *   to now and Compromise Occurrence Date to the client's value, which 1.4 requires for these
 *   reasons (Missing Data without it) and 2.1 defaults to the object's Initial Date.
 * - Any other reason: Pre-Active or Active -> Deactivated with Deactivation Date now ("the object
 *   is placed into the deactivated state"); an object already Deactivated, Compromised or
 *   destroyed cannot be deactivated again (Wrong Key Lifecycle State / 1.x Permission Denied).
 * Percona Server and other clients Revoke an Active key before they Destroy it.
 */
import { invalidField, missingData } from '../../kmip/errors.js';
import { Operation, RevocationReasonCode, State, Tag } from '../../kmip/generated/index.js';
import { is2x } from '../../kmip/protocol-version.js';
import { dateTime, enm, struct, text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { objectState, saveObject, withAttribute } from '../objects.js';
import { defineOperation } from '../types.js';
import { dateAttr, loadCurrent, seconds, withState, wrongState } from './state.js';

interface RevokeRequest {
  readonly uid: string | undefined;
  readonly code: number;
  readonly message: string | undefined;
  readonly compromiseOccurrence: bigint | undefined;
}

/** Revocation Reason Message is bounded so a client cannot grow an object without limit. */
const MAX_MESSAGE = 1024;

export default defineOperation<RevokeRequest, { uid: string }>({
  operation: Operation.Revoke,
  decode(payload) {
    if (payload === undefined) throw missingData('Revoke needs a Revocation Reason');
    const reason = payload.struct(Tag.RevocationReason);
    if (reason === undefined) throw missingData('Revoke needs a Revocation Reason');
    const message = reason.text(Tag.RevocationMessage);
    if (message !== undefined && message.length > MAX_MESSAGE) throw invalidField('Revocation Message is too long');
    const code = reason.req(Tag.RevocationReasonCode, 'Enumeration').value;
    // A defined code or an extension (8XXXXXXX, 2.1 §11.51); anything else is not a reason.
    const known = (Object.values(RevocationReasonCode) as number[]).includes(code);
    if (!known && (code & 0x80000000) === 0) throw invalidField('Unknown Revocation Reason Code');
    return {
      uid: payload.text(Tag.UniqueIdentifier),
      code,
      message,
      compromiseOccurrence: payload.opt(Tag.CompromiseOccurrenceDate, 'DateTime')?.value,
    };
  },
  async handle(ctx, req) {
    const compromise = req.code === RevocationReasonCode.KeyCompromise || req.code === RevocationReasonCode.CACompromise;
    // 1.4 §4.20: the Compromise Occurrence Date SHALL be given with a compromise reason. 2.1 §6.1.47
    // relaxed it: without one it SHOULD be the object's Initial Date.
    if (compromise && req.compromiseOccurrence === undefined && !is2x(ctx.version)) {
      throw missingData('Compromise Occurrence Date is required for a compromise revocation');
    }
    // Only a compromise revocation applies to a destroyed object (Destroyed -> Destroyed Compromised).
    // An archived object can be revoked: the State is metadata, and a compromise must be recordable.
    const obj = await loadCurrent(ctx, req.uid, { allowDestroyed: compromise, allowArchived: true });
    const state = objectState(obj);
    const now = seconds(ctx.now);
    let next: typeof obj;
    if (compromise) {
      if (state === State.Compromised || state === State.DestroyedCompromised) {
        throw wrongState(ctx.version, 'The object is already compromised');
      }
      next = withState(obj, state === State.Destroyed ? State.DestroyedCompromised : State.Compromised, ctx.now);
      next = withAttribute(next, Tag.CompromiseDate, dateTime(Tag.CompromiseDate, now));
      const occurred = req.compromiseOccurrence ?? dateAttr(obj, Tag.InitialDate) ?? now;
      next = withAttribute(next, Tag.CompromiseOccurrenceDate, dateTime(Tag.CompromiseOccurrenceDate, occurred));
    } else {
      if (state !== State.PreActive && state !== State.Active) {
        throw wrongState(ctx.version, 'Only a Pre-Active or Active object can be revoked for this reason');
      }
      next = withState(obj, State.Deactivated, ctx.now);
      next = withAttribute(next, Tag.DeactivationDate, dateTime(Tag.DeactivationDate, now));
    }
    const reason: TtlvNode[] = [enm(Tag.RevocationReasonCode, req.code)];
    if (req.message !== undefined) reason.push(text(Tag.RevocationMessage, req.message));
    next = withAttribute(next, Tag.RevocationReason, struct(Tag.RevocationReason, reason));
    saveObject(ctx, { ...next, revision: obj.revision + 1 });
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid };
  },
  encode(res) {
    return [text(Tag.UniqueIdentifier, res.uid)];
  },
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
