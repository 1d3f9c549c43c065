import { describe, expect, it } from 'vitest';
import type { StoredObject } from './object-store.js';
import { READ_CACHE_MAX_OBJECT, ReadCache } from './read-cache.js';

const obj = (uid: string, revision = 1): StoredObject => ({ uid, owner: 'alice', revision, body: Buffer.from(uid), index: [] });

describe('ReadCache', () => {
  it('returns what was inserted, and forgets objects a batch wrote', () => {
    const c = new ReadCache();
    c.insert(obj('a'), 100, c.generation);
    c.insert(obj('b'), 100, c.generation);
    expect(c.get('a')?.revision).toBe(1);
    c.written(['a']);
    expect(c.get('a')).toBeUndefined();
    expect(c.get('b')?.uid).toBe('b');
    expect(c.stats).toMatchObject({ entries: 1, bytes: 100, hits: 2, misses: 1 });
  });

  it('does not insert what was read before a write that landed in between', () => {
    const c = new ReadCache();
    const before = c.generation;
    c.written(['a']); // a batch became durable between the read and the insert
    c.insert(obj('a', 1), 10, before);
    expect(c.get('a')).toBeUndefined();
    c.insert(obj('a', 2), 10, c.generation);
    expect(c.get('a')?.revision).toBe(2);
  });

  it('evicts the least recently used beyond its entry and byte bounds, and skips large objects', () => {
    const c = new ReadCache(3, 1000);
    for (const u of ['a', 'b', 'c']) c.insert(obj(u), 100, c.generation);
    c.get('a'); // a is now the most recently used
    c.insert(obj('d'), 100, c.generation);
    expect(['a', 'b', 'c', 'd'].map((u) => c.get(u) !== undefined)).toEqual([true, false, true, true]);
    c.insert(obj('e'), 900, c.generation); // over 1000 bytes: the oldest go until it fits
    expect(c.stats.bytes).toBeLessThanOrEqual(1000);
    expect(c.get('e')).toBeDefined();
    c.insert(obj('big'), READ_CACHE_MAX_OBJECT + 1, c.generation);
    expect(c.get('big')).toBeUndefined();
  });

  it('replaces an entry in place and keeps the byte count right', () => {
    const c = new ReadCache();
    c.insert(obj('a', 1), 100, c.generation);
    c.insert(obj('a', 2), 40, c.generation);
    expect(c.stats).toMatchObject({ entries: 1, bytes: 40 });
    c.clear();
    expect(c.stats).toMatchObject({ entries: 0, bytes: 0 });
  });
});
