/**
 * Archive and Recover. KMIP 1.4 §4.22–4.23, 2.1 §6.1.3 and §6.1.44.
 *
 * Archive moves the object to archival storage: it gets an Archive Date (1.4 §3.32, set by the
 * server), and until it is recovered every operation that uses it answers Object Archived (OASIS
 * TC-101: Get of an archived key). Recover brings it back to on-line storage and removes the
 * Archive Date. The key material stays wrapped in the store either way (kmipd has one storage
 * tier); `isArchived` in state.ts is the one definition of the storage status. Both are
 * idempotent: archiving an archived object or recovering an on-line one changes nothing.
 */
import { Operation, Tag } from '../../kmip/generated/index.js';
import { dateTime, text } from '../../ttlv/build.js';
import { saveObject, withAttribute } from '../objects.js';
import { type OperationHandler, defineOperation } from '../types.js';
import { isArchived, loadCurrent, seconds, touched } from './state.js';

type UidRequest = { uid: string | undefined };

function uidOnly(operation: number, archive: boolean): OperationHandler<UidRequest, { uid: string }> {
  return defineOperation<UidRequest, { uid: string }>({
    operation,
    decode(payload) {
      return { uid: payload?.text(Tag.UniqueIdentifier) };
    },
    async handle(ctx, req) {
      const obj = await loadCurrent(ctx, req.uid, { allowArchived: true });
      if (isArchived(obj) !== archive) {
        const next = archive
          ? withAttribute(obj, Tag.ArchiveDate, dateTime(Tag.ArchiveDate, seconds(ctx.now)))
          : withAttribute(obj, Tag.ArchiveDate, undefined);
        saveObject(ctx, { ...touched(next, ctx.now), revision: obj.revision + 1 });
      }
      ctx.idPlaceholder = obj.uid;
      return { uid: obj.uid };
    },
    encode(res) {
      return [text(Tag.UniqueIdentifier, res.uid)];
    },
    uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
  });
}

export const archive = uidOnly(Operation.Archive, true);
export const recover = uidOnly(Operation.Recover, false);
