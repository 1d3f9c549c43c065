/**
 * Test support for the tls-* suites: throwaway PKIs (a fresh CA + server + clients in a temp
 * dir, as PEM ready for `tls.connect` / `startKmipServer`) and a loopback harness (servers on
 * 127.0.0.1:0, mutual-TLS clients, a frame builder and reader, an echo handler, log capture).
 * Frames are built here by hand, not with the codec under test.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createLogger, type Logger } from '../../src/log.js';
import { generateDevPki, type DevKeyType, type DevPki } from '../../src/server/pki/dev-pki.js';
import { startKmipServer, type KmipServer, type MessageHandler, type PeerIdentity, type ServerLimits } from '../../src/server/index.js';
import { startThreadedKmipServer } from '../../src/server/threaded-server.js';

/** PEM of one certificate and its key. */
export interface PemPair {
  cert: string;
  key: string;
}

/** A generated PKI: paths (for Python/openssl) and PEM contents (for Node). */
export interface TestPki {
  paths: DevPki;
  ca: string;
  server: PemPair;
  /** The RSA server certificate, when made with `serverRsa`. */
  serverRsa?: PemPair;
  clients: Record<string, PemPair>;
  /** Server TLS material as `startKmipServer` wants it. */
  serverTls: { cert: string; key: string; ca: string };
  /** Deletes the temp dir. */
  cleanup(): void;
}

/** Generates a fresh PKI in a new temp dir. */
export function makeTestPki(opts: { clients?: string[]; keyType?: DevKeyType; serverRsa?: boolean } = {}): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'kmipd-pki-'));
  const paths = generateDevPki({ dir, clients: opts.clients ?? ['alice', 'bob'], keyType: opts.keyType, serverRsa: opts.serverRsa });
  const read = (p: string): string => readFileSync(p, 'utf8');
  const clients: Record<string, PemPair> = {};
  for (const [name, p] of Object.entries(paths.clients)) clients[name] = { cert: read(p.cert), key: read(p.key) };
  const ca = read(paths.ca.cert);
  const server = { cert: read(paths.server.cert), key: read(paths.server.key) };
  return {
    paths,
    ca,
    server,
    ...(paths.serverRsa ? { serverRsa: { cert: read(paths.serverRsa.cert), key: read(paths.serverRsa.key) } } : {}),
    clients,
    serverTls: { ...server, ca },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A frame with a valid KMIP header (Request Message, Structure) around `body` padded to 8. */
export function frame(body: Buffer | string, tag = 0x420078): Buffer {
  const b = Buffer.from(body);
  const padded = Buffer.concat([b, Buffer.alloc((8 - (b.length % 8)) % 8)]);
  const h = Buffer.alloc(8);
  h.writeUIntBE(tag, 0, 3);
  h[3] = 0x01;
  h.writeUInt32BE(padded.length, 4);
  return Buffer.concat([h, padded]);
}

/** Test handler: echoes, records peers, optional delay, tracks concurrency. */
export class EchoHandler implements MessageHandler {
  readonly peers: PeerIdentity[] = [];
  active = 0;
  maxActive = 0;
  constructor(private readonly delayMs: (msg: Buffer) => number = () => 0) {}
  async handle(message: Buffer, peer: PeerIdentity): Promise<Buffer> {
    this.peers.push(peer);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    const ms = this.delayMs(message);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    this.active--;
    return Buffer.from(message);
  }
}

export interface LogCapture {
  log: Logger;
  lines: () => Record<string, unknown>[];
}
export function captureLog(): LogCapture {
  const chunks: string[] = [];
  const stream = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c.toString()), cb()) });
  return {
    log: createLogger({ level: 'debug', destination: stream }),
    lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

let ioThreadByDefault = false;

/**
 * Makes {@link useTlsHarness} start its servers on an I/O thread (startThreadedKmipServer) unless
 * told otherwise: a test file that calls this and then imports another listener test file runs
 * that file's tests against the threaded listener. Per test file (vitest isolates modules per file).
 */
export function useIoThreadByDefault(): void {
  ioThreadByDefault = true;
}

/** What {@link useTlsHarness} gives a test file. */
export interface TlsHarness {
  /** The PKI the servers use (alice, bob). */
  readonly pki: TestPki;
  /** Another CA with a client `mallory`: trusted by nobody here. */
  readonly foreign: TestPki;
  /** Servers started here are closed after each test. */
  readonly servers: KmipServer[];
  start(handler: MessageHandler, limits?: Partial<ServerLimits>, logs?: LogCapture): Promise<{ server: KmipServer; port: number; logs: LogCapture }>;
  client(port: number, extra?: ConnectionOptions, who?: 'alice' | 'bob'): TLSSocket;
  connected(port: number, extra?: ConnectionOptions, who?: 'alice' | 'bob'): Promise<TLSSocket>;
}

/**
 * Registers vitest hooks that make the PKIs once per file and close every server after each
 * test; returns helpers to start servers on 127.0.0.1:0 and connect clients to them.
 */
export function useTlsHarness(opts: { ioThread?: boolean } = {}): TlsHarness {
  const ioThread = opts.ioThread ?? ioThreadByDefault;
  let pki: TestPki | undefined;
  let foreign: TestPki | undefined;
  const servers: KmipServer[] = [];
  beforeAll(() => {
    pki = makeTestPki();
    foreign = makeTestPki({ clients: ['mallory'] });
  });
  afterAll(() => {
    pki?.cleanup();
    foreign?.cleanup();
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close(100)));
  });
  const need = (p: TestPki | undefined): TestPki => {
    if (p === undefined) throw new Error('useTlsHarness: PKI not ready (use it inside tests)');
    return p;
  };
  const client = (port: number, extra: ConnectionOptions = {}, who: 'alice' | 'bob' = 'alice'): TLSSocket =>
    tlsConnect({ host: '127.0.0.1', port, ca: need(pki).ca, ...need(pki).clients[who], servername: 'localhost', ...extra });
  return {
    get pki() {
      return need(pki);
    },
    get foreign() {
      return need(foreign);
    },
    servers,
    async start(handler, limits = {}, logs = captureLog()) {
      const serverOpts = { host: '127.0.0.1', port: 0, tls: need(pki).serverTls, handler, log: logs.log, limits };
      const server = ioThread ? await startThreadedKmipServer(serverOpts) : await startKmipServer(serverOpts);
      servers.push(server);
      return { server, port: server.address().port, logs };
    },
    client,
    connected: (port, extra = {}, who = 'alice') =>
      new Promise((resolve, reject) => {
        const s = client(port, extra, who);
        s.once('secureConnect', () => resolve(s));
        s.once('error', reject);
      }),
  };
}

