/**
 * A bounded, short-lived, per-process cache of key material exported for Get.
 *
 * Why it exists: every Get of a wrapped key otherwise costs an HSM round trip (C_UnwrapKey,
 * C_GetAttributeValue, C_DestroyObject), the largest single share of a Get's server CPU and one
 * that SoftHSM2 serialises (BENCHMARKS.md, "Server"). A client that fetches the same key many
 * times a second pays it every time.
 *
 * What it may and may not do (the policy, see README "Configuration"):
 * - It only memoises the pure function "this wrapped blob under this master key -> its value".
 *   Every Get still loads the object and runs all its checks (state, Extractable, Sensitive,
 *   archive, ownership) before asking for the value, so no access decision is ever cached; an
 *   entry is used only when the object's current blob, master key label, mechanism, length and
 *   algorithm are exactly those it was exported from.
 * - Bounded: at most `maxEntries` objects (oldest evicted first) and each entry lives at most
 *   `ttlMs` from its export, whether used or not; the value is then zeroed.
 * - Invalidated, and zeroed, by any write of the object (Destroy, Revoke, ReKey's successor
 *   link, Activate, attribute changes...): the dispatcher calls {@link ExportCache.invalidate}
 *   with the uids of every commit. An export still in flight when its object is written is
 *   handed to the requests already waiting for it but never cached.
 * - Callers get their own copy (they zero it when done); the cached value never leaves.
 * - Per process. Several nodes sharing a store would not see each other's writes; the short TTL
 *   bounds how long a node could serve a value the object has since stopped having (the access
 *   checks themselves always read the shared store).
 */

/** Cache policy. `ttlMs` 0 or `maxEntries` 0 disables caching. */
export interface ExportCachePolicy {
  /** How long an exported value may be kept, from its export. */
  readonly ttlMs: number;
  /** Most objects whose values are kept at once. */
  readonly maxEntries: number;
}

/** Hard upper bounds, so that no configuration turns this into a long-term plaintext key store. */
export const EXPORT_CACHE_MAX_TTL_MS = 60_000;
export const EXPORT_CACHE_MAX_ENTRIES = 65_536;

interface Entry {
  /** What the value was exported from (algorithm, mechanism, master key, length, blob). */
  readonly identity: string;
  /** Monotonic ms after which the entry is dropped. */
  readonly expires: number;
  /** The cached copy of the value, once exported; zeroed when the entry goes. */
  value: Uint8Array | undefined;
  /** The export in flight, shared by concurrent misses. */
  pending: Promise<Uint8Array> | undefined;
}

/** Counters for tests and monitoring. */
export interface ExportCacheStats {
  hits: number;
  misses: number;
  /** Entries dropped by invalidate(). */
  invalidations: number;
  /** Entries dropped for age or for room. */
  evictions: number;
}

export class ExportCache {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  readonly stats: ExportCacheStats = { hits: 0, misses: 0, invalidations: 0, evictions: 0 };

  /** @param now monotonic milliseconds (injectable for tests) */
  constructor(policy: ExportCachePolicy, now: () => number = () => performance.now()) {
    checkPolicy(policy);
    this.#ttlMs = policy.ttlMs;
    this.#maxEntries = policy.maxEntries;
    this.#now = now;
  }

  get enabled(): boolean {
    return this.#ttlMs > 0 && this.#maxEntries > 0;
  }

