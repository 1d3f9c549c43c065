/**
 * The unwrapped-key handle cache: LRU order, reference counting, no destroy under a user.
 */
import { describe, expect, it } from 'vitest';

import { KeyHandleCache } from './key-cache.js';

const S = Buffer.from([9]);
const h = (n: number): Buffer => Buffer.from([n]);

function setup(capacity: number): { cache: KeyHandleCache; destroyed: number[] } {
  const destroyed: number[] = [];
  const cache = new KeyHandleCache(capacity, (handle, session) => {
    expect(session).toBe(S);
    destroyed.push(handle[0] as number);
  });
  return { cache, destroyed };
}

describe('KeyHandleCache', () => {
  it('evicts the least recently used idle entry and destroys it', () => {
    const { cache, destroyed } = setup(2);
    cache.release(cache.add('a', h(1), true, S), S);
    cache.release(cache.add('b', h(2), true, S), S);
    cache.release(cache.acquire('a')!, S); // a is now most recent
    cache.release(cache.add('c', h(3), true, S), S);
    expect(destroyed).toEqual([2]);
    expect(cache.acquire('b')).toBeUndefined();
    expect(cache.size).toBe(2);
  });

  it('keeps LRU order across repeated use of the newest entry, eviction of it and clear()', () => {
    const { cache, destroyed } = setup(2);
    cache.release(cache.add('a', h(1), true, S), S);
    cache.release(cache.add('b', h(2), true, S), S);
    for (let i = 0; i < 3; i++) cache.release(cache.acquire('b')!, S); // b stays newest
    cache.release(cache.acquire('a')!, S); // a becomes newest
    cache.release(cache.acquire('a')!, S);
    cache.release(cache.add('c', h(3), true, S), S); // evicts b, the least recent
    expect(destroyed).toEqual([2]);
    cache.evict('c', S); // the newest goes
    expect(destroyed).toEqual([2, 3]);
    cache.release(cache.add('d', h(4), true, S), S);
    cache.release(cache.acquire('a')!, S); // a is newest again, then d
    cache.release(cache.acquire('d')!, S);
    cache.release(cache.add('e', h(5), true, S), S); // evicts a
    expect(destroyed).toEqual([2, 3, 1]);
    cache.clear(S);
    expect(destroyed).toEqual([2, 3, 1, 4, 5]);
    cache.release(cache.add('a', h(6), true, S), S);
    expect(cache.acquire('a')).toBeDefined();
  });

  it('destroys an evicted entry only when its last user releases it', () => {
    const { cache, destroyed } = setup(1);
    const a = cache.add('a', h(1), true, S);
    cache.release(cache.add('b', h(2), true, S), S);
    expect(destroyed).toEqual([]);
    cache.release(a, S);
    expect(destroyed).toEqual([1]);
  });

  it('never destroys objects it does not own (resident keys) or that died with their session', () => {
    const { cache, destroyed } = setup(1);
    cache.release(cache.add('r', h(1), false, S), S);
    const b = cache.add('b', h(2), true, S);
    cache.clear();
    cache.release(b, S);
    expect(destroyed).toEqual([]);
  });

  it('a racing second add stays private and is destroyed on release', () => {
    const { cache, destroyed } = setup(4);
    const first = cache.add('k', h(1), true, S);
    const second = cache.add('k', h(2), true, S);
    cache.release(second, S);
    cache.release(first, S);
    expect(destroyed).toEqual([2]);
    cache.evict('k', S);
    expect(destroyed).toEqual([2, 1]);
  });
});
