/**
 * The key export cache on its own (pure: a counting loader stands in for the HSM export, and the
 * clock and timers are fake). The same cache with SoftHSM2 behind it, and its invalidation by
 * writes through the dispatcher, is in test/get-export-cache.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ExportCache, checkPolicy } from './export-cache.js';

let clock = 0;
const now = (): number => clock;

/** A loader returning a fresh array per call, counting calls, optionally failing. */
function loader(bytes: number[], fail?: Error) {
  const calls = { n: 0 };
  const load = async (): Promise<Uint8Array> => {
    calls.n++;
    await Promise.resolve();
    if (fail) throw fail;
    return Uint8Array.from(bytes);
  };
  return { calls, load };
}

/** The cache's own copy of a uid's value (for zeroing checks); tests only. */
function cachedCopy(cache: ExportCache, uid: string): Uint8Array | undefined {
  return (cache as unknown as { peek(uid: string): Uint8Array | undefined }).peek(uid);
}

beforeEach(() => {
  clock = 1_000;
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate'] });
});
afterEach(() => vi.useRealTimers());

describe('ExportCache', () => {
  it('serves repeated exports of one blob from memory, each caller getting its own copy', async () => {
    const cache = new ExportCache({ ttlMs: 1_000, maxEntries: 8 }, now);
    const { calls, load } = loader([1, 2, 3, 4]);
    const a = await cache.get('k1', 'id-1', load);
    const b = await cache.get('k1', 'id-1', load);
    expect(calls.n).toBe(1);
    expect(Array.from(b)).toEqual([1, 2, 3, 4]);
    a.fill(0); // a caller zeroing its copy (as Get's key wrapping does) must not touch the cache
    expect(Array.from(await cache.get('k1', 'id-1', load))).toEqual([1, 2, 3, 4]);
    expect(cache.stats).toMatchObject({ hits: 2, misses: 1 });
  });

  it('a different blob (identity) for the same object is a miss, never the old value', async () => {
    const cache = new ExportCache({ ttlMs: 1_000, maxEntries: 8 }, now);
    await cache.get('k1', 'id-1', loader([1]).load);
    const old = cachedCopy(cache, 'k1')!;
    const second = loader([2]);
    expect(Array.from(await cache.get('k1', 'id-2', second.load))).toEqual([2]);
    expect(second.calls.n).toBe(1);
    expect(Array.from(old)).toEqual([0]);
  });

  it('expires entries after the TTL and zeroes them, even if never asked for again', async () => {
    const cache = new ExportCache({ ttlMs: 500, maxEntries: 8 }, now);
    const { calls, load } = loader([7, 7, 7]);
    await cache.get('k1', 'id', load);
    const kept = cachedCopy(cache, 'k1')!;
    clock += 499;
    await cache.get('k1', 'id', load);
    expect(calls.n).toBe(1);
    clock += 2;
    vi.advanceTimersByTime(600); // the sweep timer
    expect(cache.size).toBe(0);
    expect(Array.from(kept)).toEqual([0, 0, 0]);
    await cache.get('k1', 'id', load);
    expect(calls.n).toBe(2);
  });

  it('holds at most maxEntries objects, evicting (and zeroing) the oldest', async () => {
    const cache = new ExportCache({ ttlMs: 10_000, maxEntries: 2 }, now);
    await cache.get('a', 'id-a', loader([1]).load);
    const first = cachedCopy(cache, 'a')!;
    await cache.get('b', 'id-b', loader([2]).load);
    await cache.get('c', 'id-c', loader([3]).load);
    expect(cache.size).toBe(2);
    expect(cachedCopy(cache, 'a')).toBeUndefined();
    expect(Array.from(first)).toEqual([0]);
    expect(Array.from(cachedCopy(cache, 'c')!)).toEqual([3]);
  });

  it('invalidate() drops and zeroes the entry; the next export goes to the loader', async () => {
    const cache = new ExportCache({ ttlMs: 10_000, maxEntries: 8 }, now);
    const { calls, load } = loader([5, 6]);
    await cache.get('k1', 'id', load);
    const kept = cachedCopy(cache, 'k1')!;
    cache.invalidate(['other', 'k1']);
    expect(Array.from(kept)).toEqual([0, 0]);
    expect(cache.size).toBe(0);
    expect(Array.from(await cache.get('k1', 'id', load))).toEqual([5, 6]);
    expect(calls.n).toBe(2);
    expect(cache.stats.invalidations).toBe(1);
  });

  it('concurrent misses share one export; a write while it is in flight keeps it out of the cache', async () => {
    const cache = new ExportCache({ ttlMs: 10_000, maxEntries: 8 }, now);
    const { calls, load } = loader([9, 8]);
    const p1 = cache.get('k1', 'id', load);
    const p2 = cache.get('k1', 'id', load);
    cache.invalidate(['k1']); // e.g. Revoke committed while the HSM was unwrapping
    const [a, b] = await Promise.all([p1, p2]);
    expect(calls.n).toBe(1);
    // The requests already waiting get the right bytes, not zeroes.
    expect(Array.from(a)).toEqual([9, 8]);
    expect(Array.from(b)).toEqual([9, 8]);
    expect(cachedCopy(cache, 'k1')).toBeUndefined();
    await cache.get('k1', 'id', load);
    expect(calls.n).toBe(2);
  });

  it('an export error reaches every waiter unchanged and caches nothing', async () => {
    const cache = new ExportCache({ ttlMs: 10_000, maxEntries: 8 }, now);
    const err = new Error('BAD_KEY stand-in');
    const failing = loader([1], err);
    const results = await Promise.allSettled([cache.get('k1', 'id', failing.load), cache.get('k1', 'id', failing.load)]);
    expect(results).toEqual([
      { status: 'rejected', reason: err },
      { status: 'rejected', reason: err },
    ]);
    expect(failing.calls.n).toBe(1);
    expect(cache.size).toBe(0);
    const ok = loader([4]);
    expect(Array.from(await cache.get('k1', 'id', ok.load))).toEqual([4]);
  });

  it('ttlMs 0 or maxEntries 0 disables caching', async () => {
    for (const policy of [
      { ttlMs: 0, maxEntries: 8 },
      { ttlMs: 1_000, maxEntries: 0 },
    ]) {
      const cache = new ExportCache(policy, now);
      const { calls, load } = loader([1]);
      await cache.get('k1', 'id', load);
      await cache.get('k1', 'id', load);
      expect(calls.n).toBe(2);
      expect(cache.size).toBe(0);
    }
  });

  it('clear() zeroes everything', async () => {
    const cache = new ExportCache({ ttlMs: 10_000, maxEntries: 8 }, now);
    await cache.get('k1', 'id', loader([3, 3]).load);
    const kept = cachedCopy(cache, 'k1')!;
    cache.clear();
    expect(Array.from(kept)).toEqual([0, 0]);
    expect(cache.size).toBe(0);
  });

  it('refuses policies beyond its hard bounds', () => {
    expect(() => checkPolicy({ ttlMs: 60_001, maxEntries: 1 })).toThrow(/ttlMs/);
    expect(() => checkPolicy({ ttlMs: -1, maxEntries: 1 })).toThrow(/ttlMs/);
    expect(() => checkPolicy({ ttlMs: 1, maxEntries: 65_537 })).toThrow(/maxEntries/);
    expect(() => checkPolicy({ ttlMs: 1.5, maxEntries: 1 })).toThrow(/ttlMs/);
    expect(() => checkPolicy({ ttlMs: 60_000, maxEntries: 65_536 })).not.toThrow();
  });
});
