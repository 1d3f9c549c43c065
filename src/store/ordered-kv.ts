/**
 * The minimal ordered key-value contract the object store is built on. The LevelDB backend
 * (src/store/leveldb/) and the in-memory one (src/store/memory-kv.ts) implement it, and all
 * object, index, locate and audit logic lives once, in src/store/kv-object-store.ts, on top of it.
 * Keys and values are raw bytes compared bytewise.
 */
import type { KeyRange } from './keys.js';

/** A forward cursor over the keys of one range. */
export interface KeyCursor {
  /** The next key in the range, or undefined at its end. */
  next(): Promise<Buffer | undefined>;
  /** Repositions so that the next key returned is the first one >= target (within the range). */
  seek(target: Buffer): void;
  close(): Promise<void>;
}

/** Reads; all reads through one reader see one consistent state. */
export interface KvReader {
  /** The value, in a buffer the caller owns (a fresh read or copy, never one the store keeps). */
  get(key: Buffer): Promise<Buffer | undefined>;
  keys(range: KeyRange): KeyCursor;
  /** Entries of a range in key order. */
  entries(range: KeyRange): AsyncIterable<[Buffer, Buffer]>;
  /** The entry with the greatest key in the range, if any. */
  last(range: KeyRange): Promise<[Buffer, Buffer] | undefined>;
}

/** A point-in-time read view; release it when done. */
export interface KvSnapshot extends KvReader {
  release(): Promise<void>;
}

/** One write of an atomic batch. */
export type KvOp = { readonly type: 'put'; readonly key: Buffer; readonly value: Buffer } | { readonly type: 'del'; readonly key: Buffer };

/** An ordered key-value store with atomic, durable batches. */
export interface OrderedKv extends KvReader {
  snapshot(): KvSnapshot;
  /** Applies every op or none; resolves once durable. */
  write(ops: readonly KvOp[]): Promise<void>;
  close(): Promise<void>;
}
