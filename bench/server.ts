/**
 * kmipd server load generator (`npm run bench`).
 *
 * Starts kmipd as a child process (bench/load/kmipd-process.ts: fresh SoftHSM2 token, LevelDB
 * store and dev PKI in a temp dir, a free loopback port) and drives it from this process over
 * mutual TLS, closed loop, with pre-encoded KMIP 1.2 requests:
 *   - Get of one existing AES-256 key, persistent connections;
 *   - Create of an AES-256 key, persistent connections;
 *   - Get with a new connection per request, resuming the worker's previous TLS session;
 *   - the same without resumption (every handshake full), for comparison;
 * each at every connection count asked for (default 1 and 16), warm-up then a fixed measured
 * window. Every response is parsed and must be Success; errors are counted and reported, and
 * make the exit status 1. Results and method are written up in BENCHMARKS.md (## Server).
 *
 * Options (or env): --duration S (BENCH_DURATION_S, 8), --warmup S (BENCH_WARMUP_S, 2),
 * --connections 1,16 (BENCH_CONNECTIONS), --only get,create,connect,connect-full (BENCH_ONLY),
 * --max-ops N per scenario (BENCH_MAX_OPS, 2,000,000), --runs N rounds over all scenarios, then
 * the median round per scenario (BENCH_RUNS, 1), --tls12 (offer TLS 1.2 at most),
 * --server-prof DIR (run the server under --cpu-prof, profile written to DIR on exit),
 * --json FILE (write the machine and results as JSON), --crypto-cases REGEX (BENCH_CRYPTO_CASES: only
 * the crypto cases whose name matches, case-insensitive, e.g. 'AES-256-GCM'), --client node|native
 * (BENCH_CLIENT, node: which load generator runs the scenarios; native is the C one,
 * bench/load/native/kmip-load.c, built on first use, which leaves more of a small machine's CPU
 * to the server). The server inherits the environment, so
 * e.g. KMIPD_KEY_EXPORT_CACHE_TTL_MS=0 measures it without the key export cache.
 *
 * Lifecycle and crypto groups (bench/load/scenarios-lifecycle.ts, scenarios-crypto.ts):
 * create-key-pair, register, locate (against a store of --objects N objects, default 10,000,
 * written by bench/populate.ts and cached under .tmp/bench-store/N), and crypto (Encrypt/Decrypt
 * AES-GCM, Sign/Verify ECDSA and RSA, HMAC, each followed by its in-process pkcs11js ceiling and
 * the ratio). All groups run by default except that the store is populated only for `locate`.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ResultStatus, Tag } from '../src/kmip/generated/index.js';
import { parseResponse, payloadText } from '../test/helpers/kmip-request.js';
import { createAes256Request, getRequest } from './load/closed-loop.js';
import { KmipSocket } from './load/kmip-socket.js';
import { startKmipdProcess } from './load/kmipd-process.js';
import { nativeClientBinary, runNativeScenario } from './load/native-client.js';
import { cpuPressure, describeMachine, machineLine, tableHeader, tableRow } from './load/report.js';
import { runScenario, type RunLimits, type ScenarioResult, type ScenarioSpec } from './load/scenarios.js';
import { CRYPTO_GROUPS, cryptoScenarioCount, cryptoSpecs, ratioTable, runCryptoCeiling, selectCryptoCases, setupCryptoRequests } from './load/scenarios-crypto.js';
import { LIFECYCLE_GROUPS, checkLocate, lifecycleSpecs } from './load/scenarios-lifecycle.js';
import { populateInChild } from './populate-child.js';

const GROUPS = ['get', 'create', 'connect', 'connect-full', ...LIFECYCLE_GROUPS, ...CRYPTO_GROUPS] as const;
type Group = (typeof GROUPS)[number];

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: process.env['BENCH_DURATION_S'] ?? '8' },
    warmup: { type: 'string', default: process.env['BENCH_WARMUP_S'] ?? '2' },
    connections: { type: 'string', default: process.env['BENCH_CONNECTIONS'] ?? '1,16' },
    only: { type: 'string', default: process.env['BENCH_ONLY'] ?? GROUPS.join(',') },
    'max-ops': { type: 'string', default: process.env['BENCH_MAX_OPS'] ?? '2000000' },
    runs: { type: 'string', default: process.env['BENCH_RUNS'] ?? '1' },
    tls12: { type: 'boolean', default: false },
    'server-prof': { type: 'string' },
    json: { type: 'string' },
    objects: { type: 'string', default: process.env['BENCH_OBJECTS'] ?? '10000' },
    'crypto-cases': { type: 'string', default: process.env['BENCH_CRYPTO_CASES'] },
    client: { type: 'string', default: process.env['BENCH_CLIENT'] ?? 'node' },
  },
});

function positive(name: string, v: string | undefined, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > max) throw new Error(`--${name}: expected a number in (0, ${max}], got ${v}`);
  return n;
}

const limits: RunLimits = {
  durationMs: Math.round(positive('duration', args.duration, 600) * 1000),
  warmupMs: Math.round(positive('warmup', args.warmup, 60) * 1000),
  maxOps: Math.floor(positive('max-ops', args['max-ops'], 50_000_000)),
  maxTlsVersion: args.tls12 ? 'TLSv1.2' : 'TLSv1.3',
};
const runs = Math.floor(positive('runs', args.runs, 20));
const storedObjects = Math.floor(positive('objects', args.objects, 100_000_000));
const connectionCounts = (args.connections ?? '').split(',').map((c) => Math.floor(positive('connections', c, 256)));
const cryptoCases = selectCryptoCases(args['crypto-cases']);
if (args.client !== 'node' && args.client !== 'native') throw new Error(`--client: expected node or native, got ${args.client}`);
const nativeClient = args.client === 'native';
// Built before the server starts, so that a missing compiler fails fast.
if (nativeClient) nativeClientBinary();
const groups = (args.only ?? '').split(',').map((g) => {
  if (!(GROUPS as readonly string[]).includes(g)) throw new Error(`--only: unknown group ${g} (known: ${GROUPS.join(', ')})`);
  return g as Group;
});

// KMIP 1.2 requests, encoded once.
const createAes256 = createAes256Request([1, 2]);
const getKey = (uid: string): Buffer => getRequest(uid, [1, 2]);

let cryptoRequests: Awaited<ReturnType<typeof setupCryptoRequests>> | undefined;
/** Populating 1M objects takes a while on a busy machine; the watchdog allows for it. */
const POPULATE_ALLOWANCE_MS = 3 * 3600_000;

