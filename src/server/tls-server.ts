/**
 * The KMIP listener: mutual TLS on a TCP port (5696 by default), one {@link KmipConnection}
 * per authenticated client. Handshake failures (plain TCP, no or untrusted client certificate,
 * TLS < 1.2) never reach the handler; they are logged with the OpenSSL reason only.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { createSecureContext, createServer, type TLSSocket } from 'node:tls';
import { DEFAULT_LIMITS } from '../config/load.js';
import { connectionLogger } from '../log.js';
import { ByteBudget } from './byte-budget.js';
import { KmipConnection } from './connection.js';
import { peerIdentity } from './peer-identity.js';
import { TlsSessionCache, tlsPolicyOptions } from './tls-policy.js';
import type { KmipServer, KmipServerOptions, ServerLimits } from './types.js';

/** Limits used where the caller gives none: the configuration defaults, so the two cannot drift. */
export const DEFAULT_SERVER_LIMITS: Readonly<ServerLimits> = DEFAULT_LIMITS;

const DEFAULT_GRACE_MS = 10_000;

function remote(socket: Socket): string {
  const addr = socket.remoteAddress ?? 'unknown';
  return addr.includes(':') ? `[${addr}]:${socket.remotePort ?? 0}` : `${addr}:${socket.remotePort ?? 0}`;
}

/**
 * The TCP socket under a server-side TLS socket. Node keeps it as `_parent` (undocumented but
 * stable since v0.x); falling back to the TLS socket itself only loses log correlation.
 */
function rawOf(tlsSocket: TLSSocket): Socket {
  return (tlsSocket as unknown as { _parent?: Socket })._parent ?? tlsSocket;
}

/**
 * Starts listening; resolves once the port is bound.
 * @throws the listen error (EADDRINUSE, EACCES, bad certificate or key) instead of resolving
 */
