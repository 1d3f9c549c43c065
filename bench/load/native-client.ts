/**
 * The C load generator (bench/load/native/kmip-load.c), for persistent and connect-per-op scenarios:
 * built on first use with the system C compiler and OpenSSL's headers (Debian: gcc, libssl-dev),
 * run as a child process, its window and figures turned into the same ScenarioResult as the
 * Node.js generator's (bench/load/scenarios.ts). The server's CPU is read when the child says its
 * measured window opens and closes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { RunLimits, ScenarioResult, ScenarioSpec, Target } from './scenarios.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SOURCE = join(ROOT, 'bench/load/native/kmip-load.c');
const BINARY = join(ROOT, '.tmp/kmip-load');

/** The client's certificate files (PEM paths), which the C client loads itself. */
export interface TlsClientFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Builds .tmp/kmip-load when it is missing or older than its source; returns its path. */
export function nativeClientBinary(): string {
  const stale = (() => {
    try {
      return statSync(BINARY).mtimeMs < statSync(SOURCE).mtimeMs;
    } catch {
      return true;
    }
  })();
  if (stale) {
    mkdirSync(join(ROOT, '.tmp'), { recursive: true });
    const cc = process.env['CC'] ?? 'cc';
    // Built under a name of its own and renamed into place: a test and a benchmark may build at once.
    const building = `${BINARY}.${process.pid}`;
    const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', building, SOURCE, '-lssl', '-lcrypto'], { encoding: 'utf8' });
    if (r.status === 0) renameSync(building, BINARY);
    else {
      rmSync(building, { force: true });
      throw new Error(
        `building the C load generator failed (${cc}; it needs a C compiler and OpenSSL's headers: apt-get install gcc libssl-dev):\n${r.error?.message ?? r.stderr}`,
      );
    }
  }
  return BINARY;
}

interface NativeResult {
  ops: number;
  seconds: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  cpuSeconds: number;
  protocol: string;
  firstError: string;
  /** connect-per-op only. */
  handshakes?: { full: number; resumed: number; p50: number; p99: number };
}

/** Runs one scenario with the C client. */
export async function runNativeScenario(spec: ScenarioSpec, target: Target, files: TlsClientFiles, limits: RunLimits): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'kmip-load-'));
  try {
    const requestFile = join(dir, 'request.ttlv');
    writeFileSync(requestFile, spec.request);
    const args = [
      ...['--port', String(target.port), '--ca', files.ca, '--cert', files.cert, '--key', files.key, '--request', requestFile],
      ...['--connections', String(spec.connections), '--warmup-ms', String(limits.warmupMs), '--duration-ms', String(limits.durationMs)],
      ...['--max-ops', String(limits.maxOps), ...(limits.maxTlsVersion === 'TLSv1.2' ? ['--tls12'] : [])],
      ...(spec.mode === 'connect-per-op' ? ['--connect-per-op', ...(spec.resume === true ? ['--resume'] : [])] : []),
    ];
    const child = spawn(nativeClientBinary(), args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let from: number | undefined;
    let to: number | undefined;
    let server0 = Number.NaN;
    let server1 = Number.NaN;
    let result: NativeResult | undefined;
    for await (const line of createInterface({ input: child.stdout })) {
      const [word, rest] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
      if (word === 'start') [from, server0] = [Number(rest), target.serverCpuSeconds()];
      else if (word === 'end') [to, server1] = [Number(rest), target.serverCpuSeconds()];
      else if (word === 'result') result = JSON.parse(rest) as NativeResult;
    }
    const code = await exited;
    if (code !== 0 || result === undefined || from === undefined || to === undefined) throw new Error(`the C load generator failed (exit ${code})`);
    const serverCpu = server1 - server0;
    return {
      name: spec.name,
    client: 'C',
      mode: spec.mode,
      connections: spec.connections,
      seconds: result.seconds,
      ops: result.ops,
      opsPerSec: result.ops / result.seconds,
      errors: result.errors,
      errorExamples: result.firstError === '' ? [] : [result.firstError],
      p50: result.p50,
      p90: result.p90,
      p99: result.p99,
      max: result.max,
      serverCpuPct: (serverCpu / result.seconds) * 100,
      clientCpuPct: (result.cpuSeconds / result.seconds) * 100,
      serverCpuUsPerOp: (serverCpu * 1e6) / result.ops,
      clientCpuUsPerOp: (result.cpuSeconds * 1e6) / result.ops,
      protocol: result.protocol,
      ...(spec.mode === 'connect-per-op' && result.handshakes !== undefined ? { handshakes: result.handshakes } : {}),
      window: { from, to },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