  /** Objects with an entry (exported or in flight). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The value of object `uid` as exported from `identity`: a fresh copy of the cached value, or
   * what `load` returns (cached when the policy allows). `load`'s errors reach every caller
   * waiting for it and nothing is cached.
   */
  async get(uid: string, identity: string, load: () => Promise<Uint8Array>): Promise<Uint8Array> {
    if (!this.enabled) return load();
    const now = this.#now();
    let entry = this.#entries.get(uid);
    if (entry !== undefined && (entry.identity !== identity || entry.expires <= now)) {
      this.#drop(uid, entry);
      this.stats.evictions++;
      entry = undefined;
    }
    if (entry?.value !== undefined) {
      this.stats.hits++;
      return copy(entry.value);
    }
    if (entry?.pending !== undefined) {
      this.stats.hits++;
      return copy(await entry.pending);
    }
    this.stats.misses++;
    const mine: Entry = { identity, expires: now + this.#ttlMs, value: undefined, pending: undefined };
    const pending = this.#load(uid, mine, load);
    mine.pending = pending;
    this.#entries.set(uid, mine);
    this.#makeRoom();
    this.#arm();
    return copy(await pending);
  }

  /** Drops (and zeroes) what is cached for these objects; called after every write of them. */
  invalidate(uids: Iterable<string>): void {
    for (const uid of uids) {
      const entry = this.#entries.get(uid);
      if (entry === undefined) continue;
      this.#drop(uid, entry);
      this.stats.invalidations++;
    }
  }

  /** @internal The cached copy itself (not a copy), so tests can check that it gets zeroed. */
  peek(uid: string): Uint8Array | undefined {
    return this.#entries.get(uid)?.value;
  }

  /** Drops and zeroes everything (provider close). */
  clear(): void {
    for (const [uid, entry] of this.#entries) this.#drop(uid, entry);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Runs the export; caches a copy of its result only if this entry is still the object's entry
   * when it arrives (not invalidated, expired or evicted meanwhile). The loaded array itself goes
   * to the callers waiting on it, who each copy it as soon as the promise settles (in the same
   * microtask checkpoint), and is zeroed right after; dropping the entry zeroes only the cached
   * copy, so a write racing the export can never hand a waiter zeroed bytes.
   */
  async #load(uid: string, entry: Entry, load: () => Promise<Uint8Array>): Promise<Uint8Array> {
    let value: Uint8Array;
    try {
      value = await load();
    } catch (err) {
      if (this.#entries.get(uid) === entry) this.#entries.delete(uid);
      throw err;
    }
    entry.pending = undefined;
    if (this.#entries.get(uid) === entry) {
      if (entry.expires > this.#now()) entry.value = copy(value);
      else this.#entries.delete(uid);
    }
    setImmediate(() => value.fill(0));
    return value;
  }

  #drop(uid: string, entry: Entry): void {
    if (this.#entries.get(uid) === entry) this.#entries.delete(uid);
    entry.value?.fill(0);
    entry.value = undefined;
  }

  /** Oldest first: the map keeps insertion order, which is also expiry order. */
  #makeRoom(): void {
    for (const [uid, entry] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#drop(uid, entry);
      this.stats.evictions++;
    }
  }

  /** One timer for the oldest entry, so values are zeroed on time even if never asked for again. */
  #arm(): void {
    if (this.#timer !== undefined) return;
    const first = this.#entries.values().next();
    if (first.done === true) return;
    const delay = Math.max(0, first.value.expires - this.#now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#sweep();
      this.#arm();
    }, Math.ceil(delay) + 1);
    this.#timer.unref();
  }

  #sweep(): void {
    const now = this.#now();
    for (const [uid, entry] of this.#entries) {
      if (entry.expires > now) break;
      this.#drop(uid, entry);
      this.stats.evictions++;
    }
  }
}

/** A copy in a fresh ArrayBuffer (never a slice of Node's shared Buffer pool). */
function copy(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  out.set(src);
  return out;
}

/** Throws a TypeError for a policy outside the hard bounds. */
export function checkPolicy(p: ExportCachePolicy): void {
  if (!Number.isSafeInteger(p.ttlMs) || p.ttlMs < 0 || p.ttlMs > EXPORT_CACHE_MAX_TTL_MS) {
    throw new TypeError(`key export cache ttlMs must be an integer 0-${EXPORT_CACHE_MAX_TTL_MS}`);
  }
  if (!Number.isSafeInteger(p.maxEntries) || p.maxEntries < 0 || p.maxEntries > EXPORT_CACHE_MAX_ENTRIES) {
    throw new TypeError(`key export cache maxEntries must be an integer 0-${EXPORT_CACHE_MAX_ENTRIES}`);
  }
}
