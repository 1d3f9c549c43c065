/**
 * The KMIP listener on its own thread: `startThreadedKmipServer` runs the mutual-TLS listener
 * (src/server/tls-server.ts) in a worker thread (src/server/io-thread.ts) and handles its
 * requests here, on the caller's event loop, with the caller's {@link MessageHandler}.
 *
 * Why: on one event loop, TLS record work, socket reads and writes and framing take about a
 * quarter of the main thread's time per Get, and a full TLS handshake blocks every other client
 * for its duration. With the listener on a thread of its own, that work can run on another core,
 * and the dispatching thread, which owns the store, the audit chain and the HSM sessions, does
 * only KMIP. The price is a hand-off each way per request (batched) and a thread wake-up; on a
 * 2-CPU machine that cost more than it saved (BENCHMARKS.md, "Listener on an I/O thread"), so it
 * is off unless configured (`ioThread`).
 *
 * What stays the same: the {@link KmipServer} contract. The listener's limits, timeouts, flow
 * control and graceful close are the listener's own, so a client sees the same server; the
 * connection cap counts across threads (a shared counter); the log lines of the I/O thread go to
 * the caller's logger's destination, serialised and redacted by the same logger settings.
 *
 * One I/O thread: Node 20 cannot bind several sockets to one port (no SO_REUSEPORT before
 * Node 22.12), and sharing one listening descriptor between threads cannot be closed safely.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createSecureContext } from 'node:tls';
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import type { Logger } from '../log.js';
import type { FromIoThread, IoThreadData, ResponseEntry, ToIoThread } from './io-thread-protocol.js';
import { tlsPolicyOptions } from './tls-policy.js';
import { DEFAULT_SERVER_LIMITS } from './tls-server.js';
import type { KmipServer, KmipServerOptions, PeerIdentity, ServerLimits, ServerTlsMaterial } from './types.js';

/** Options of {@link startThreadedKmipServer}. */
export interface ThreadedKmipServerOptions extends KmipServerOptions {
  /**
   * Called once if the I/O thread stops on its own (a bug there): the listener is gone and the
   * process should exit so that a supervisor restarts it. Default: rethrown as an uncaught
   * exception.
   */
  onFailure?: (err: Error) => void;
}

/**
 * How to start the worker: the .js build next to this file, or under tsx and vitest the .ts
 * source, through a bootstrap that registers tsx's loader in the thread first (loader hooks are
 * not inherited by threads, and `--import tsx` in a worker's execArgv does not register them on
 * Node 20).
 */
