/**
 * A kmipd data directory holding N stored objects, for the Locate benchmarks at 10,000 and
 * 1,000,000 objects (`npm run bench -- --only locate --objects N`).
 *
 * Making a million objects through TLS, one Register per request, would take hours; this writes
 * them the way the server commits them, with the server stopped: each object is built like a
 * Create of an AES-256 key (initialAttributes() + the client attributes + Key Format Type),
 * serialised by serializeObject() (body and Locate index terms, the same function saveObject()
 * uses) and written with ObjectStore.commit() together with an audit entry, 1,000 objects per
 * commit. The HSM makes one AES-256 key, wrapped under the token's master key, and every object
 * refers to that wrapped blob: Get of any of them works, and Locate never reads key material.
 * Objects are named `bench-obj-<i>` (i = 0 .. N-1) and owned by `alice`, the load generator's
 * client identity.
 *
 * The directory is cached under .tmp/bench-store/<N>/ (git-ignored) and reused by later runs;
 * `populated.json` in it marks it complete. The benchmark starts kmipd on a copy of it, so runs
 * do not change the cache. The store is compacted to its last level before it is marked
 * complete ("settled"): an uncompacted copy of a 1,000,000-object store spends its first ~8 s of
 * CPU after opening on LevelDB background compaction, which made Locate at 1M look slower than
 * at 10k (BENCHMARKS.md, "Locate at 1,000,000 objects, settled"). A cache from before this rule
 * is compacted once when next used.
 *
 *   tsx bench/populate.ts --objects 1000000 [--cache DIR] [--force]
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { openPkcs11Provider } from '../src/crypto/pkcs11/provider.js';
import { ensureSoftHsmToken } from '../src/crypto/pkcs11/softhsm.js';
import { CryptographicAlgorithm, CryptographicUsageMask, KeyFormatType, NameType, ObjectType, Tag } from '../src/kmip/generated/index.js';
import { newUid, serializeObject, type ManagedObject } from '../src/operations/objects.js';
import { initialAttributes } from '../src/operations/server-attributes.js';
import { compactLevelDbStore, openLevelDbStore } from '../src/store/leveldb/leveldb-store.js';
import type { StoredObject } from '../src/store/object-store.js';
import { enm, int, struct, text } from '../src/ttlv/build.js';

/** Bumped when the objects written change, so an old cache is rebuilt rather than reused. */
const FORMAT = 1;
const OWNER = 'alice';
const PER_COMMIT = 1000;

export const DEFAULT_CACHE = resolve(import.meta.dirname, '../.tmp/bench-store');

/** The Name of the i-th populated object. */
export const populatedName = (i: number): string => `bench-obj-${i}`;

interface Marker {
  readonly format: number;
  readonly objects: number;
  readonly owner: string;
  readonly seconds: number;
  readonly date: string;
  /** The store was compacted to its last level after populating (absent in older caches). */
  readonly settled?: boolean;
}

function readMarker(dir: string): Marker | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'populated.json'), 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

/** The cached data dir for `objects` objects if it is complete, else undefined. */
export function cachedDataDir(objects: number, cacheRoot = DEFAULT_CACHE): string | undefined {
  const dir = join(cacheRoot, String(objects));
  const m = readMarker(dir);
  return m?.format === FORMAT && m.objects === objects ? join(dir, 'data') : undefined;
}

/** Builds (or reuses) the data dir with `objects` objects; returns its path. */
export async function populate(objects: number, opts: { cacheRoot?: string; force?: boolean; log?: (s: string) => void } = {}): Promise<string> {
  const cacheRoot = opts.cacheRoot ?? DEFAULT_CACHE;
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const cached = opts.force ? undefined : cachedDataDir(objects, cacheRoot);
  if (cached !== undefined) {
    const dir = join(cacheRoot, String(objects));
    const marker = readMarker(dir)!;
    if (marker.settled !== true) {
      const t0 = process.hrtime.bigint();
      await compactLevelDbStore(join(cached, 'store'));
      writeFileSync(join(dir, 'populated.json'), JSON.stringify({ ...marker, settled: true }, null, 2) + '\n');
      log(`populate: cached store of ${objects} objects compacted in ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(0)} s`);
    }
    return cached;
  }
  const final = join(cacheRoot, String(objects));
  const work = join(cacheRoot, `${objects}.partial-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const dataDir = join(work, 'data');
  const started = process.hrtime.bigint();
  try {
    const crypto = await openPkcs11Provider(await ensureSoftHsmToken(dataDir));
    let store;
    try {
      store = await openLevelDbStore(join(dataDir, 'store'));
      const ref = await crypto.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true });
      const now = new Date();
      const seconds = BigInt(Math.floor(now.getTime() / 1000));
      const client = [
        { tag: Tag.CryptographicAlgorithm, value: enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES) },
        {
          tag: Tag.CryptographicUsageMask,
          value: int(Tag.CryptographicUsageMask, CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt),
        },
      ];
      let lastReport = Date.now();
      for (let base = 0; base < objects; base += PER_COMMIT) {
        const put: StoredObject[] = [];
        for (let i = base; i < Math.min(objects, base + PER_COMMIT); i++) {
          const uid = newUid(now);
          const obj: ManagedObject = {
            uid,
            owner: OWNER,
            revision: 1,
            objectType: ObjectType.SymmetricKey,
            attributes: [
              ...initialAttributes(uid, ObjectType.SymmetricKey, client, seconds).map((value) => ({ tag: value.tag, value })),
              ...client,
              {
                tag: Tag.Name,
                value: struct(Tag.Name, [text(Tag.NameValue, populatedName(i)), enm(Tag.NameType, NameType.UninterpretedTextString)]),
              },
              { tag: Tag.CryptographicLength, value: int(Tag.CryptographicLength, 256) },
              { tag: Tag.KeyFormatType, value: enm(Tag.KeyFormatType, KeyFormatType.Raw) },
            ],
            key: { ref, algorithm: 'AES' },
          };
          put.push(serializeObject(obj));
        }
        await store.commit({
          put,
          delete: [],
          audit: [{ time: new Date().toISOString(), principal: OWNER, operation: 'Register', uids: put.map((p) => p.uid), result: 'Success' }],
        });
        if (Date.now() - lastReport > 10_000) {
          lastReport = Date.now();
          log(`populate: ${base + put.length} / ${objects} objects`);
        }
      }
    } finally {
      await store?.close();
      await crypto.close();
    }
    await compactLevelDbStore(join(dataDir, 'store'));
    const secs = Number(process.hrtime.bigint() - started) / 1e9;
    const marker: Marker = { format: FORMAT, objects, owner: OWNER, seconds: Math.round(secs), date: new Date().toISOString(), settled: true };
    writeFileSync(join(work, 'populated.json'), JSON.stringify(marker, null, 2) + '\n');
    rmSync(final, { recursive: true, force: true });
    renameSync(work, final);
    log(`populate: ${objects} objects written in ${secs.toFixed(0)} s, cached in ${final}`);
    return join(final, 'data');
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { objects: { type: 'string' }, cache: { type: 'string' }, force: { type: 'boolean', default: false } },
  });
  const n = Number(values.objects);
  if (!Number.isSafeInteger(n) || n < 1 || n > 100_000_000) throw new Error(`--objects: expected a count, got ${values.objects}`);
  const dir = await populate(n, { ...(values.cache ? { cacheRoot: resolve(values.cache) } : {}), force: values.force });
  // The last line is the data dir, for scripts (bench/server.ts runs this as a child process).
  console.log(dir);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`populate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exit(1);
    },
  );
}

