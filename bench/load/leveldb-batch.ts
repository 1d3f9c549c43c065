/**
 * Main-thread CPU of one LevelDB batch write through classic-level, by API form: the array form
 * `db.batch(ops)` (abstract-level clones and re-validates each op with its encodings), the
 * chained form `db.batch().put(…).write()` that src/store/leveldb/leveldb-store.ts uses, and
 * `db._batch(ops)` (the implementation's method, what the array form ends in) for reference.
 * Seven puts of 400 bytes per batch, about what one fsync'd audit group of kmipd holds at 16
 * connections; not fsync'd, so that the disk does not set the pace.
 *
 *   tsx bench/load/leveldb-batch.ts [batches per round, default 3000] [rounds, default 2]
 */
import { ClassicLevel } from 'classic-level';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const N = Number(process.argv[2] ?? 3000);
const ROUNDS = Number(process.argv[3] ?? 2);
const OPS = 7;

/** CPU time of this process's main thread so far, in µs (Linux schedstat: ns on the CPU). */
function mainThreadCpuUs(): number {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
}

type Op = { type: 'put'; key: Buffer; value: Buffer };

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kmipd-leveldb-batch-'));
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  try {
    const opts = { keyEncoding: 'buffer', valueEncoding: 'buffer', sync: false } as const;
    const value = Buffer.alloc(400, 1);
    let seq = 0;
    const ops = (): Op[] => Array.from({ length: OPS }, () => ({ type: 'put', key: Buffer.from(`a${String(seq++).padStart(10, '0')}`), value }));
    const forms: [string, (o: Op[]) => Promise<void>][] = [
      ['db.batch(array)', (o) => db.batch(o, opts)],
      [
        'db.batch() chained',
        (o) => {
          const b = db.batch();
          for (const op of o) b.put(op.key, op.value);
          return b.write({ sync: false });
        },
      ],
      ['db._batch(array)', (o) => (db as unknown as { _batch(o: Op[], x: typeof opts): Promise<void> })._batch(o, opts)],
    ];
    console.log(`| form | main-thread CPU µs per ${OPS}-op batch |\n|---|--:|`);
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, write] of forms) {
        for (let i = 0; i < 200; i++) await write(ops()); // warm-up
        const m0 = mainThreadCpuUs();
        for (let i = 0; i < N; i++) await write(ops());
        console.log(`| ${name} | ${((mainThreadCpuUs() - m0) / N).toFixed(1)} |`);
      }
    }
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