function ioThreadEntry(): { script: URL | string; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { script: new URL('./io-thread.js', import.meta.url), eval: false };
  // import.meta.resolve is missing under vitest's transform; tsx's package.json locates its ESM API there.
  const tsxRoot = createRequire(import.meta.url).resolve('tsx/package.json');
  const tsx = pathToFileURL(join(dirname(tsxRoot), 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./io-thread.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return { script: boot, eval: true };
}

/** The destination the logger writes serialised lines to. */
function destinationOf(log: Logger): { write(line: string): unknown } {
  const sink = (log as unknown as Record<symbol, { write(line: string): unknown } | undefined>)[pino.symbols.streamSym];
  if (sink === undefined) throw new TypeError('logger has no destination stream');
  return sink;
}

/**
 * Starts the listener on an I/O thread; resolves once the port is bound.
 * @throws the listen error (EADDRINUSE, EACCES, bad certificate or key) instead of resolving
 */
export async function startThreadedKmipServer(opts: ThreadedKmipServerOptions): Promise<KmipServer> {
  const limits: ServerLimits = { ...DEFAULT_SERVER_LIMITS, ...opts.limits };
  const log = opts.log;
  const handler = opts.handler;
  const logSink = destinationOf(log);
  const connections = new SharedArrayBuffer(4);
  const data: IoThreadData = {
    host: opts.host,
    port: opts.port,
    tls: opts.tls,
    limits,
    logLevel: log.level,
    ticketKeys: opts.ticketKeys ?? randomBytes(48),
    connections,
    connIdPrefix: opts.connIdPrefix ?? 'c',
  };
  const entry = ioThreadEntry();
  const worker = new Worker(entry.script, { workerData: data, name: 'kmipd-io', eval: entry.eval });
  let exited = false;
  // Answers finishing after the thread has gone (a grace period that ran out) have nowhere to go.
  const send = (msg: ToIoThread, transfer?: ArrayBuffer[]): void => (exited ? undefined : worker.postMessage(msg, transfer));

  let outbox: ResponseEntry[] = [];
  let transfer: ArrayBuffer[] = [];
  let flushScheduled = false;
  const flush = (): void => {
    flushScheduled = false;
    const entries = outbox;
    const moved = transfer;
    outbox = [];
    transfer = [];
    send({ k: 'responses', entries }, moved);
  };
  const answer = (entry: ResponseEntry, moved?: ArrayBuffer): void => {
    outbox.push(entry);
    if (moved !== undefined) transfer.push(moved);
    if (!flushScheduled) {
      flushScheduled = true;
      // Responses completed in one loop turn (a group commit releases several) go together.
      setImmediate(flush);
    }
  };
  const handle = (id: number, message: Uint8Array, peer: PeerIdentity): void => {
    let handled: Promise<Buffer>;
    try {
      handled = handler.handle(Buffer.from(message.buffer, message.byteOffset, message.byteLength), peer);
    } catch (err) {
      handled = Promise.reject(err);
    }
    handled.then(
      (response) => {
        if (!(response instanceof Uint8Array)) {
          answer([id, { name: 'TypeError', message: `handler returned ${typeof response}, not bytes` }]);
          return;
        }
        // The response may share a pooled ArrayBuffer with other Buffers: move an exact copy.
        const copy = new Uint8Array(response.byteLength);
        copy.set(response);
        answer([id, copy], copy.buffer);
      },
      (err: unknown) => answer([id, err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) }]),
    );
  };

  let closing: Promise<void> | undefined;
  let ready = false;
  let failed = false;
  let signalClosed: () => void = () => undefined;
  const threadClosed = new Promise<void>((resolve) => (signalClosed = resolve));
  /** The thread stopped on its own after start-up: the listener is gone. Reported once. */
  const lost = (err: Error): void => {
    if (closing !== undefined || failed) return;
    failed = true;
    log.fatal({ err }, 'KMIP I/O thread stopped');
    if (opts.onFailure !== undefined) opts.onFailure(err);
    else
      process.nextTick(() => {
        throw err;
      });
  };

  // Before 'ready', every way the thread can end rejects start-up (the first one counts).
  const started = new Promise<{ host: string; port: number }>((resolve, reject) => {
    worker.on('message', (msg: FromIoThread) => {
      switch (msg.k) {
        case 'requests':
          for (const [id, message, peer] of msg.entries) handle(id, message, peer);
          return;
        case 'log':
          logSink.write(msg.line);
          return;
        case 'ready':
          ready = true;
          resolve(msg.address);
          return;
        case 'fail':
          reject(Object.assign(new Error(msg.message), msg.code === undefined ? {} : { code: msg.code }));
          return;
        case 'closed':
          signalClosed();
          return;
      }
    });
    worker.on('error', (err) => (ready ? lost(err) : reject(err)));
    worker.on('exit', (code) => {
      exited = true;
      signalClosed();
      const err = new Error(`KMIP I/O thread exited${ready ? '' : ' during start-up'} (code ${code})`);
      if (ready) lost(err);
      else reject(err);
    });
  });
  let address: { host: string; port: number };
  try {
    address = await started;
  } catch (err) {
    await worker.terminate();
    throw err;
  }

  log.info({ threadId: worker.threadId }, 'KMIP listener running on an I/O thread');
  const count = new Int32Array(connections);
  return {
    address: () => address,
    connectionCount: () => Atomics.load(count, 0),
    close(graceMs?: number): Promise<void> {
      closing ??= (async () => {
        send(graceMs === undefined ? { k: 'close' } : { k: 'close', graceMs });
        await threadClosed;
        await worker.terminate();
      })();
      return closing;
    },
    reloadTls(tls: ServerTlsMaterial, ticketKeys: Buffer = randomBytes(48)): void {
      // Checked here first so that bad material throws to the caller, keeping the old one.
      createSecureContext({ ...tlsPolicyOptions(limits.handshakeTimeoutMs), cert: tls.cert, key: tls.key, ca: tls.ca, crl: tls.crl, ticketKeys });
      send({ k: 'reload', tls, ticketKeys });
    },
  };
}
