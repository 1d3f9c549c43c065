/** The machine description and the result table of the server benchmark (Markdown). */
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import type { ScenarioResult } from './scenarios.js';

export interface Machine {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly memGiB: number;
  readonly node: string;
  readonly openssl: string;
  readonly kernel: string;
}

export function describeMachine(): Machine {
  let cpuModel = 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpuModel;
  } catch {
    // not Linux; keep 'unknown'
  }
  let kernel = 'unknown';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // not Linux
  }
  return {
    nproc: availableParallelism(),
    cpuModel,
    memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    openssl: process.versions.openssl ?? 'unknown',
    kernel,
  };
}

/**
 * Share of the last 10 s in which some runnable task waited for a CPU (Linux PSI,
 * /proc/pressure/cpu "some avg10"), in percent; undefined where PSI is unavailable. Near 0 on
 * an otherwise idle machine; near 100 means the benchmark competed for the CPUs.
 */
export function cpuPressure(): number | undefined {
  try {
    const m = /^some avg10=([\d.]+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

export function machineLine(m: Machine): string {
  return `${m.nproc} CPU (nproc), ${m.cpuModel}, ${m.memGiB} GiB RAM, Linux ${m.kernel}, Node ${m.node}, OpenSSL ${m.openssl}`;
}

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-');
const ms = (us: number): string => (Number.isFinite(us) ? (us / 1000).toFixed(us < 10_000 ? 2 : 1) : '-');

export function tableHeader(): string {
  return [
    '| scenario | conns | ops/s | p50 ms | p90 ms | p99 ms | max ms | errors | handshakes full / resumed (p50 ms) | server CPU | server CPU µs/op | client CPU | client CPU µs/op |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ].join('\n');
}

export function tableRow(r: ScenarioResult): string {
  const hs = r.handshakes === undefined ? '-' : `${fmt(r.handshakes.full)} / ${fmt(r.handshakes.resumed)} (${ms(r.handshakes.p50)})`;
  return `| ${r.name}${r.client === 'C' ? ' (C client)' : ''} | ${r.connections} | ${fmt(r.opsPerSec)} | ${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.errors} | ${hs} | ${fmt(r.serverCpuPct)}% | ${fmt(r.serverCpuUsPerOp)} | ${fmt(r.clientCpuPct)}% | ${fmt(r.clientCpuUsPerOp)} |`;
}