/** Resolves with the socket's error (if any) once it has closed. */
export function closed(s: { once(e: 'close', f: () => void): unknown; on(e: 'error', f: (err: Error) => void): unknown }): Promise<Error | undefined> {
  let error: Error | undefined;
  s.on('error', (e) => (error = e));
  return new Promise((resolve) => s.once('close', () => resolve(error)));
}

/** Reads whole frames off a socket (chunks joined only once a frame is complete). */
export function reader(s: TLSSocket): (timeoutMs?: number) => Promise<Buffer> {
  let chunks: Buffer[] = [];
  let have = 0;
  const ready: Buffer[] = [];
  let waiter: (() => void) | undefined;
  s.on('data', (c: Buffer) => {
    chunks.push(c);
    have += c.length;
    for (;;) {
      if (have < 8) break;
      if (chunks[0]!.length < 8) chunks = [Buffer.concat(chunks)];
      const need = 8 + chunks[0]!.readUInt32BE(4);
      if (have < need) break;
      const all = Buffer.concat(chunks);
      ready.push(all.subarray(0, need));
      chunks = all.length > need ? [all.subarray(need)] : [];
      have -= need;
    }
    waiter?.();
  });
  return async (timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (ready.length === 0) {
      if (Date.now() > deadline) throw new Error('no response in time');
      await new Promise<void>((r) => {
        waiter = r;
        setTimeout(r, 50);
      });
    }
    return ready.shift()!;
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
