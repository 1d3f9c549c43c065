/**
 * Runs the batch items of one request (KMIP 2.1 §8, 1.4 §7): each through its handler, with
 * errors mapped to results, the Batch Error Continuation Option applied, Maximum Response Size
 * checked per item, and every item's changes committed atomically with its audit record.
 */
import { randomBytes } from 'node:crypto';
import { CryptoError } from '../crypto/provider.js';
import { KmipError } from '../kmip/errors.js';
import { Fields } from '../kmip/fields.js';
import { BatchErrorContinuationOption, ResultReason, ResultStatus, enumName } from '../kmip/generated/index.js';
import type { RequestBatchItem, RequestMessage, ResponseBatchItem } from '../kmip/message.js';
import { encodeResponseBatchItem } from '../kmip/message.js';
import { atLeast, is2x } from '../kmip/protocol-version.js';
import { expandTemplateReferences } from '../operations/objects/template.js';
import type { OperationHandler, RequestContext } from '../operations/types.js';
import type { AuditEntry, Changes, ObjectStore } from '../store/object-store.js';
import { ObjectNotFoundError, StaleRevisionError } from '../store/errors.js';
import { UnitOfWork } from '../store/unit-of-work.js';
import { encodeTtlv } from '../ttlv/encode.js';
import { mapCryptoError } from './crypto-errors.js';

type Handler = OperationHandler<unknown, unknown>;

interface ItemOutcome {
  readonly response: ResponseBatchItem;
  readonly failed: boolean;
  /** Object identifiers touched, for the audit record. */
  readonly uids: readonly string[];
}

/** Maps any error from a handler to a failed batch item; unknown errors never reach the client. */
function failure(ctx: RequestContext, item: RequestBatchItem, err: unknown): ResponseBatchItem {
  let reason: number;
  let message: string;
  if (err instanceof KmipError) {
    reason = err.reason;
    message = err.message;
  } else if (err instanceof CryptoError) {
    ({ reason, message } = mapCryptoError(err, ctx.version));
  } else {
    const errorId = randomBytes(6).toString('hex');
    ctx.log.error({ err, errorId }, 'operation failed unexpectedly');
    reason = ResultReason.GeneralFailure;
    message = `Internal error (id ${errorId})`;
  }
  // Result Reasons that 2.0 reserved or added: keep 1.x clients inside their own enumeration.
  if (!is2x(ctx.version) && reason > ResultReason.ObjectAlreadyExists && reason !== ResultReason.GeneralFailure) {
    reason = ResultReason.InvalidField;
  }
  if (reason === ResultReason.ObjectAlreadyExists && !atLeast(ctx.version, 1, 4)) reason = ResultReason.InvalidField;
  return {
    operation: item.operation,
    uniqueBatchItemId: item.uniqueBatchItemId,
    resultStatus: ResultStatus.OperationFailed,
    resultReason: reason,
    resultMessage: message,
  };
}

export interface BatchDeps {
  readonly handlers: ReadonlyMap<number, Handler>;
  readonly store: ObjectStore;
  /** Creates the per-item context around a unit of work. */
  context(tx: UnitOfWork, item: RequestBatchItem): RequestContext;
  /**
   * Told the uids of every commit that puts or deletes objects, once it has settled (written or
   * refused), so that caches of object-derived data (the key export cache) forget them.
   */
  readonly written?: (uids: readonly string[]) => void;
}

/** Commits, then reports the objects it wrote (whether or not the commit succeeded). */
async function commit(deps: BatchDeps, changes: Changes): Promise<void> {
  if (changes.put.length === 0 && changes.delete.length === 0) return deps.store.commit(changes);
  try {
    await deps.store.commit(changes);
  } finally {
    deps.written?.([...changes.put.map((o) => o.uid), ...changes.delete]);
  }
}

/**
 * The object a commit lost a race for, if it did: another request wrote it since this item read
 * it (the store's revision check), or deleted it. The item is run again from
 * the start on a fresh unit of work, so it re-reads the object and re-applies every check (a
 * Usage Limits charge sees the new count; a second clearing of Fresh writes nothing).
 */
function lostRace(err: unknown): string | undefined {
  return err instanceof StaleRevisionError || err instanceof ObjectNotFoundError ? err.uid : undefined;
}

/** Attempts per item before a contended write is answered with General Failure. */
const MAX_ATTEMPTS = 16;

