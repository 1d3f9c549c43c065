/**
 * Serialised, group-committed writes. Commits are applied strictly one after another in arrival
 * order (sealing needs the previous record's hash; revision checks need the current versions),
 * but those that arrive while a write is in flight are validated in order against the state
 * their predecessors leave, and then written together in ONE synchronous batch: one fsync for
 * the group instead of one per commit. Each commit stays all-or-nothing: one that fails
 * validation (stale revision, missing object) is rejected alone and contributes nothing; if the
 * batch write fails, every commit in it is rejected and the audit head does not move.
 *
 * This is an in-process design for a single process owning its LevelDB directory (LevelDB's lock
 * keeps others out). A multi-node backend (PostgreSQL) would instead, inside one SERIALIZABLE
 * transaction per commit, lock the audit head row (SELECT … FOR UPDATE), check object revisions
 * with `UPDATE … WHERE revision = $old`, insert the records and update the head; a serialisation
 * failure is retried or surfaced as a conflict.
 */
import { sealAndEncodeAuditRecord, type AuditHead } from '../audit/chain.js';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';
import { ObjectNotFoundError, StaleRevisionError } from './errors.js';
import { META_AUDIT_HEAD, auditKey, indexKey, objectKey } from './keys.js';
import type { Changes } from './object-store.js';
import type { KvOp, OrderedKv } from './ordered-kv.js';

/** Upper bound on commits per batch, so that one batch (and its memory) stays bounded. */
const MAX_GROUP = 128;

interface Pending {
  readonly changes: Changes;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** Stored value of the audit head. */
export function headBytes(h: AuditHead): Buffer {
  return Buffer.from(JSON.stringify({ seq: h.seq, hash: h.hash }));
}

/** The single writer of a store. */
export class CommitQueue {
  /** Atomic batches written (a group of commits counts once). */
  batches = 0;
  /** Commits written that changed something. */
  commits = 0;
  readonly #kv: OrderedKv;
  #head: AuditHead | undefined;
  #queue: Pending[] = [];
  #draining: Promise<void> | undefined;

  readonly #onWritten: ((uids: Iterable<string>) => void) | undefined;

  /** `onWritten`: told the uids of the objects each durable batch put or deleted (the store's read cache). */
  constructor(kv: OrderedKv, head: AuditHead | undefined, onWritten?: (uids: Iterable<string>) => void) {
    this.#kv = kv;
    this.#head = head;
    this.#onWritten = onWritten;
  }

  /** The head new records chain onto; moves only after a durable write. */
  get head(): AuditHead | undefined {
    return this.#head;
  }