function scenarios(getReq: Buffer): ScenarioSpec[] {
  const out: ScenarioSpec[] = [];
  for (const g of groups) {
    for (const n of connectionCounts) {
      if (g === 'get') out.push({ name: 'Get AES-256, persistent', mode: 'persistent', connections: n, request: getReq });
      if (g === 'create') out.push({ name: 'Create AES-256, persistent', mode: 'persistent', connections: n, request: createAes256 });
      if (g === 'connect') out.push({ name: 'Get, new TLS conn each, resumed', mode: 'connect-per-op', connections: n, request: getReq, resume: true });
      if (g === 'connect-full') out.push({ name: 'Get, new TLS conn each, full handshake', mode: 'connect-per-op', connections: n, request: getReq, resume: false });
    }
  }
  out.push(...lifecycleSpecs(groups, connectionCounts, storedObjects));
  if (cryptoRequests !== undefined) out.push(...cryptoSpecs(cryptoRequests, cryptoCases, connectionCounts));
  return out;
}

/** Per scenario, the round with the median ops/s (its whole row), and the ops/s range over rounds. */
function printMedians(results: readonly ScenarioResult[]): void {
  const byKey = new Map<string, ScenarioResult[]>();
  for (const r of results) {
    const key = `${r.name}|${r.connections}`;
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  console.log(`\nMedian round per scenario (by ops/s), with the ops/s range over ${runs} rounds:\n`);
  const [head, rule] = tableHeader().split('\n');
  console.log(`${head} ops/s range |\n${rule}--:|`);
  for (const rs of byKey.values()) {
    const sorted = [...rs].sort((a, b) => a.opsPerSec - b.opsPerSec);
    const med = sorted[Math.floor((sorted.length - 1) / 2)]!;
    console.log(`${tableRow(med)} ${Math.round(sorted[0]!.opsPerSec)}–${Math.round(sorted[sorted.length - 1]!.opsPerSec)} |`);
  }
}

async function main(): Promise<number> {
  const machine = describeMachine();
  console.log(`machine: ${machineLine(machine)}`);
  console.log(
    `method: closed loop, warm-up ${limits.warmupMs / 1000} s, measured ${limits.durationMs / 1000} s per scenario, TLS up to ${limits.maxTlsVersion}, ${nativeClient ? 'C' : 'Node.js'} load generator, server in its own process${args['server-prof'] === undefined ? '' : ' (under --cpu-prof)'}`,
  );
  // Locate runs against a store of --objects objects, populated with the server stopped.
  const seedDataDir = groups.includes('locate') ? await populateInChild(storedObjects) : undefined;
  if (seedDataDir !== undefined) console.log(`store: ${storedObjects.toLocaleString('en-US')} objects from ${seedDataDir} (a copy)`);
  const server = await startKmipdProcess({ cpuProfDir: args['server-prof'], seedDataDir });
  stopServer = () => process.kill(server.pid, 'SIGKILL');
  const results: ScenarioResult[] = [];
  // 1-minute load average after each scenario: other work on the machine skews the figures.
  const loads: number[] = [loadavg()[0]!];
  const pressure: (number | undefined)[] = [cpuPressure()];
  try {
    const target = { port: server.port, tls: server.client, serverCpuSeconds: () => server.cpuSeconds() };
    // The key every Get reads, created (and read once) over a connection of its own.
    const setup = await KmipSocket.connect({ port: server.port, tls: server.client });
    const created = parseResponse(await setup.roundTrip(createAes256)).items[0];
    if (created?.status !== ResultStatus.Success) throw new Error(`setup Create failed: ${created?.message ?? 'no item'}`);
    const uid = payloadText(created, Tag.UniqueIdentifier)!;
    const getReq = getKey(uid);
    const got = parseResponse(await setup.roundTrip(getReq)).items[0];
    if (got?.status !== ResultStatus.Success) throw new Error(`setup Get failed: ${got?.message ?? 'no item'}`);
    if (groups.includes('crypto')) cryptoRequests = await setupCryptoRequests(setup);
    if (groups.includes('locate')) await checkLocate(setup, storedObjects);
    setup.end();
    const exportCache = `key export cache ttlMs ${process.env['KMIPD_KEY_EXPORT_CACHE_TTL_MS'] || 'default'}, maxEntries ${process.env['KMIPD_KEY_EXPORT_CACHE_MAX_ENTRIES'] || 'default'}`;
    console.log(`server pid ${server.pid} on 127.0.0.1:${server.port}; key ${uid}; Get request ${getReq.length} bytes, Create request ${createAes256.length} bytes; ${exportCache}\n`);
    console.log(tableHeader());
    // Rounds go over the whole list, so a burst of other load hits different scenarios each round.
    for (let round = 1; round <= runs; round++) {
      if (runs > 1) console.log(`| round ${round} of ${runs} | | | | | | | | | | | | |`);
      for (const spec of scenarios(getReq)) {
        const r = nativeClient ? await runNativeScenario(spec, target, server.clientFiles, limits) : await runScenario(spec, target, limits);
        results.push(r);
        loads.push(loadavg()[0]!);
        pressure.push(cpuPressure());
        console.log(tableRow(r));
        for (const e of r.errorExamples) console.log(`    error: ${e}`);
      }
    }
    if (runs > 1) printMedians(results);
  } finally {
    await server.stop();
  }
  if (groups.includes('crypto')) {
    // The ceiling runs after the server has stopped, so the two never compete for the CPUs.
    console.log(`\nCrypto: kmipd over TLS beside the same mechanism in-process (pkcs11js, fresh SoftHSM2 token), ${limits.durationMs / 1000} s per case:\n`);
    console.log(ratioTable(results, await runCryptoCeiling(cryptoCases, connectionCounts, limits.durationMs / 1000)));
  }
  const profDir = args['server-prof'];
  if (profDir !== undefined) {
    // Seconds since the server was spawned, so profile-summary.ts can slice the profile per scenario.
    const rel = (ns: number): number => (ns - Number(server.spawnedAt)) / 1e9;
    // V8 profile times and process.hrtime are both CLOCK_MONOTONIC, so µs values line up directly.
    const windows = results.map((r) => ({
      name: r.name,
      connections: r.connections,
      fromS: rel(r.window.from),
      toS: rel(r.window.to),
      fromUs: Math.round(r.window.from / 1000),
      toUs: Math.round(r.window.to / 1000),
    }));
    const spawnedAtUs = Number(server.spawnedAt / 1000n);
    writeFileSync(join(profDir, 'windows.json'), JSON.stringify({ spawnedAtUs, windows }, null, 2) + '\n');
  }
  const protocols = [...new Set(results.map((r) => r.protocol).filter((p) => p !== undefined))];
  console.log(`\nTLS protocol negotiated: ${protocols.join(', ') || 'n/a'}`);
  console.log(`1-min load average at start and after each scenario: ${loads.map((l) => l.toFixed(1)).join(', ')} (${machine.nproc} CPUs)`);
  console.log(`CPU pressure (PSI some avg10, % of time a task waited for a CPU) at start and after each scenario: ${pressure.map((p) => (p === undefined ? '-' : p.toFixed(0))).join(', ')}`);
  if (profDir !== undefined) console.log(`server CPU profile written to ${profDir}; summarise it with: npx tsx bench/load/profile-summary.ts ${profDir}`);
  if (args.json !== undefined) writeFileSync(args.json, JSON.stringify({ date: new Date().toISOString(), machine, limits, loads, pressure, results }, null, 2) + '\n');
  const errors = results.reduce((n, r) => n + r.errors, 0);
  if (errors > 0) console.log(`RUN HAD ${errors} ERRORS: figures above are not valid`);
  return errors > 0 ? 1 : 0;
}

// Stops by itself: a hard limit well past the planned run time (scenarios x (warm-up + window)).
const planned =
  runs * (scenarios(Buffer.alloc(0)).length + (groups.includes('crypto') ? cryptoScenarioCount(cryptoCases, connectionCounts) : 0)) * (limits.warmupMs + limits.durationMs) +
  (groups.includes('crypto') ? cryptoScenarioCount(cryptoCases, connectionCounts) * limits.durationMs + 60_000 : 0) +
  (groups.includes('locate') ? POPULATE_ALLOWANCE_MS : 0);
let stopServer: (() => void) | undefined;
const watchdog = setTimeout(() => {
  console.error('bench: watchdog expired; killing the server and exiting');
  stopServer?.();
  process.exit(2);
}, planned + 120_000);
watchdog.unref();
// Ctrl-C: do not leave the server behind.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    stopServer?.();
    process.exit(130);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
