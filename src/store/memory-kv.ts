/**
 * An in-memory OrderedKv: a sorted array of entries, replaced (never mutated) by each write, so
 * that a snapshot is just the array it started with. Writes copy the array, O(n) each: fine for
 * tests of other layers, not meant for production volumes.
 */
import type { KeyRange } from './keys.js';
import type { KeyCursor, KvOp, KvReader, KvSnapshot, OrderedKv } from './ordered-kv.js';

type Entry = readonly [Buffer, Buffer];

/** Index of the first entry whose key is >= key. */
function lowerBound(entries: readonly Entry[], key: Buffer): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Buffer.compare(entries[mid]![0], key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function reader(entries: readonly Entry[]): KvReader {
  return {
    get: (key) => {
      const i = lowerBound(entries, key);
      const e = entries[i];
      return Promise.resolve(e !== undefined && e[0].equals(key) ? Buffer.from(e[1]) : undefined);
    },
    keys: (range: KeyRange): KeyCursor => {
      let i = lowerBound(entries, range.gte);
      return {
        next: () => {
          const e = entries[i];
          if (e === undefined || Buffer.compare(e[0], range.lt) >= 0) return Promise.resolve(undefined);
          i++;
          return Promise.resolve(Buffer.from(e[0]));
        },
        seek: (target) => {
          i = lowerBound(entries, Buffer.compare(target, range.gte) < 0 ? range.gte : target);
        },
        close: () => Promise.resolve(),
      };
    },
    entries: async function* (range: KeyRange) {
      for (let i = lowerBound(entries, range.gte); i < entries.length; i++) {
        const e = entries[i]!;
        if (Buffer.compare(e[0], range.lt) >= 0) return;
        yield [Buffer.from(e[0]), Buffer.from(e[1])] as [Buffer, Buffer];
      }
    },
    last: (range) => {
      const i = lowerBound(entries, range.lt) - 1;
      const e = entries[i];
      if (e === undefined || Buffer.compare(e[0], range.gte) < 0) return Promise.resolve(undefined);
      return Promise.resolve([Buffer.from(e[0]), Buffer.from(e[1])]);
    },
  };
}

/** Creates an empty in-memory OrderedKv. */
export function createMemoryKv(): OrderedKv {
  let entries: readonly Entry[] = [];
  let closed = false;
  const current = (): KvReader => reader(entries);
  return {
    get: (key) => current().get(key),
    keys: (range) => current().keys(range),
    entries: (range) => current().entries(range),
    last: (range) => current().last(range),
    snapshot: (): KvSnapshot => ({ ...reader(entries), release: () => Promise.resolve() }),
    write: (ops: readonly KvOp[]) => {
      if (closed) return Promise.reject(new Error('memory kv is closed'));
      const next = [...entries];
      for (const op of ops) {
        const i = lowerBound(next, op.key);
        const hit = next[i] !== undefined && next[i]![0].equals(op.key);
        if (op.type === 'put') {
          const e: Entry = [Buffer.from(op.key), Buffer.from(op.value)];
          if (hit) next[i] = e;
          else next.splice(i, 0, e);
        } else if (hit) {
          next.splice(i, 1);
        }
      }
      entries = next;
      return Promise.resolve();
    },
    close: () => {
      closed = true;
      return Promise.resolve();
    },
  };
}
