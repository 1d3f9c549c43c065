/**
 * A bounded cache of decoded managed objects, so that an operation that reads the same object
 * again (a Get, an Encrypt with a hot key) does not parse its stored body again: JSON, base64,
 * the TTLV attribute list, the 1.x Attribute Indexes (BENCHMARKS.md "Get path, fourth session").
 *
 * Exact by construction, whoever writes the store: an entry is used only when the stored object
 * just read (on current data, through the request's unit of work) has the same uid, owner,
 * revision AND body bytes as the one the entry was decoded from. `deserializeObject` is a pure
 * function of exactly those, so a hit returns what decoding would; a commit that writes the
 * object (every write raises its revision: the commit queue rejects a put that does not) makes
 * the next read miss and replace the entry, and so does a write by another node of a shared store
 * later. Deleted objects are dropped when a read finds them gone; the rest age out (LRU).
 *
 * What an entry holds is what the store's body holds (objects.ts): wrapped key material (HSM
 * blobs under the master key, resident HSM ids), public values, and metadata. Never plaintext
 * key material, which only the key export cache (src/crypto/pkcs11/export-cache.ts) keeps, under
 * its own rules; so entries need no zeroing, and Sensitive objects are no different from others.
 *
 * Decoded objects are shared between requests. ManagedObject is readonly throughout and the
 * operations derive new objects (withAttribute, spreads) rather than change one; the objects are
 * not frozen, because V8 reads frozen objects' properties on slower paths: freezing the entries
 * cost ~15-25 µs of main thread per Get (the `attr` scans), most of what the cache saves.
 */
import type { StoredObject } from '../store/object-store.js';
import type { ManagedObject } from './objects.js';

/** Default bounds: entries, and total body bytes (the decoded form is a small multiple of it). */
export const OBJECT_CACHE_MAX_ENTRIES = 4096;
export const OBJECT_CACHE_MAX_BYTES = 16 * 1024 * 1024;
/** Bodies larger than this (big certificates, opaque blobs) are decoded each time, not cached. */
export const OBJECT_CACHE_MAX_BODY = 64 * 1024;

interface Entry {
  readonly owner: string;
  readonly revision: number;
  readonly body: Buffer;
  readonly obj: ManagedObject;
}

export interface ObjectCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

export class DecodedObjectCache {
  readonly #map = new Map<string, Entry>();
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(
    readonly maxEntries = OBJECT_CACHE_MAX_ENTRIES,
    readonly maxBytes = OBJECT_CACHE_MAX_BYTES,
  ) {}

  /** The decoded form of `stored`: the cached one when it was decoded from the same bytes, else `decode(stored)` (remembered). */
  load(stored: StoredObject, decode: (s: StoredObject) => ManagedObject): ManagedObject {
    const e = this.#map.get(stored.uid);
    if (e !== undefined) {
      if (e.revision === stored.revision && e.owner === stored.owner && e.body.equals(stored.body)) {
        this.hits++;
        // Most recently used last (Map keeps insertion order).
        this.#map.delete(stored.uid);
        this.#map.set(stored.uid, e);
        return e.obj;
      }
      this.#drop(stored.uid, e);
    }
    this.misses++;
    const obj = decode(stored);
    if (stored.body.length <= OBJECT_CACHE_MAX_BODY && obj.uid === stored.uid) {
      const entry: Entry = { owner: stored.owner, revision: stored.revision, body: Buffer.from(stored.body), obj };
      this.#map.set(stored.uid, entry);
      this.#bytes += entry.body.length;
      this.#trim();
      return entry.obj;
    }
    return obj;
  }

  /** Forgets an object (read as gone). */
  evict(uid: string): void {
    const e = this.#map.get(uid);
    if (e !== undefined) this.#drop(uid, e);
  }

  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }

  get stats(): ObjectCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.#map.size, bytes: this.#bytes };
  }

  #drop(uid: string, e: Entry): void {
    this.#map.delete(uid);
    this.#bytes -= e.body.length;
  }

  #trim(): void {
    while (this.#map.size > this.maxEntries || (this.#bytes > this.maxBytes && this.#map.size > 0)) {
      const [uid, e] = this.#map.entries().next().value as [string, Entry];
      this.#drop(uid, e);
    }
  }
}

/** One cache per store (so tests and tools opening several stores keep them apart). */
const caches = new WeakMap<object, DecodedObjectCache>();

export function objectCacheFor(store: object): DecodedObjectCache {
  let c = caches.get(store);
  if (c === undefined) {
    c = new DecodedObjectCache();
    caches.set(store, c);
  }
  return c;
}