/**
 * Retries of items that lost a race for an object queue on that object, one at a time, so that
 * racers converge instead of colliding again; first attempts stay lock-free (the common case).
 */
const contended = new Map<string, Promise<void>>();

async function underLock<T>(uid: string, fn: () => Promise<T>): Promise<T> {
  const before = contended.get(uid) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = before.then(() => mine);
  contended.set(uid, tail);
  await before;
  try {
    return await fn();
  } finally {
    release();
    if (contended.get(uid) === tail) contended.delete(uid);
  }
}


function concurrentUpdate(item: RequestBatchItem): ResponseBatchItem {
  return {
    operation: item.operation,
    uniqueBatchItemId: item.uniqueBatchItemId,
    resultStatus: ResultStatus.OperationFailed,
    resultReason: ResultReason.GeneralFailure,
    resultMessage: 'Concurrent update of the same object; nothing was changed, retry',
  };
}

/**
 * Runs one item and commits its changes with its audit record. A commit that lost a race is
 * retried (see `lostRace`); after MAX_ATTEMPTS, or on any other commit error, the item is answered
 * as failed with nothing changed, and only its audit record is written.
 */
async function runAndCommit(
  deps: BatchDeps,
  item: RequestBatchItem,
  placeholder: string | undefined,
  maxSize: number | undefined,
): Promise<{ response: ResponseBatchItem; failed: boolean; idPlaceholder: string | undefined }> {
  let lockUid: string | undefined;
  for (let attempt = 1; ; attempt++) {
    const tx = new UnitOfWork(deps.store);
    const ctx = deps.context(tx, item);
    ctx.idPlaceholder = placeholder;
    let outcome: ItemOutcome | undefined;
    const attemptOnce = async (): Promise<ItemOutcome> => {
      const o = await runItem(ctx, item, deps.handlers.get(item.operation), maxSize);
      outcome = o;
      const changes = o.failed ? { put: [], delete: [] } : tx.changes();
      await commit(deps, { put: changes.put, delete: changes.delete, audit: [auditEntry(ctx, item, o)] });
      return o;
    };
    try {
      const done = lockUid === undefined ? await attemptOnce() : await underLock(lockUid, attemptOnce);
      return { response: done.response, failed: done.failed, idPlaceholder: ctx.idPlaceholder };
    } catch (err) {
      const raced = lostRace(err);
      const retry = raced !== undefined && attempt < MAX_ATTEMPTS;
      ctx.log.debug({ err, attempt, retry }, 'commit refused');
      if (retry) {
        lockUid = raced;
        continue;
      }
      const response = raced !== undefined ? concurrentUpdate(item) : failure(ctx, item, err);
      const refused: ItemOutcome = { failed: true, uids: outcome?.uids ?? [], response };
      // The item changed nothing; its audit record says so. If even that cannot be written the
      // store is failing: the error goes up and the connection's handler answers or closes.
      await commit(deps, { put: [], delete: [], audit: [auditEntry(ctx, item, refused)] });
      return { response, failed: true, idPlaceholder: placeholder };
    }
  }
}

/**
 * Runs all items in order. Each item's changes commit atomically with its audit record before the
 * next item runs, so a later item sees them. With Undo (KMIP 2.1 §8.5) the items share one unit of
 * work that commits only if every item succeeds; otherwise successful items are reported as
 * Operation Undone and only the audit records are written. With Stop (the default) processing ends
 * at the first failure; with Continue it goes on.
 */
