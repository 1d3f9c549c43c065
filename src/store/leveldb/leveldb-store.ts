/**
 * The LevelDB backend: an OrderedKv on classic-level (the only importer of it), with binary keys
 * and values, explicit snapshots for consistent multi-range reads, and synchronous (fsync'd)
 * batches so that a commit is durable when its promise resolves. The object store logic itself
 * is backend-agnostic (src/store/kv-object-store.ts).
 */
import { ClassicLevel } from 'classic-level';
import { openKvObjectStore, type InspectableStore, type StoreOptions } from '../kv-object-store.js';
import type { KeyRange } from '../keys.js';
import type { KeyCursor, KvReader, KvSnapshot, OrderedKv } from '../ordered-kv.js';
import { StoreError } from '../errors.js';

type Db = ClassicLevel<Buffer, Buffer>;
type ReadOpts = { snapshot?: ReturnType<Db['snapshot']> };

const BINARY = { keyEncoding: 'buffer', valueEncoding: 'buffer' } as const;

function levelReader(db: Db, read: ReadOpts): KvReader {
  return {
    get: (key) => db.get(key, { ...BINARY, ...read }),
    keys: (range: KeyRange): KeyCursor => {
      const it = db.keys({ keyEncoding: 'buffer', gte: range.gte, lt: range.lt, ...read });
      return {
        next: () => it.next(),
        seek: (target) => it.seek(target),
        close: () => it.close(),
      };
    },
    entries: (range: KeyRange) => db.iterator({ ...BINARY, gte: range.gte, lt: range.lt, ...read }),
    last: async (range: KeyRange) => {
      const it = db.iterator({ ...BINARY, gte: range.gte, lt: range.lt, reverse: true, limit: 1, ...read });
      try {
        return await it.next();
      } finally {
        await it.close();
      }
    },
  };
}

/** Wraps an open classic-level database as an OrderedKv. */
function levelKv(db: Db): OrderedKv {
  return {
    ...levelReader(db, {}),
    snapshot: (): KvSnapshot => {
      const snapshot = db.snapshot();
      return { ...levelReader(db, { snapshot }), release: () => snapshot.close() };
    },
    write: (ops) => db.batch(ops.map((op) => ({ ...op })), { ...BINARY, sync: true }),
    close: () => db.close(),
  };
}

/** Options of {@link openLevelDbStore}. */
export interface LevelDbStoreOptions extends StoreOptions {
  /** Create the database when `dir` holds none (default true; tools that only read pass false). */
  readonly createIfMissing?: boolean;
}

/**
 * Opens (creating if needed) the LevelDB store in `dir`. LevelDB's lock file makes a second
 * process (another server, or audit-verify while the server runs) fail here with a StoreError.
 */
export async function openLevelDbStore(dir: string, opts: LevelDbStoreOptions = {}): Promise<InspectableStore> {
  const kv = await openLevelDbKv(dir, opts);
  try {
    return await openKvObjectStore(kv, opts);
  } catch (err) {
    await kv.close();
    throw err;
  }
}

/**
 * Opens the raw ordered KV of a LevelDB store. For tools and fault-injection tests that wrap it
 * before handing it to openKvObjectStore; everything else uses {@link openLevelDbStore}.
 */
export async function openLevelDbKv(dir: string, opts: Pick<LevelDbStoreOptions, 'createIfMissing'> = {}): Promise<OrderedKv> {
  const db: Db = new ClassicLevel<Buffer, Buffer>(dir, { ...BINARY, createIfMissing: opts.createIfMissing ?? true });
  try {
    await db.open();
  } catch (err) {
    throw new StoreError(`cannot open store at ${dir}: ${(err as Error).message}`, { cause: err });
  }
  return levelKv(db);
}