  /** Queues a commit; resolves once it is durable. */
  submit(changes: Changes): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ changes, resolve, reject });
      // Started on a microtask, so that commits submitted in the same tick share the first batch.
      this.#draining ??= Promise.resolve().then(() => this.#drain());
    });
  }

  /** Resolves once every commit submitted so far has been written or rejected. */
  async idle(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }

  /**
   * Writes group after group. A group's commits are resolved only once the NEXT group's batch is
   * on its way to the disk: answering them (encoding, TLS writes) then overlaps that batch's
   * fsync instead of sitting between two batches. Batches themselves still never overlap, since
   * each chains onto the head the previous one made durable.
   */
  async #drain(): Promise<void> {
    let durable: readonly Pending[] = [];
    try {
      while (this.#queue.length > 0) {
        const next = this.#writeGroup(this.#queue.splice(0, MAX_GROUP));
        settle(durable);
        durable = [];
        durable = await next;
      }
    } finally {
      settle(durable);
      this.#draining = undefined;
    }
  }

  /** Validates, seals and writes one group; returns the members now durable (not yet resolved). */
  async #writeGroup(group: readonly Pending[]): Promise<readonly Pending[]> {
    // Object envelopes as earlier members of this group leave them (null: deleted); only built
    // when a member changes objects (reads, the common case, only append audit records).
    let overlay: Map<string, Buffer | null> | undefined;
    let head = this.#head;
    const ops: KvOp[] = [];
    const accepted: Pending[] = [];
    let writing = 0;
    for (const member of group) {
      const changes = member.changes;
      const mark = ops.length;
      try {
        if (changes.put.length > 0 || changes.delete.length > 0) {
          overlay ??= new Map();
          const objects = await this.#prepareObjects(changes, overlay, ops);
          head = sealInto(ops, changes, head);
          for (const [uid, bytes] of objects) overlay.set(uid, bytes);
        } else {
          head = sealInto(ops, changes, head);
        }
      } catch (err) {
        ops.length = mark; // this member contributes nothing
        member.reject(err);
        continue;
      }
      if (ops.length > mark) writing++;
      accepted.push(member);
    }
    if (head !== this.#head && head !== undefined) ops.push({ type: 'put', key: META_AUDIT_HEAD, value: headBytes(head) });
    if (ops.length > 0) {
      try {
        await this.#kv.write(ops);
      } catch (err) {
        for (const m of accepted) m.reject(err);
        return [];
      }
      this.batches++;
      this.commits += writing;
      if (overlay !== undefined) this.#onWritten?.(overlay.keys());
      this.#head = head === undefined ? undefined : { seq: head.seq, hash: head.hash };
    }
    return accepted;
  }

  /**
   * Appends the object ops of one commit to `ops`, validated against the durable state plus the
   * overlay; returns the envelopes it leaves (null: deleted). Throws before the caller keeps any.
   */
  async #prepareObjects(changes: Changes, overlay: ReadonlyMap<string, Buffer | null>, ops: KvOp[]): Promise<Map<string, Buffer | null>> {
    const objects = new Map<string, Buffer | null>();
    for (const obj of changes.put) {
      const key = objectKey(obj.uid);
      const prev = await this.#current(obj.uid, key, overlay);
      if (prev !== undefined) {
        const old = decodeEnvelope(prev, obj.uid);
        if (obj.revision <= old.revision) throw new StaleRevisionError(obj.uid, old.revision, obj.revision);
        // Deletes first: a batch applies in order, so a term kept by the new version is re-put.
        for (const t of old.index) ops.push({ type: 'del', key: indexKey(t.field, t.value, obj.uid) });
      }
      for (const t of obj.index) ops.push({ type: 'put', key: indexKey(t.field, t.value, obj.uid), value: EMPTY });
      const value = encodeEnvelope(obj);
      ops.push({ type: 'put', key, value });
      objects.set(obj.uid, value);
    }
    for (const uid of changes.delete) {
      const key = objectKey(uid);
      const prev = await this.#current(uid, key, overlay);
      if (prev === undefined) throw new ObjectNotFoundError(uid);
      for (const t of decodeEnvelope(prev, uid).index) ops.push({ type: 'del', key: indexKey(t.field, t.value, uid) });
      ops.push({ type: 'del', key });
      objects.set(uid, null);
    }
    return objects;
  }

  /** An object's envelope as the group so far leaves it. */
  async #current(uid: string, key: Buffer, overlay: ReadonlyMap<string, Buffer | null>): Promise<Buffer | undefined> {
    const o = overlay.get(uid);
    if (o !== undefined) return o ?? undefined;
    return this.#kv.get(key);
  }
}

const EMPTY = Buffer.alloc(0);

function settle(members: readonly Pending[]): void {
  for (const m of members) m.resolve();
}

/** Seals a commit's audit entries after `head`, appending their puts to `ops`; returns the new head. */
function sealInto(ops: KvOp[], changes: Changes, head: AuditHead | undefined): AuditHead | undefined {
  for (const entry of changes.audit) {
    const { record, bytes } = sealAndEncodeAuditRecord(head, entry);
    ops.push({ type: 'put', key: auditKey(record.seq), value: bytes });
    head = record;
  }
  return head;
}
