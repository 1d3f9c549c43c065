/**
 * The KMIP I/O thread: runs the mutual-TLS listener (src/server/tls-server.ts) in a worker
 * thread, so that TLS handshakes, record encryption, socket reads and writes and framing do not
 * take the event loop that dispatches requests. Each whole request message is passed, with the
 * authenticated peer, to the thread that owns the dispatcher, and its response comes back the
 * same way (src/server/io-thread-protocol.ts). Connection limits, timeouts, flow control and
 * graceful close are the listener's own, unchanged.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../log.js';
import type { FromIoThread, IoThreadData, RequestEntry, ToIoThread } from './io-thread-protocol.js';
import { startKmipServer } from './tls-server.js';
import type { ConnectionGate, KmipServer, MessageHandler, PeerIdentity, ServerTlsMaterial } from './types.js';

const port = parentPort;
if (port === null) throw new Error('io-thread.ts runs as a worker thread');
const data = workerData as IoThreadData;

function post(msg: FromIoThread, transfer?: ArrayBuffer[]): void {
  port!.postMessage(msg, transfer);
}

const log = createLogger({ level: data.logLevel, destination: { write: (line: string) => post({ k: 'log', line }) } });

/** Buffers cloned across threads arrive as Uint8Array; TLS options want Buffers. */
function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function tlsMaterial(tls: ServerTlsMaterial): ServerTlsMaterial {
  const conv = <T>(v: T): T => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? (asBuffer(v) as T) : Array.isArray(v) ? (v.map(conv) as T) : v);
  return { cert: conv(tls.cert), key: conv(tls.key), ca: conv(tls.ca), ...(tls.crl === undefined ? {} : { crl: conv(tls.crl) }) };
}

const count = new Int32Array(data.connections);
const gate: ConnectionGate = {
  tryAcquire: () => {
    if (Atomics.add(count, 0, 1) < data.limits.maxConnections) return true;
    Atomics.sub(count, 0, 1);
    return false;
  },
  release: () => void Atomics.sub(count, 0, 1),
  count: () => Atomics.load(count, 0),
};

/** Requests sent and not yet answered. */
const pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
let nextId = 0;
let outbox: RequestEntry[] = [];
let transfer: ArrayBuffer[] = [];
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  const entries = outbox;
  const moved = transfer;
  outbox = [];
  transfer = [];
  post({ k: 'requests', entries }, moved);
}

const handler: MessageHandler = {
  handle(message: Buffer, peer: PeerIdentity): Promise<Buffer> {
    const id = ++nextId;
    // The framer's message may share its memory with other data: move an exact copy.
    const copy = new Uint8Array(message.length);
    copy.set(message);
    outbox.push([id, copy, peer]);
    transfer.push(copy.buffer);
    if (!flushScheduled) {
      flushScheduled = true;
      // After the poll phase: requests read from several sockets in one loop turn go together.
      setImmediate(flush);
    }
    return new Promise<Buffer>((resolve, reject) => pending.set(id, { resolve, reject }));
  },
};

let server: KmipServer;
try {
  server = await startKmipServer({
    host: data.host,
    port: data.port,
    tls: tlsMaterial(data.tls),
    handler,
    log,
    limits: data.limits,
    ticketKeys: asBuffer(data.ticketKeys),
    connectionGate: gate,
    connIdPrefix: data.connIdPrefix,
  });
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  post({ k: 'fail', message: e.message, ...(typeof e.code === 'string' ? { code: e.code } : {}) });
  port.close();
  throw err; // the thread ends; the handler thread has been told why
}

port.on('message', (msg: ToIoThread) => {
  switch (msg.k) {
    case 'responses':
      for (const [id, response] of msg.entries) {
        const p = pending.get(id);
        if (p === undefined) continue;
        pending.delete(id);
        if (response instanceof Uint8Array) p.resolve(asBuffer(response));
        else p.reject(Object.assign(new Error(response.message), { name: response.name }));
      }
      return;
    case 'close':
      void server.close(msg.graceMs).then(() => {
        post({ k: 'closed' });
        port.close();
      });
      return;
    case 'reload':
      try {
        server.reloadTls(tlsMaterial(msg.tls), asBuffer(msg.ticketKeys));
      } catch (err) {
        // The handler thread checked the material before sending it; this is not expected.
        log.error({ err }, 'TLS reload failed in the I/O thread; keeping the previous certificate');
      }
      return;
  }
});

post({ k: 'ready', address: server.address() });
