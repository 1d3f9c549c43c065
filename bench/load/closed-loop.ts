/**
 * Shared pieces of the in-process benchmarks (bench/load/dispatch-get.ts, components.ts) and the
 * end-to-end one (bench/server.ts): a closed-loop measurement with CPU per op and a main-thread
 * figure, and the KMIP requests they all send.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CryptographicAlgorithm, CryptographicUsageMask, ObjectType, Operation, Tag } from '../../src/kmip/generated/index.js';
import { enm, int, struct, text } from '../../src/ttlv/build.js';
import { request } from '../../test/helpers/kmip-request.js';
import { LatencyRecorder } from './latency.js';

const MAX_OPS = 2_000_000;

/** CPU time of this process's main thread so far, in µs (Linux schedstat: ns on the CPU). */
export function mainThreadCpuUs(): number {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
}

export interface ClosedLoopOptions {
  readonly concurrency: number;
  readonly seconds: number;
  /** Ops run once before measuring (default 200). */
  readonly warmup?: number;
  /**
   * How the main-thread figure is taken: `schedstat` (CPU time on the main thread, so time spent
   * waiting for a CPU is not counted; robust to other load) or `elu` (event-loop busy time).
   */
  readonly mainThread?: 'schedstat' | 'elu';
}

export interface ClosedLoopFigures {
  readonly ops: number;
  readonly opsPerSec: number;
  /** CPU µs per op, all threads of this process. */
  readonly cpuUs: number;
  /** Main-thread µs per op (see ClosedLoopOptions.mainThread). */
  readonly mainUs: number;
  readonly p50ms: number;
  readonly p99ms: number;
}

/** Runs `op` closed loop at `concurrency` for `seconds` after a warm-up. */
export async function closedLoop(op: () => Promise<unknown>, opts: ClosedLoopOptions): Promise<ClosedLoopFigures> {
  const lat = new LatencyRecorder(MAX_OPS);
  for (let i = 0; i < (opts.warmup ?? 200); i++) await op();
  const end = process.hrtime.bigint() + BigInt(Math.round(opts.seconds * 1e9));
  const elu = opts.mainThread === 'elu';
  const c0 = process.cpuUsage();
  const m0 = elu ? 0 : mainThreadCpuUs();
  const e0 = performance.eventLoopUtilization();
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (lat.count < MAX_OPS) {
        const s = process.hrtime.bigint();
        if (s >= end) return;
        await op();
        lat.record(Number(process.hrtime.bigint() - s));
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const mainUs = elu ? (performance.eventLoopUtilization(e0).active * 1000) / lat.count : (mainThreadCpuUs() - m0) / lat.count;
  const { p } = lat.summary([50, 99]);
  return {
    ops: lat.count,
    opsPerSec: lat.count / secs,
    cpuUs: (c.user + c.system) / lat.count,
    mainUs,
    p50ms: p.get(50)! / 1000,
    p99ms: p.get(99)! / 1000,
  };
}

/** A Markdown row: | name | concurrency | ops/s | CPU µs/op | main µs/op | p50 ms | p99 ms |. */
export function closedLoopRow(name: string, concurrency: number, f: ClosedLoopFigures): string {
  return `| ${name} | ${concurrency} | ${Math.round(f.opsPerSec).toLocaleString('en-US')} | ${Math.round(f.cpuUs)} | ${Math.round(f.mainUs)} | ${f.p50ms.toFixed(2)} | ${f.p99ms.toFixed(2)} |`;
}

/** Create of an AES-256 Symmetric Key usable for Encrypt and Decrypt, in a 1.x Template-Attribute. */
export function createAes256Request(version: [number, number] = [1, 2]): Buffer {
  return request(version, [
    {
      operation: Operation.Create,
      payload: [
        enm(Tag.ObjectType, ObjectType.SymmetricKey),
        struct(Tag.TemplateAttribute, [
          struct(Tag.Attribute, [text(Tag.AttributeName, 'Cryptographic Algorithm'), enm(Tag.AttributeValue, CryptographicAlgorithm.AES)]),
          struct(Tag.Attribute, [text(Tag.AttributeName, 'Cryptographic Length'), int(Tag.AttributeValue, 256)]),
          struct(Tag.Attribute, [
            text(Tag.AttributeName, 'Cryptographic Usage Mask'),
            int(Tag.AttributeValue, CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt),
          ]),
        ]),
      ],
    },
  ]);
}

/** Get of one object by Unique Identifier. */
export function getRequest(uid: string, version: [number, number] = [1, 2]): Buffer {
  return request(version, [{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }]);
}

/** Runs `fn` with a fresh temporary directory, removed afterwards whatever happens. */
export async function withWorkDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a benchmark's main function; a failure is printed and exits non-zero. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
