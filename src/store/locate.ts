/**
 * Locate over the secondary indexes; never a scan of object values.
 *
 * Strategy for several conditions (AND):
 *  1. Equality conditions each cover one key range `i\0field\0esc(value)\0\x01<uid>` whose keys
 *     are sorted by uid. They are intersected by a leapfrog join: every cursor seeks to the
 *     largest uid any of them is on, until all agree. The cost follows the most selective
 *     condition (about k * its matches key reads), not the largest, so "objectType = SymmetricKey
 *     AND name = x" reads a handful of keys even with millions of keys stored.
 *     Conditions marked `broad` (a value most objects share, such as the owner) join the
 *     leapfrog only when every equality is broad. Otherwise each candidate of the others is
 *     checked against them with one point read of its exact index key. A cursor costs an
 *     iterator, seeks through every LevelDB level and thread-pool round trips; a point read of a
 *     key next to the ones just read costs a few µs.
 *  2. Without an equality condition, the first range condition drives: its range is scanned (keys
 *     are sorted by value, then uid), the uids are deduplicated and sorted.
 *  3. Remaining range conditions are checked per candidate against the index terms held in the
 *     candidate's envelope (one point read each), since candidates are usually few by then.
 * Candidates arrive in ascending uid order, so offset/limit stop the work early.
 */
import type { IndexCondition, IndexTerm, LocateOptions } from './object-store.js';
import type { KeyCursor, KvReader } from './ordered-kv.js';
import { decodeEnvelope } from './envelope.js';
import { OBJECT_PREFIX, OBJECT_RANGE, indexRange, indexValuePrefix, parseIndexKey, prefixRange } from './keys.js';

type EqualityCondition = Extract<IndexCondition, { readonly equals: Uint8Array }>;
type RangeCondition = Exclude<IndexCondition, EqualityCondition>;

function isEquality(c: IndexCondition): c is EqualityCondition {
  return 'equals' in c && c.equals !== undefined;
}

/** Uids (UTF-8 bytes) matching all conditions, ascending, paged by opts. */
export async function locateUids(
  reader: KvReader,
  conditions: readonly IndexCondition[],
  opts: LocateOptions = {},
): Promise<string[]> {
  const offset = opts.offset ?? 0;
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError('offset must be a non-negative integer');
  if (!(limit === Number.POSITIVE_INFINITY || (Number.isSafeInteger(limit) && limit >= 0))) {
    throw new RangeError('limit must be a non-negative integer');
  }
  const out: string[] = [];
  if (limit === 0) return out;

  const equalities = conditions.filter(isEquality);
  const ranges = conditions.filter((c): c is RangeCondition => !isEquality(c));
  for (const r of ranges) {
    if (r.from !== undefined && r.to !== undefined && Buffer.compare(r.from, r.to) > 0) return out;
  }

  let candidates: AsyncIterable<Buffer> | Iterable<Buffer>;
  let residual: readonly RangeCondition[] = ranges;
  let probes: readonly Buffer[] = [];
  if (conditions.length === 0) {
    candidates = scanSuffixes(reader.keys(OBJECT_RANGE), OBJECT_PREFIX.length);
  } else if (equalities.length > 0) {
    const selective = equalities.filter((c) => c.broad !== true);
    const walked = selective.length > 0 ? selective : equalities;
    if (selective.length > 0) probes = equalities.filter((c) => c.broad === true).map((c) => indexValuePrefix(c.field, c.equals));
    candidates = leapfrog(reader, walked.map((c) => indexValuePrefix(c.field, c.equals)));
  } else {
    const [driver, ...rest] = ranges as [RangeCondition, ...RangeCondition[]];
    candidates = await rangeUids(reader, driver);
    residual = rest;
  }

  let skipped = 0;
  for await (const uid of candidates) {
    if (probes.length > 0 && !(await hasAllKeys(reader, probes, uid))) continue;
    if (residual.length > 0 && !(await matchesAll(reader, uid, residual))) continue;
    if (skipped < offset) {
      skipped++;
      continue;
    }
    out.push(uid.toString('utf8'));
    if (out.length >= limit) break;
  }
  return out;
}

/** The keys of a cursor with a fixed-length prefix removed, in order. */
async function* scanSuffixes(cursor: KeyCursor, prefixLength: number): AsyncGenerator<Buffer> {
  try {
    for (let k = await cursor.next(); k !== undefined; k = await cursor.next()) yield k.subarray(prefixLength);
  } finally {
    await cursor.close();
  }
}

/** Leapfrog intersection of the uid-sorted ranges under `prefixes`. */
async function* leapfrog(reader: KvReader, prefixes: readonly Buffer[]): AsyncGenerator<Buffer> {
  const cursors = prefixes.map((p) => reader.keys(prefixRange(p)));
  try {
    const current: Buffer[] = [];
    const advance = async (i: number): Promise<boolean> => {
      const k = await cursors[i]!.next();
      if (k === undefined) return false;
      current[i] = k.subarray(prefixes[i]!.length);
      return true;
    };
    for (let i = 0; i < cursors.length; i++) if (!(await advance(i))) return;
    for (;;) {
      let max = current[0]!;
      for (const c of current) if (Buffer.compare(c, max) > 0) max = c;
      let agreed = true;
      for (let i = 0; i < cursors.length; i++) {
        if (Buffer.compare(current[i]!, max) < 0) {
          agreed = false;
          cursors[i]!.seek(Buffer.concat([prefixes[i]!, max]));
          if (!(await advance(i))) return;
        }
      }
      if (!agreed) continue;
      yield max;
      for (let i = 0; i < cursors.length; i++) if (!(await advance(i))) return;
    }
  } finally {
    await Promise.all(cursors.map((c) => c.close()));
  }
}

/** Distinct uids with a term in the range, sorted ascending. */
async function rangeUids(reader: KvReader, c: RangeCondition): Promise<Buffer[]> {
  const cursor = reader.keys(indexRange(c.field, c.from, c.to));
  const seen = new Map<string, Buffer>();
  try {
    for (let k = await cursor.next(); k !== undefined; k = await cursor.next()) {
      const { uid } = parseIndexKey(c.field, k);
      seen.set(uid.toString('latin1'), uid);
    }
  } finally {
    await cursor.close();
  }
  return [...seen.values()].sort(Buffer.compare);
}

/** Whether every `prefix + uid` index key exists: the equality conditions checked by point reads. */
async function hasAllKeys(reader: KvReader, prefixes: readonly Buffer[], uid: Buffer): Promise<boolean> {
  for (const p of prefixes) if ((await reader.get(Buffer.concat([p, uid]))) === undefined) return false;
  return true;
}

async function matchesAll(reader: KvReader, uid: Buffer, conditions: readonly RangeCondition[]): Promise<boolean> {
  const bytes = await reader.get(Buffer.concat([OBJECT_PREFIX, uid]));
  // An index entry without its object cannot occur inside one snapshot; skip rather than fail.
  if (bytes === undefined) return false;
  const { index } = decodeEnvelope(bytes, uid.toString('utf8'));
  return conditions.every((c) => index.some((t) => termMatches(t, c)));
}

/** Whether a term satisfies a condition, with the same (bytewise) order as the index keys. */
export function termMatches(t: IndexTerm, c: IndexCondition): boolean {
  if (t.field !== c.field) return false;
  if (isEquality(c)) return Buffer.compare(t.value, c.equals) === 0;
  return (c.from === undefined || Buffer.compare(t.value, c.from) >= 0) && (c.to === undefined || Buffer.compare(t.value, c.to) <= 0);
}
