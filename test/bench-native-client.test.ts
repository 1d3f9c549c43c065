// The C load generator (bench/load/native/kmip-load.c) against a live kmipd over mutual TLS:
// its figures count only whole, successful responses, and a failing response is an error, not an op.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAes256Request, getRequest } from '../bench/load/closed-loop.js';
import { KmipSocket } from '../bench/load/kmip-socket.js';
import { runNativeScenario, type TlsClientFiles } from '../bench/load/native-client.js';
import type { RunLimits, Target } from '../bench/load/scenarios.js';
import { ResultStatus, Tag } from '../src/kmip/generated/index.js';
import { parseResponse, payloadText } from './helpers/kmip-request.js';
import { startTestKmipd, testPki, type TestKmipd } from './helpers/kmipd.js';

let dir: string;
let kmipd: TestKmipd;
let files: TlsClientFiles;
let target: Target;
let uid: string;
const limits: RunLimits = { warmupMs: 100, durationMs: 400, maxOps: 100_000 };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kmipd-native-client-'));
  const certDir = join(dir, 'certs');
  testPki(certDir, ['alice']);
  kmipd = await startTestKmipd({ dataDir: join(dir, 'data'), certDir });
  files = { ca: join(certDir, 'ca.crt'), cert: join(certDir, 'alice.crt'), key: join(certDir, 'alice.key') };
  const tls = { ca: readFileSync(files.ca), cert: readFileSync(files.cert), key: readFileSync(files.key) };
  target = { port: kmipd.port, tls, serverCpuSeconds: () => process.cpuUsage().user / 1e6 };
  const sock = await KmipSocket.connect({ port: kmipd.port, tls });
  const created = parseResponse(await sock.roundTrip(createAes256Request())).items[0]!;
  expect(created.status).toBe(ResultStatus.Success);
  uid = payloadText(created, Tag.UniqueIdentifier)!;
  sock.end();
}, 60_000);

afterAll(async () => {
  await kmipd?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('C load generator', () => {
  it('runs closed-loop Gets over mutual TLS and counts each successful response once', async () => {
    const r = await runNativeScenario({ name: 'Get', mode: 'persistent', connections: 4, request: getRequest(uid) }, target, files, limits);
    expect(r.client).toBe('C');
    expect(r.errors).toBe(0);
    expect(r.ops).toBeGreaterThan(0);
    expect(r.seconds).toBeGreaterThan(0.3);
    expect(r.protocol).toBe('TLSv1.3');
    expect(r.p50).toBeGreaterThan(0);
    expect(r.p99).toBeGreaterThanOrEqual(r.p50);
    expect(r.window.to).toBeGreaterThan(r.window.from);
  }, 30_000);

  it('offers TLS 1.2 only when asked', async () => {
    const r = await runNativeScenario({ name: 'Get', mode: 'persistent', connections: 1, request: getRequest(uid) }, target, files, { ...limits, maxTlsVersion: 'TLSv1.2' });
    expect(r.errors).toBe(0);
    expect(r.protocol).toBe('TLSv1.2');
  }, 30_000);

  it('counts a response whose Result Status is not Success as an error, not an op', async () => {
    const missing = getRequest('no-such-object');
    const r = await runNativeScenario({ name: 'Get missing', mode: 'persistent', connections: 2, request: missing }, target, files, limits);
    expect(r.ops).toBe(0);
    expect(r.errors).toBeGreaterThan(0);
    expect(r.errorExamples).toEqual(['Result Status is not Success']);
  }, 30_000);

  it.each(['TLSv1.3', 'TLSv1.2'] as const)('opens a connection per Get over %s, resuming the previous session when asked', async (maxTlsVersion) => {
    const spec = { name: 'Get per connection', mode: 'connect-per-op', connections: 2, request: getRequest(uid) } as const;
    const resumed = await runNativeScenario({ ...spec, resume: true }, target, files, { ...limits, maxTlsVersion });
    expect(resumed.errors).toBe(0);
    expect(resumed.protocol).toBe(maxTlsVersion);
    expect(resumed.ops).toBeGreaterThan(0);
    const hs = resumed.handshakes!;
    // Every Get had a handshake of its own; after each thread's first, all resumed.
    expect(hs.full + hs.resumed).toBeGreaterThanOrEqual(resumed.ops);
    expect(hs.resumed).toBeGreaterThan(0);
    expect(hs.full).toBeLessThanOrEqual(2);
    expect(hs.p50).toBeGreaterThan(0);
    const full = await runNativeScenario({ ...spec, resume: false }, target, files, { ...limits, maxTlsVersion });
    expect(full.errors).toBe(0);
    expect(full.handshakes!.resumed).toBe(0);
    expect(full.handshakes!.full).toBeGreaterThan(0);
  }, 30_000);

  it('counts a failing response per connection as an error', async () => {
    const r = await runNativeScenario({ name: 'Get missing', mode: 'connect-per-op', connections: 1, request: getRequest('no-such-object'), resume: true }, target, files, limits);
    expect(r.ops).toBe(0);
    expect(r.errors).toBeGreaterThan(0);
    expect(r.errorExamples).toEqual(['Result Status is not Success']);
  }, 30_000);
});
