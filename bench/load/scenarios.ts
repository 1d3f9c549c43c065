/**
 * Closed-loop load: N workers, each sends its next request only when the previous response has
 * arrived. Two shapes:
 * - persistent: each worker holds one mutual-TLS connection for the whole run;
 * - connect-per-op: each request gets a new connection (TCP connect, TLS handshake, resumed
 *   from the worker's previous session when `resume` is on, one request, close), as appliances do.
 *
 * A run is warm-up then measurement. Only requests that start and finish inside the measured
 * window count, for both rate and latency; workers stop issuing at its end, so every run stops by
 * itself, and `maxOps` caps the count as well.
 */
import { ResultStatus } from '../../src/kmip/generated/index.js';
import { parseResponse } from '../../test/helpers/kmip-request.js';
import { KmipSocket, type TlsClientMaterial } from './kmip-socket.js';
import { LatencyRecorder } from './latency.js';

export interface Target {
  readonly port: number;
  readonly tls: TlsClientMaterial;
  /** Server process CPU seconds so far, for the CPU column. */
  readonly serverCpuSeconds: () => number;
}

export interface ScenarioSpec {
  readonly name: string;
  readonly mode: 'persistent' | 'connect-per-op';
  readonly connections: number;
  /** The pre-encoded request sent every time. */
  readonly request: Buffer;
  /** connect-per-op only: offer the previous connection's session (TLS resumption). */
  readonly resume?: boolean;
}