export async function startKmipServer(opts: KmipServerOptions): Promise<KmipServer> {
  const limits: ServerLimits = { ...DEFAULT_SERVER_LIMITS, ...opts.limits };
  // Shared by this listener's connections: bounds the large requests they hold together.
  const budget = new ByteBudget(limits.maxBufferedBytes);
  const log = opts.log;
  const sessions = new TlsSessionCache();
  let nextId = 0;
  /** Every open TCP socket, handshaking or not, so close() can reach them all. */
  const sockets = new Map<Socket, { connId: string; peer: string; secured: boolean }>();
  /** The same entries, kept after close for log lines about sockets that just went away. */
  const seen = new WeakMap<Socket, { connId: string; peer: string; secured: boolean }>();
  const connections = new Set<KmipConnection>();
  let closing: Promise<void> | undefined;

  const policy = tlsPolicyOptions(limits.handshakeTimeoutMs);
  const idPrefix = opts.connIdPrefix ?? 'c';
  const gate = opts.connectionGate;
  const ticketKeys = opts.ticketKeys === undefined ? {} : { ticketKeys: opts.ticketKeys };
  const server = createServer({ ...policy, cert: opts.tls.cert, key: opts.tls.key, ca: opts.tls.ca, crl: opts.tls.crl, ...ticketKeys });
  // Beyond this the net layer closes new sockets on accept, before any TLS work ('drop' below).
  server.maxConnections = limits.maxConnections;

  server.on('connection', (socket: Socket) => {
    if (gate !== undefined && !gate.tryAcquire()) {
      // The cap is shared with other listeners: closed before any TLS work, like 'drop' below.
      log.warn({ peer: remote(socket), maxConnections: limits.maxConnections }, 'connection refused: too many connections');
      socket.destroy();
      return;
    }
    const entry = { connId: `${idPrefix}${(++nextId).toString(36)}`, peer: remote(socket), secured: false };
    sockets.set(socket, entry);
    seen.set(socket, entry);
    socket.once('close', () => {
      sockets.delete(socket);
      gate?.release();
    });
    log.debug({ connId: entry.connId, peer: entry.peer }, 'tcp connection accepted');
  });

  server.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
    log.warn({ peer: `${data?.remoteAddress ?? 'unknown'}:${data?.remotePort ?? 0}`, maxConnections: limits.maxConnections }, 'connection refused: too many connections');
  });

  server.on('tlsClientError', (err: Error & { code?: string; reason?: string }, tlsSocket: TLSSocket) => {
    const entry = seen.get(rawOf(tlsSocket));
    // Node checks the client chain after OpenSSL's handshake and just destroys the socket when
    // it fails (no alert), so the useful reason is authorizationError, not the hang-up error.
    const authorizationError = (tlsSocket.authorizationError as unknown as string | null) ?? undefined;
    const fields = {
      connId: entry?.connId,
      peer: entry?.peer ?? remote(tlsSocket),
      code: authorizationError ?? err.code,
      reason: authorizationError === undefined ? (err.reason ?? err.message) : 'client certificate not trusted',
    };
    // A peer that connects and hangs up without a word (TCP health checks, port scans) is
    // routine; a failed negotiation or an untrusted certificate is worth a warning.
    if (authorizationError === undefined && err.code === 'ECONNRESET') log.info(fields, 'client left during the TLS handshake');
    else log.warn(fields, 'TLS handshake failed');
    // With a tlsClientError listener Node leaves the socket open (e.g. after a handshake timeout).
    tlsSocket.destroy();
  });

  server.on('newSession', (id: Buffer, data: Buffer, cb: () => void) => {
    sessions.set(id, data);
    cb();
  });
  server.on('resumeSession', (id: Buffer, cb: (err: Error | null, data: Buffer | null) => void) => {
    cb(null, sessions.get(id) ?? null);
  });

  server.on('secureConnection', (socket: TLSSocket) => {
    const entry = seen.get(rawOf(socket));
    if (entry !== undefined) entry.secured = true;
    const meta = { connId: entry?.connId ?? `${idPrefix}${(++nextId).toString(36)}`, peer: entry?.peer ?? remote(socket) };
    const peer = peerIdentity(socket, meta.connId);
    if (closing !== undefined) {
      socket.destroy();
      return;
    }
    if (peer === undefined) {
      log.warn(meta, 'client certificate names no principal (no CN, no subjectAltName); closing');
      socket.destroy();
      return;
    }
    const connLog = connectionLogger(log, { ...meta, client: peer.principal });
    connLog.info(
      { protocol: socket.getProtocol(), cipher: socket.getCipher().name, resumed: socket.isSessionReused(), fingerprint256: peer.certFingerprint256 },
      'client connected',
    );
    const conn = new KmipConnection(socket, peer, opts.handler, limits, connLog, budget);
    connections.add(conn);
    void conn.done.then(() => connections.delete(conn));
  });

  server.on('error', (err) => log.error({ err }, 'listener error'));

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host: opts.host, port: opts.port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = server.address();
  const address = typeof bound === 'object' && bound !== null ? { host: bound.address, port: bound.port } : { host: opts.host, port: opts.port };
  log.info({ host: address.host, port: address.port, limits }, 'KMIP listener started');

  async function close(graceMs = DEFAULT_GRACE_MS): Promise<void> {
    if (closing !== undefined) return closing;
    closing = (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const busy = [...connections].filter((c) => c.busy).length;
      log.info({ connections: sockets.size, busy, graceMs }, 'shutting down listener');
      for (const c of connections) c.shutdown();
      // Sockets still in the handshake carry no request yet: drop them now.
      for (const [raw, entry] of sockets) if (!entry.secured) raw.destroy();
      const all = Promise.all([...connections].map((c) => c.done));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        all.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        log.warn({ remaining: connections.size }, 'grace period over; destroying remaining connections');
        for (const c of connections) c.destroy();
      }
      for (const raw of sockets.keys()) raw.destroy();
      await stopped;
      log.info('listener closed');
    })();
    return closing;
  }

  function reloadTls(tls: KmipServerOptions['tls'], newTicketKeys: Buffer = randomBytes(48)): void {
    // Building the context first means a bad key or certificate throws before anything changes.
    // New ticket keys and an empty session cache: a resumed session skips certificate checks,
    // so a session from before the rotation must not let a client the new CA rejects back in.
    const options = { ...policy, cert: tls.cert, key: tls.key, ca: tls.ca, crl: tls.crl, ticketKeys: newTicketKeys };
    createSecureContext(options);
    server.setSecureContext(options);
    sessions.clear();
    log.info({ crl: tls.crl !== undefined }, 'TLS certificate, key and CA reloaded; earlier sessions will not resume');
  }

  return {
    address: () => address,
    close,
    connectionCount: () => (gate === undefined ? sockets.size : gate.count()),
    reloadTls,
  };
}
