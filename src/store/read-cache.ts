/**
 * Objects as the store holds them now, kept after a point read so that the next read of the same
 * object skips LevelDB's lookup and the envelope parse (about 12% of a Get's main-thread time at
 * 16 connections, BENCHMARKS.md "Read cache").
 *
 * Exact because this process is the store's only writer (LevelDB's lock keeps others out) and
 * every write goes through its CommitQueue, which calls {@link ReadCache.written} with the uids a
 * batch changed once the batch is durable. Reads and that call all run on one thread:
 * - a read that misses during a batch write may see the old or the new version; the batch's
 *   `written` then drops whichever it cached, and the next read loads the new one;
 * - a read that loaded a version before a `written` that concerns it must not insert that version
 *   afterwards: each `written` moves a generation, and {@link ReadCache.insert} is given the
 *   generation seen before its read and does nothing if it moved.
 * A failed batch wrote nothing and changes nothing here. A backend with several writers (a shared
 * PostgreSQL store) cannot use this cache; its reads go to the database.
 *
 * Entries are shared between readers. StoredObject is readonly, its body and index are never
 * written by kmipd (the KMIP layer decodes them into new objects), and the cache holds what the
 * store holds: wrapped key material and metadata, never plaintext keys.
 */
import type { StoredObject } from './object-store.js';

export const READ_CACHE_MAX_ENTRIES = 4096;
export const READ_CACHE_MAX_BYTES = 16 * 1024 * 1024;
/** Objects with larger stored forms are read from the store each time. */
export const READ_CACHE_MAX_OBJECT = 64 * 1024;

interface Entry {
  readonly obj: StoredObject;
  readonly size: number;
}

export class ReadCache {
  readonly #map = new Map<string, Entry>();
  #bytes = 0;
  #generation = 0;
  hits = 0;
  misses = 0;

  constructor(
    readonly maxEntries = READ_CACHE_MAX_ENTRIES,
    readonly maxBytes = READ_CACHE_MAX_BYTES,
  ) {}

  /** Read before a store read; pass it to {@link insert} with what that read found. */
  get generation(): number {
    return this.#generation;
  }

  get(uid: string): StoredObject | undefined {
    const e = this.#map.get(uid);
    if (e === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Most recently used last (a Map iterates in insertion order).
    this.#map.delete(uid);
    this.#map.set(uid, e);
    return e.obj;
  }

  /** Remembers what a read found (`size`: its stored bytes), unless a write landed since `generation`. */
  insert(obj: StoredObject, size: number, generation: number): void {
    if (generation !== this.#generation || size > READ_CACHE_MAX_OBJECT) return;
    const old = this.#map.get(obj.uid);
    if (old !== undefined) this.#drop(obj.uid, old);
    this.#map.set(obj.uid, { obj, size });
    this.#bytes += size;
    while (this.#map.size > this.maxEntries || this.#bytes > this.maxBytes) {
      const [uid, e] = this.#map.entries().next().value as [string, Entry];
      this.#drop(uid, e);
    }
  }

  /** A durable batch changed or deleted these objects. */
  written(uids: Iterable<string>): void {
    this.#generation++;
    for (const uid of uids) {
      const e = this.#map.get(uid);
      if (e !== undefined) this.#drop(uid, e);
    }
  }

  clear(): void {
    this.#generation++;
    this.#map.clear();
    this.#bytes = 0;
  }

  get stats(): { entries: number; bytes: number; hits: number; misses: number } {
    return { entries: this.#map.size, bytes: this.#bytes, hits: this.hits, misses: this.misses };
  }

  #drop(uid: string, e: Entry): void {
    this.#map.delete(uid);
    this.#bytes -= e.size;
  }
}
