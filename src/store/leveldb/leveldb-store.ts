/**
 * The LevelDB backend: an OrderedKv on classic-level (the only importer of it), with binary keys
 * and values, explicit snapshots for consistent multi-range reads, and synchronous (fsync'd)
 * batches so that a commit is durable when its promise resolves. The object store logic itself
 * is backend-agnostic (src/store/kv-object-store.ts).
 */
import { ClassicLevel } from 'classic-level';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openKvObjectStore, type InspectableStore, type StoreOptions } from '../kv-object-store.js';
import type { KeyRange } from '../keys.js';
import type { KeyCursor, KvReader, KvSnapshot, OrderedKv } from '../ordered-kv.js';
import { StoreError } from '../errors.js';

type Db = ClassicLevel<Buffer, Buffer>;
type ReadOpts = { snapshot?: ReturnType<Db['snapshot']> };

const BINARY = { keyEncoding: 'buffer', valueEncoding: 'buffer' } as const;
/** Batches are synchronous (fsync'd): a commit is durable when its promise resolves. */
const SYNC = { sync: true } as const;

function levelReader(db: Db, read: ReadOpts): KvReader {
  const snapshotOpts = read.snapshot === undefined ? undefined : { ...BINARY, ...read };
  return {
    // Point reads are synchronous (classic-level getSync): the objects a request reads are
    // almost always in LevelDB's memtable or block cache, where the read takes a few µs, and the
    // async get's round trip through the libuv thread pool cost far more than that (14% of a
    // Get's main-thread time at 16 connections, BENCHMARKS.md "Get throughput"). The price: a
    // read of a block in no cache waits for the disk on the event loop.
    get: (key) => {
      try {
        return Promise.resolve(snapshotOpts === undefined ? db.getSync(key) : db.getSync(key, snapshotOpts));
      } catch (err) {
        return Promise.reject(err as Error);
      }
    },
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
    // A chained batch, not db.batch(array): abstract-level's array form clones and re-validates
    // every op with its encodings before handing them over, which cost about 100 µs of main
    // thread per 7-op batch (150 against 50 µs, BENCHMARKS.md "Audit batches"). One WriteBatch
    // either way, so the write is still atomic; an op that throws leaves nothing written.
    write: (ops) => {
      const batch = db.batch();
      try {
        for (const op of ops) {
          if (op.type === 'put') batch.put(op.key, op.value);
          else batch.del(op.key);
        }
      } catch (err) {
        return batch.close().then(() => Promise.reject(err as Error));
      }
      return batch.write(SYNC);
    },
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

/**
 * Compacts every key of a closed LevelDB store down to its last level, then closes it. For tools
 * that prepare a store to be copied (the benchmark's seed stores): LevelDB schedules compactions
 * when a database is opened with levels over their size targets, so an uncompacted copy spends
 * its first seconds compacting in the background and skews whatever runs on it then.
 */
export async function compactLevelDbStore(dir: string): Promise<void> {
  // LevelDB makes the directory and its LOCK file even when it then refuses to create a database.
  if (!existsSync(join(dir, 'CURRENT'))) throw new StoreError(`cannot open store at ${dir}: no LevelDB database there`);
  const db: Db = new ClassicLevel<Buffer, Buffer>(dir, { ...BINARY, createIfMissing: false });
  try {
    await db.open();
  } catch (err) {
    throw new StoreError(`cannot open store at ${dir}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // Every key kmipd writes starts with a byte below 0xff (src/store/keys.ts), so [0x00, 0xff] covers them all.
    await db.compactRange(Buffer.of(0x00), Buffer.of(0xff));
  } finally {
    await db.close();
  }
}
