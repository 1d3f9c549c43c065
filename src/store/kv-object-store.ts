/**
 * The ObjectStore over any OrderedKv: objects, index maintenance, atomic commits with the audit
 * chain, locate and audit reads. LevelDB and the in-memory store differ only in their OrderedKv,
 * so tests of other layers against the memory store exercise this very code.
 *
 * Writes go through one CommitQueue (src/store/commit-queue.ts): serialised, group-committed.
 */
import type { Logger } from 'pino';
import { AUDIT_HEAD_REPAIR, GENESIS_HASH, SYSTEM_PRINCIPAL, decodeAuditRecord, encodeAuditRecord, sealAuditRecord, type AuditHead } from '../audit/chain.js';
import type { AuditRecord } from '../audit/record.js';
import { CommitQueue, headBytes } from './commit-queue.js';
import { ReadCache } from './read-cache.js';
import { decodeEnvelope } from './envelope.js';
import { InvalidChangesError, StoreClosedError, StoreCorruptionError } from './errors.js';
import { AUDIT_RANGE, INDEX_PREFIX, META_AUDIT_HEAD, META_FORMAT, auditKey, objectKey, seqFromAuditKey, uidBytes } from './keys.js';
import { locateUids } from './locate.js';
import type { Changes, IndexCondition, LocateOptions, ObjectStore, StoredObject } from './object-store.js';
import type { KeyCursor, KvOp, KvReader, OrderedKv } from './ordered-kv.js';

/** Version of the key layout and envelope format, kept under `m\0format`. */
const STORE_FORMAT = 1;

const HEX64 = /^[0-9a-f]{64}$/;

/** Counters for monitoring, and for tests that prove locate reads the indexes only. */
export interface StoreMetrics {
  /** Keys returned by key cursors (index and object-key scans). */
  keysRead: number;
  /** Point reads of objects (get, locate's residual checks). */
  objectsRead: number;
  /** Successful commits that wrote something. */
  commits: number;
  /** Atomic batches written; below `commits` when concurrent commits were grouped. */
  batches: number;
  /** Point reads answered from the read cache (src/store/read-cache.ts), included in `objectsRead`. */
  readCacheHits: number;
}

/** Options when opening a store. */
export interface StoreOptions {
  readonly log?: Logger;
  /**
   * When the stored audit head and the last record disagree, trust the records: seal an
   * AuditHeadRepair record onto them and point the head at it (default true). Verification tools
   * pass false so that opening writes nothing.
   */
  readonly repairAuditHead?: boolean;
}

/** What open found about the audit head. */
export interface AuditHeadCheck {
  /** The head as stored under `m\0audit-head`. */
  readonly stored: AuditHead | undefined;
  /** The head derived from the last stored record. */
  readonly fromRecords: AuditHead | undefined;
  readonly consistent: boolean;
}

/** An ObjectStore with introspection beyond the shared interface. */
export interface InspectableStore extends ObjectStore {
  readonly metrics: StoreMetrics;
  /** The head new records chain onto (undefined while the chain is empty). */
  auditHead(): AuditHead | undefined;
  /** The audit head comparison made when the store was opened. */
  readonly openCheck: AuditHeadCheck;
}

/** Opens the object store on an ordered KV (used by the LevelDB and memory backends). */
export async function openKvObjectStore(kv: OrderedKv, opts: StoreOptions = {}): Promise<InspectableStore> {
  const format = await kv.get(META_FORMAT);
  if (format !== undefined && format.toString() !== String(STORE_FORMAT)) {
    throw new StoreCorruptionError(`unsupported store format ${format.toString()}`);
  }
  const check = await checkAuditHead(kv, opts.log);
  const fixes: KvOp[] = [];
  let head = check.fromRecords;
  if (!check.consistent) {
    // One batch makes head and records move together, so a crash cannot cause this: it is damage
    // or tampering. Trusting the records keeps the server available; the sealed repair record
    // keeps the event in the chain, where removing it later would itself break the chain.
    opts.log?.warn({ stored: check.stored, fromRecords: check.fromRecords }, 'audit head disagrees with the last audit record; trusting the records');
    const record = sealAuditRecord(check.fromRecords, {
      time: new Date().toISOString(),
      principal: SYSTEM_PRINCIPAL,
      operation: AUDIT_HEAD_REPAIR,
      uids: [],
      result: 'Success',
    });
    fixes.push({ type: 'put', key: auditKey(record.seq), value: encodeAuditRecord(record) });
    fixes.push({ type: 'put', key: META_AUDIT_HEAD, value: headBytes(record) });
    head = { seq: record.seq, hash: record.hash };
  }
  if (format === undefined) fixes.push({ type: 'put', key: META_FORMAT, value: Buffer.from(String(STORE_FORMAT)) });
  if (opts.repairAuditHead === false) head = check.fromRecords;
  else if (fixes.length > 0) await kv.write(fixes);
  return new KvObjectStore(kv, head, check);
}

/** Compares the stored audit head with the last stored record. */
async function checkAuditHead(kv: KvReader, log: Logger | undefined): Promise<AuditHeadCheck> {
  const stored = parseHead(await kv.get(META_AUDIT_HEAD));
  const last = await kv.last(AUDIT_RANGE);
  let fromRecords: AuditHead | undefined;
  if (last !== undefined) {
    const seq = seqFromAuditKey(last[0]);
    let hash: unknown;
    try {
      hash = decodeAuditRecord(last[1], seq).hash;
    } catch {
      hash = undefined;
    }
    if (typeof hash !== 'string' || !HEX64.test(hash)) {
      // Chaining onto a damaged record keeps the server up; the verifier names this seq. Its
      // hash as last written is in the head if the head is about the same record.
      log?.error({ seq }, 'last audit record is unreadable');
      hash = stored?.seq === seq ? stored.hash : GENESIS_HASH;
    }
    fromRecords = { seq, hash: hash as string };
  }
  const consistent = stored?.seq === fromRecords?.seq && stored?.hash === fromRecords?.hash;
  return { stored, fromRecords, consistent };
}

