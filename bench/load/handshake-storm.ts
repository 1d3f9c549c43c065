/**
 * Get latency on persistent connections while other clients reconnect with full TLS handshakes,
 * with kmipd's listener on the dispatching thread (KMIPD_IO_THREAD=false) and on an I/O thread
 * (true). A full handshake costs the server an ECDSA signature and an ECDH, about a millisecond
 * of CPU; on one event loop, every request waiting behind it waits that long. Appliances that
 * open a connection per operation, or a fleet reconnecting after a restart, do this all the time.
 *
 *   tsx bench/load/handshake-storm.ts [seconds per phase, default 5] [rounds, default 1]
 *
 * Per mode and round: kmipd in its own process (bench/load/kmipd-process.ts); 4 persistent
 * connections doing Gets of one AES-256 key, closed loop, measured first alone ("quiet") and then
 * while another process (this script with --storm) runs 4 closed-loop workers that each open a
 * new connection with a full handshake, send one Get and close ("storm"). The storm runs in its
 * own process so that its client-side handshakes do not stall this one's event loop.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ResultStatus, Tag } from '../../src/kmip/generated/index.js';
import { parseResponse, payloadText } from '../../test/helpers/kmip-request.js';
import { createAes256Request, getRequest, runMain } from './closed-loop.js';
import { KmipSocket, type TlsClientMaterial } from './kmip-socket.js';
import { startKmipdProcess } from './kmipd-process.js';
import { runScenario, type ScenarioResult } from './scenarios.js';

const GET_CONNECTIONS = 4;
const STORM_WORKERS = 4;

interface StormArgs {
  port: number;
  seconds: number;
  request: string;
  tls: { ca: string; cert: string; key: string };
}

/** The storm process: full handshakes, closed loop, for `seconds`; prints its result as JSON. */
async function storm(args: StormArgs): Promise<void> {
  const tls: TlsClientMaterial = { ca: Buffer.from(args.tls.ca), cert: Buffer.from(args.tls.cert), key: Buffer.from(args.tls.key) };
  const r = await runScenario(
    { name: 'storm', mode: 'connect-per-op', connections: STORM_WORKERS, request: Buffer.from(args.request, 'hex'), resume: false },
    { port: args.port, tls, serverCpuSeconds: () => 0 },
    { warmupMs: 0, durationMs: args.seconds * 1000, maxOps: 10_000_000 },
  );
  process.stdout.write(JSON.stringify({ opsPerSec: r.opsPerSec, errors: r.errors }) + '\n');
}

function ms(us: number): string {
  return (us / 1000).toFixed(2);
}

function row(mode: string, phase: string, r: ScenarioResult, handshakes?: number): string {
  return `| ${mode} | ${phase} | ${Math.round(r.opsPerSec).toLocaleString('en-US')} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${handshakes === undefined ? '-' : Math.round(handshakes).toLocaleString('en-US')} | ${r.errors} |`;
}

async function measure(ioThread: boolean, seconds: number): Promise<string[]> {
  process.env['KMIPD_IO_THREAD'] = String(ioThread);
  const server = await startKmipdProcess();
  try {
    const setup = await KmipSocket.connect({ port: server.port, tls: server.client });
    const created = parseResponse(await setup.roundTrip(createAes256Request())).items[0];
    if (created?.status !== ResultStatus.Success) throw new Error(`setup Create failed: ${created?.message ?? 'no item'}`);
    const request = getRequest(payloadText(created, Tag.UniqueIdentifier)!);
    setup.end();
    const target = { port: server.port, tls: server.client, serverCpuSeconds: () => server.cpuSeconds() };
    const limits = { warmupMs: 1000, durationMs: seconds * 1000, maxOps: 10_000_000 };
    const spec = { name: 'Get', mode: 'persistent' as const, connections: GET_CONNECTIONS, request };
    const quiet = await runScenario(spec, target, limits);
    // The storm starts first and outlasts the measured window on both sides.
    const stormArgs: StormArgs = {
      port: server.port,
      seconds: seconds + 2,
      request: request.toString('hex'),
      tls: { ca: server.client.ca.toString(), cert: server.client.cert.toString(), key: server.client.key.toString() },
    };
    const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--storm'], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin.end(JSON.stringify(stormArgs));
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const stormy = await runScenario(spec, target, limits);
    await once(child, 'exit');
    const stormResult = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { opsPerSec?: number; errors?: number };
    const mode = ioThread ? 'I/O thread' : 'one thread';
    return [row(mode, 'quiet', quiet), row(mode, `storm (${stormResult.errors ?? '?'} handshake errors)`, stormy, stormResult.opsPerSec)];
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--storm')) {
    let input = '';
    for await (const c of process.stdin) input += String(c);
    await storm(JSON.parse(input) as StormArgs);
    return;
  }
  const seconds = Number(process.argv[2] ?? 5);
  const rounds = Number(process.argv[3] ?? 1);
  console.log(`${GET_CONNECTIONS} persistent connections doing Gets, closed loop, ${seconds} s per phase; storm: ${STORM_WORKERS} workers in another process, a new connection with a full TLS handshake per Get\n`);
  console.log('| listener | phase | Gets/s | p50 ms | p99 ms | max ms | storm handshakes/s | Get errors |');
  console.log('|---|---|--:|--:|--:|--:|--:|--:|');
  for (let round = 0; round < rounds; round++) {
    for (const ioThread of [true, false]) for (const line of await measure(ioThread, seconds)) console.log(line);
  }
}

runMain(main);