export async function runBatch(req: RequestMessage, deps: BatchDeps): Promise<ResponseBatchItem[]> {
  const option = req.header.batchErrorContinuationOption;
  const undo = option === BatchErrorContinuationOption.Undo;
  const out: ResponseBatchItem[] = [];
  const sharedTx = undo ? new UnitOfWork(deps.store) : undefined;
  const audits: AuditEntry[] = [];
  let idPlaceholder: string | undefined;

  for (const item of req.items) {
    if (sharedTx === undefined) {
      const r = await runAndCommit(deps, item, idPlaceholder, req.header.maximumResponseSize);
      idPlaceholder = r.idPlaceholder;
      out.push(r.response);
      if (r.failed && option !== BatchErrorContinuationOption.Continue) return out;
      continue;
    }
    const tx = sharedTx;
    const ctx = deps.context(tx, item);
    ctx.idPlaceholder = idPlaceholder;
    const outcome = await runItem(ctx, item, deps.handlers.get(item.operation), req.header.maximumResponseSize);
    idPlaceholder = ctx.idPlaceholder;
    out.push(outcome.response);
    audits.push(auditEntry(ctx, item, outcome));
    if (outcome.failed) {
      for (let i = 0; i < out.length - 1; i++) {
        if (out[i]!.resultStatus === ResultStatus.Success) out[i] = { ...out[i]!, resultStatus: ResultStatus.OperationUndone };
      }
      const undone = audits.map((a) => (a.result === 'Success' ? { ...a, result: 'OperationUndone' } : a));
      await commit(deps, { put: [], delete: [], audit: undone });
      return out;
    }
  }
  if (sharedTx !== undefined) {
    const changes = sharedTx.changes();
    try {
      await commit(deps, { put: changes.put, delete: changes.delete, audit: audits });
    } catch (err) {
      if (lostRace(err) === undefined) throw err;
      // Another request wrote one of these objects meanwhile: nothing of the batch is applied.
      // Re-running an Undo batch could repeat effects outside the store, so it is not retried.
      for (let i = 0; i < out.length; i++) if (out[i]!.resultStatus === ResultStatus.Success) out[i] = concurrentUpdate(req.items[i]!);
      const refused = audits.map((a) => (a.result === 'Success' ? { ...a, result: 'GeneralFailure' } : a));
      await commit(deps, { put: [], delete: [], audit: refused });
    }
  }
  return out;
}

async function runItem(ctx: RequestContext, item: RequestBatchItem, handler: Handler | undefined, maxSize: number | undefined): Promise<ItemOutcome> {
  if (handler === undefined) {
    return {
      failed: true,
      uids: [],
      response: {
        operation: item.operation,
        uniqueBatchItemId: item.uniqueBatchItemId,
        resultStatus: ResultStatus.OperationFailed,
        resultReason: ResultReason.OperationNotSupported,
        resultMessage: 'Operation not supported',
      },
    };
  }
  try {
    // KMIP 1.x: Names of Templates in a Template-Attribute become the templates' attributes.
    const payload = item.payload === undefined ? undefined : new Fields(await expandTemplateReferences(ctx, item.payload), 'Request Payload');
    const req = handler.decode(payload, ctx);
    const res = await handler.handle(ctx, req);
    const response: ResponseBatchItem = {
      operation: item.operation,
      uniqueBatchItemId: item.uniqueBatchItemId,
      resultStatus: ResultStatus.Success,
      payload: handler.encode(res, ctx),
    };
    const uids = handler.uids?.(req, res) ?? [];
    if (maxSize !== undefined && encodeTtlv(encodeResponseBatchItem(response)).length > maxSize) {
      // KMIP 2.1 §8.2 Maximum Response Size; the OASIS MSGENC-*-M-1 cases answer per item.
      return {
        failed: true,
        uids,
        response: { ...response, payload: undefined, resultStatus: ResultStatus.OperationFailed, resultReason: ResultReason.ResponseTooLarge, resultMessage: 'Response too large' },
      };
    }
    return { failed: false, uids, response };
  } catch (err) {
    return { failed: true, uids: [], response: failure(ctx, item, err) };
  }
}

/**
 * `d.toISOString()`, remembered for the last millisecond seen: it costs about 2 µs, and under load
 * several requests share each millisecond. An invalid date never matches (NaN) and throws as before.
 */
function isoTime(d: Date): string {
  const ms = d.getTime();
  if (ms !== lastIsoMs) {
    lastIso = d.toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
}
let lastIsoMs = Number.NaN;
let lastIso = '';

/** An audit record's operation: the Operation's name, or its number in hex when unknown. */
export function operationLabel(operation: number): string {
  return enumName('Operation', operation) ?? `0x${operation.toString(16)}`;
}

/** An audit record's result for a failure: the Result Reason's name. */
export function failureLabel(reason: number | undefined): string {
  return enumName('ResultReason', reason ?? 0) ?? 'Failed';
}

function auditEntry(ctx: RequestContext, item: RequestBatchItem, outcome: ItemOutcome): AuditEntry {
  const r = outcome.response;
  return {
    time: isoTime(ctx.now),
    principal: ctx.principal,
    operation: operationLabel(item.operation),
    uids: outcome.uids,
    result: r.resultStatus === ResultStatus.Success ? 'Success' : failureLabel(r.resultReason),
    batchItemId: item.uniqueBatchItemId === undefined ? undefined : Buffer.from(item.uniqueBatchItemId).toString('hex'),
  };
}