/**
 * The store over a KV known to be empty, without the async checks of open (for the in-memory
 * store, which callers want synchronously).
 */
export function createEmptyKvObjectStore(kv: OrderedKv): InspectableStore {
  return new KvObjectStore(kv, undefined, { stored: undefined, fromRecords: undefined, consistent: true });
}

function parseHead(bytes: Buffer | undefined): AuditHead | undefined {
  if (bytes === undefined) return undefined;
  try {
    const h = JSON.parse(bytes.toString('utf8')) as { seq?: unknown; hash?: unknown };
    if (Number.isSafeInteger(h.seq) && typeof h.hash === 'string' && HEX64.test(h.hash)) return { seq: h.seq as number, hash: h.hash };
  } catch {
    // fall through: an unparseable head is treated like a missing one and repaired
  }
  return undefined;
}

class KvObjectStore implements InspectableStore {
  readonly #kv: OrderedKv;
  readonly #writer: CommitQueue;
  readonly #reads = { keysRead: 0, objectsRead: 0 };
  /** Objects as stored now, for point reads; exact because #writer is the only writer (src/store/read-cache.ts). */
  readonly #cache = new ReadCache();
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(
    kv: OrderedKv,
    head: AuditHead | undefined,
    readonly openCheck: AuditHeadCheck,
  ) {
    this.#kv = kv;
    this.#writer = new CommitQueue(kv, head, (uids) => this.#cache.written(uids));
  }

  get metrics(): StoreMetrics {
    return { ...this.#reads, commits: this.#writer.commits, batches: this.#writer.batches, readCacheHits: this.#cache.hits };
  }

  auditHead(): AuditHead | undefined {
    return this.#writer.head;
  }

  async get(uid: string): Promise<StoredObject | undefined> {
    this.#checkOpen();
    // A cached uid was checked when its object was read (below), so a hit needs no key.
    const cached = this.#cache.get(uid);
    if (cached !== undefined) {
      this.#reads.objectsRead++;
      return cached;
    }
    let key: Buffer;
    try {
      key = objectKey(uid);
    } catch {
      return undefined; // an empty or malformed uid names no object
    }
    this.#reads.objectsRead++;
    const generation = this.#cache.generation;
    const bytes = await this.#kv.get(key);
    if (bytes === undefined) return undefined;
    const obj = decodeEnvelope(bytes, uid, true);
    this.#cache.insert(obj, bytes.length, generation);
    return obj;
  }

  async locate(conditions: readonly IndexCondition[], opts?: LocateOptions): Promise<string[]> {
    this.#checkOpen();
    const snapshot = this.#kv.snapshot();
    try {
      return await locateUids(this.#counting(snapshot), conditions, opts);
    } finally {
      await snapshot.release();
    }
  }

  async *auditRecords(fromSeq = 1): AsyncGenerator<AuditRecord> {
    this.#checkOpen();
    const range = { gte: auditKey(Math.max(fromSeq, 0)), lt: AUDIT_RANGE.lt };
    for await (const [key, value] of this.#kv.entries(range)) {
      yield decodeAuditRecord(value, seqFromAuditKey(key));
    }
  }

  async commit(changes: Changes): Promise<void> {
    this.#checkOpen();
    validateChanges(changes);
    await this.#writer.submit(changes);
  }

  close(): Promise<void> {
    this.#closed = true;
    // Commits accepted before close() are written first; later calls share the promise.
    this.#closing ??= this.#writer.idle().then(() => {
      this.#cache.clear();
      return this.#kv.close();
    });
    return this.#closing;
  }

  #checkOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }

  /** Wraps reads so that metrics count what locate actually touches. */
  #counting(reader: KvReader): KvReader {
    const metrics = this.#reads;
    return {
      get: (key) => {
        // Locate reads objects (range conditions) and single index keys (broad equalities).
        if (key[0] === INDEX_PREFIX[0] && key[1] === INDEX_PREFIX[1]) metrics.keysRead++;
        else metrics.objectsRead++;
        return reader.get(key);
      },
      keys: (range): KeyCursor => {
        const cursor = reader.keys(range);
        return {
          next: async () => {
            const k = await cursor.next();
            if (k !== undefined) metrics.keysRead++;
            return k;
          },
          seek: (target) => cursor.seek(target),
          close: () => cursor.close(),
        };
      },
      entries: (range) => reader.entries(range),
      last: (range) => reader.last(range),
    };
  }
}

function validateChanges(changes: Changes): void {
  const puts = new Set<string>();
  for (const obj of changes.put) {
    uidBytes(obj.uid);
    if (puts.has(obj.uid)) throw new InvalidChangesError(`object ${obj.uid} is put twice`);
    puts.add(obj.uid);
  }
  const deletes = new Set<string>();
  for (const uid of changes.delete) {
    uidBytes(uid);
    if (puts.has(uid) || deletes.has(uid)) throw new InvalidChangesError(`object ${uid} is deleted twice or both put and deleted`);
    deletes.add(uid);
  }
}
