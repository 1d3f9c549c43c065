/**
 * A small LRU of unwrapped key objects, so that a burst of Encrypt/Sign requests on one key
 * unwraps it once (CONVENTIONS.md §4: "crypto operations unwrap into session objects (cache
 * handles)"). Entries are reference counted: an evicted object still in use is destroyed by
 * its last user, never under its feet.
 */
import type { Handle } from 'pkcs11js';

export interface CachedKey {
  readonly handle: Handle;
  /** Users currently holding the handle. */
  refs: number;
  /** False once evicted: the last release destroys the object. */
  cached: boolean;
  /** False for objects found in the token (resident keys): never destroyed by the cache. */
  owned: boolean;
}

export class KeyHandleCache {
  private readonly entries = new Map<string, CachedKey>();
  /** The entry last in `entries` (most recently used), if known. */
  private newest: CachedKey | undefined;

  /**
   * @param destroy removes a session object (C_DestroyObject) using the session the caller
   *   holds; its errors are swallowed.
   */
  constructor(
    private readonly capacity: number,
    private readonly destroy: (handle: Handle, session: Handle) => void,
  ) {}

  /** Takes a reference to a cached object, marking it most recently used. */
  acquire(key: string): CachedKey | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Already the most recently used (a run of requests on one key): no reordering needed.
    if (entry !== this.newest) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      this.newest = entry;
    }
    entry.refs += 1;
    return entry;
  }

  /** Adds an object with one reference held by the caller; evicts idle entries beyond capacity. */
  add(key: string, handle: Handle, owned: boolean, session: Handle): CachedKey {
    const entry: CachedKey = { handle, refs: 1, cached: false, owned };
    if (this.capacity <= 0 || this.entries.has(key)) return entry; // a racing unwrap won; ours stays private
    entry.cached = true;
    this.entries.set(key, entry);
    this.newest = entry;
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      if (e === entry) continue;
      this.entries.delete(k);
      e.cached = false;
      if (e.refs === 0) this.drop(e, session);
    }
    return entry;
  }

  /** Gives a reference back; destroys the object if it is no longer cached and unused. */
  release(entry: CachedKey, session: Handle): void {
    entry.refs -= 1;
    if (entry.refs === 0 && !entry.cached) this.drop(entry, session);
  }

  /** Forgets one key (e.g. a destroyed resident key); objects in use go when released. */
  evict(key: string, session: Handle): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    if (entry === this.newest) this.newest = undefined;
    entry.cached = false;
    if (entry.refs === 0) this.drop(entry, session);
  }

  /**
   * Forgets everything. Without a session the objects are known to be gone already (their
   * session was closed or replaced): they are disowned, since the module may reuse the handle
   * numbers for new objects that must not be destroyed by a late release.
   */
  clear(session?: Handle): void {
    for (const e of this.entries.values()) {
      e.cached = false;
      if (!session) e.owned = false;
      else if (e.refs === 0) this.drop(e, session);
    }
    this.entries.clear();
    this.newest = undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(entry: CachedKey, session: Handle): void {
    if (!entry.owned) return;
    entry.owned = false;
    try {
      this.destroy(entry.handle, session);
    } catch {
      // The object may already be gone with its session; nothing else holds it.
    }
  }
}