export interface RunLimits {
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxOps: number;
  /** Highest TLS version the client offers (default TLSv1.3). */
  readonly maxTlsVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export interface ScenarioResult {
  readonly name: string;
  readonly mode: ScenarioSpec['mode'];
  readonly connections: number;
  readonly seconds: number;
  readonly ops: number;
  readonly opsPerSec: number;
  readonly errors: number;
  readonly errorExamples: string[];
  /** Microseconds. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  /** Server and load-generator CPU over the measured window, as % of one core. */
  readonly serverCpuPct: number;
  readonly clientCpuPct: number;
  /** CPU microseconds per completed request (all threads), a figure other load on the machine hardly moves. */
  readonly serverCpuUsPerOp: number;
  readonly clientCpuUsPerOp: number;
  readonly handshakes?: { full: number; resumed: number; p50: number; p99: number };
  readonly protocol?: string;
  /** Set when the C load generator (bench/load/native-client.ts) ran the scenario. */
  readonly client?: 'C';
  /** The measured window, process.hrtime.bigint() nanoseconds as numbers (for profile slicing). */
  readonly window: { from: number; to: number };
}

interface Measure {
  warmEnd: bigint;
  end: bigint;
  ops: number;
  errors: number;
  errorExamples: string[];
  latency: LatencyRecorder;
  handshake: LatencyRecorder;
  full: number;
  resumed: number;
  protocol: string | undefined;
}

const now = (): bigint => process.hrtime.bigint();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function noteError(m: Measure, what: string): void {
  m.errors++;
  if (m.errorExamples.length < 5 && !m.errorExamples.includes(what)) m.errorExamples.push(what);
}

/** Every response must be one batch item with Result Status Success. */
function checkResponse(resp: Buffer): string | undefined {
  try {
    const r = parseResponse(resp);
    if (r.items.length !== 1) return `${r.items.length} batch items in the response`;
    const it = r.items[0]!;
    if (it.status !== ResultStatus.Success) return `Result Status ${it.status}, reason ${it.reason ?? '-'}: ${it.message ?? ''}`;
    return undefined;
  } catch (err) {
    return `unparseable response: ${(err as Error).message}`;
  }
}

/** True while the run goes on; counts `t0..t1` if it lies inside the measured window. */
function account(m: Measure, t0: bigint, t1: bigint, error: string | undefined): boolean {
  if (t0 >= m.warmEnd && t1 <= m.end) {
    if (error !== undefined) noteError(m, error);
    else {
      m.ops++;
      m.latency.record(Number(t1 - t0));
    }
  } else if (error !== undefined && t1 < m.warmEnd) {
    noteError(m, `(warm-up) ${error}`);
  }
  return t1 < m.end;
}

async function persistentWorker(spec: ScenarioSpec, target: Target, limits: RunLimits, m: Measure): Promise<void> {
  let sock: KmipSocket | undefined;
  try {
    for (let running = true; running && m.ops < limits.maxOps; ) {
      if (sock === undefined) {
        try {
          sock = await KmipSocket.connect({ port: target.port, tls: target.tls, maxVersion: limits.maxTlsVersion });
          m.protocol ??= sock.socket.getProtocol() ?? undefined;
        } catch (err) {
          noteError(m, `connect: ${(err as Error).message}`);
          await sleep(10);
          running = now() < m.end;
          continue;
        }
      }
      const t0 = now();
      let error: string | undefined;
      try {
        error = checkResponse(await sock.roundTrip(spec.request));
      } catch (err) {
        error = `connection: ${(err as Error).message}`;
        sock.destroy();
        sock = undefined;
      }
      running = account(m, t0, now(), error);
    }
  } finally {
    sock?.end();
  }
}

async function connectPerOpWorker(spec: ScenarioSpec, target: Target, limits: RunLimits, m: Measure): Promise<void> {
  let session: Buffer | undefined;
  for (let running = true; running && m.ops < limits.maxOps; ) {
    const t0 = now();
    let error: string | undefined;
    let sock: KmipSocket | undefined;
    try {
      sock = await KmipSocket.connect({
        port: target.port,
        tls: target.tls,
        maxVersion: limits.maxTlsVersion,
        session: spec.resume === true ? session : undefined,
        onSession: (s) => (session = s),
      });
      const th = now();
      if (t0 >= m.warmEnd && th <= m.end) {
        m.handshake.record(Number(th - t0));
        if (sock.resumed) m.resumed++;
        else m.full++;
      }
      m.protocol ??= sock.socket.getProtocol() ?? undefined;
      error = checkResponse(await sock.roundTrip(spec.request));
    } catch (err) {
      error = `connection: ${(err as Error).message}`;
    } finally {
      sock?.end();
    }
    running = account(m, t0, now(), error);
    if (error !== undefined) await sleep(10);
  }
}

export async function runScenario(spec: ScenarioSpec, target: Target, limits: RunLimits): Promise<ScenarioResult> {
  const start = now();
  const m: Measure = {
    warmEnd: start + BigInt(limits.warmupMs) * 1_000_000n,
    end: start + BigInt(limits.warmupMs + limits.durationMs) * 1_000_000n,
    ops: 0,
    errors: 0,
    errorExamples: [],
    latency: new LatencyRecorder(limits.maxOps),
    handshake: new LatencyRecorder(limits.maxOps),
    full: 0,
    resumed: 0,
    protocol: undefined,
  };
  // CPU of both processes over the measured window only.
  let cpu0: { server: number; client: NodeJS.CpuUsage } | undefined;
  let cpu1: { server: number; client: NodeJS.CpuUsage } | undefined;
  const snap = (): { server: number; client: NodeJS.CpuUsage } => ({ server: target.serverCpuSeconds(), client: process.cpuUsage() });
  const t0Timer = setTimeout(() => (cpu0 = snap()), limits.warmupMs);
  const t1Timer = setTimeout(() => (cpu1 = snap()), limits.warmupMs + limits.durationMs);
  const worker = spec.mode === 'persistent' ? persistentWorker : connectPerOpWorker;
  await Promise.all(Array.from({ length: spec.connections }, () => worker(spec, target, limits, m)));
  clearTimeout(t0Timer);
  clearTimeout(t1Timer);
  // A worker may stop early (maxOps); measure the window up to the last completion then.
  const endAt = now() < m.end ? now() : m.end;
  cpu1 ??= snap();
  const seconds = Number(endAt - m.warmEnd) / 1e9;
  const lat = m.latency.summary([50, 90, 99]);
  const hs = m.handshake.summary([50, 99]);
  const serverCpu = cpu0 === undefined ? Number.NaN : cpu1.server - cpu0.server;
  const clientCpu = cpu0 === undefined ? Number.NaN : (cpu1.client.user + cpu1.client.system - cpu0.client.user - cpu0.client.system) / 1e6;
  return {
    name: spec.name,
    mode: spec.mode,
    connections: spec.connections,
    seconds,
    ops: m.ops,
    opsPerSec: m.ops / seconds,
    errors: m.errors,
    errorExamples: m.errorExamples,
    p50: lat.p.get(50)!,
    p90: lat.p.get(90)!,
    p99: lat.p.get(99)!,
    max: lat.max,
    serverCpuPct: serverCpu / seconds * 100,
    clientCpuPct: (clientCpu / seconds) * 100,
    serverCpuUsPerOp: (serverCpu * 1e6) / m.ops,
    clientCpuUsPerOp: (clientCpu * 1e6) / m.ops,
    ...(spec.mode === 'connect-per-op' ? { handshakes: { full: m.full, resumed: m.resumed, p50: hs.p.get(50)!, p99: hs.p.get(99)! } } : {}),
    ...(m.protocol === undefined ? {} : { protocol: m.protocol }),
    window: { from: Number(m.warmEnd), to: Number(endAt) },
  };
}
