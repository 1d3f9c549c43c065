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

export function machineLine(m: Machine): string {
  return `${m.nproc} CPU (nproc), ${m.cpuModel}, ${m.memGiB} GiB RAM, Linux ${m.kernel}, Node ${m.node}, OpenSSL ${m.openssl}`;
}

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-');
const ms = (us: number): string => (Number.isFinite(us) ? (us / 1000).toFixed(us < 10_000 ? 2 : 1) : '-');

export function tableHeader(): string {
  return [
    '| scenario | conns | ops/s | p50 ms | p90 ms | p99 ms | max ms | errors | handshakes full / resumed | server CPU | client CPU |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ].join('\n');
}

export function tableRow(r: ScenarioResult): string {
  const hs = r.handshakes === undefined ? '-' : `${fmt(r.handshakes.full)} / ${fmt(r.handshakes.resumed)}`;
  return `| ${r.name} | ${r.connections} | ${fmt(r.opsPerSec)} | ${ms(r.p50)} | ${ms(r.p90)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.errors} | ${hs} | ${fmt(r.serverCpuPct)}% | ${fmt(r.clientCpuPct)}% |`;
}
