/**
 * A lean mutual-TLS KMIP client connection for the load generator: one request in flight at a
 * time, responses framed by the 8-byte TTLV header (3-byte tag, type, 4-byte length; KMIP 1.4
 * §9.1.1), no copying when a chunk holds exactly one whole response (the common case).
 */
import tls from 'node:tls';

export interface TlsClientMaterial {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface ConnectOptions {
  readonly port: number;
  readonly tls: TlsClientMaterial;
  /** A session from an earlier connection's 'session' event, to resume instead of a full handshake. */
  readonly session?: Buffer | undefined;
  /** Called with each session (ticket) the server issues on this connection. */
  readonly onSession?: (session: Buffer) => void;
  /** Highest TLS version to offer (default: Node's, TLSv1.3). */
  readonly maxVersion?: 'TLSv1.2' | 'TLSv1.3' | undefined;
}

const HEADER = 8;

/**
 * One secure context per certificate set and version cap: passing ca/cert/key to tls.connect
 * would parse them again (and build a new OpenSSL context) on every connection, which costs the
 * client more than the resumed handshake itself.
 */
const contexts = new WeakMap<TlsClientMaterial, Map<string, tls.SecureContext>>();

function contextFor(m: TlsClientMaterial, maxVersion: 'TLSv1.2' | 'TLSv1.3' | undefined): tls.SecureContext {
  let byVersion = contexts.get(m);
  if (byVersion === undefined) contexts.set(m, (byVersion = new Map()));
  const key = maxVersion ?? 'default';
  let ctx = byVersion.get(key);
  if (ctx === undefined) {
    ctx = tls.createSecureContext({ ca: m.ca, cert: m.cert, key: m.key, ...(maxVersion === undefined ? {} : { maxVersion }) });
    byVersion.set(key, ctx);
  }
  return ctx;
}

export class KmipSocket {
  private pending: Buffer | undefined;
  private waiter: ((err: Error | undefined, msg?: Buffer) => void) | undefined;
  private failure: Error | undefined;

  private constructor(readonly socket: tls.TLSSocket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed by server')));
  }

  /** Connects and completes the TLS handshake (full or resumed). */
  static connect(opts: ConnectOptions): Promise<KmipSocket> {
    return new Promise((resolve, reject) => {
      // noDelay is passed through to net.Socket#connect; @types/node lacks it on tls options.
      const options: tls.ConnectionOptions & { noDelay: boolean } = {
        host: '127.0.0.1',
        port: opts.port,
        servername: 'localhost',
        // From the first byte: with Nagle on during the handshake, a small TLS flight can wait
        // for a delayed ACK (tens of ms on loopback).
        noDelay: true,
        secureContext: contextFor(opts.tls, opts.maxVersion),
        ...(opts.session === undefined ? {} : { session: opts.session }),
      };
      const s = tls.connect(options);
      const onSession = opts.onSession;
      if (onSession !== undefined) s.on('session', onSession);
      const onError = (err: Error): void => reject(err);
      s.once('error', onError);
      s.once('secureConnect', () => {
        s.off('error', onError);
        resolve(new KmipSocket(s));
      });
    });
  }

  /** True when this connection resumed an earlier TLS session (no certificate exchange). */
  get resumed(): boolean {
    return this.socket.isSessionReused();
  }

  /** Sends one whole request message and resolves with the next whole response. */
  roundTrip(message: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.failure !== undefined) return reject(this.failure);
      if (this.waiter !== undefined) return reject(new Error('a request is already in flight'));
      this.waiter = (err, msg) => (err === undefined ? resolve(msg!) : reject(err));
      this.socket.write(message);
    });
  }

  /** Graceful close (close_notify + FIN); does not wait for the server's side. */
  end(): void {
    this.failure ??= new Error('closed by client');
    this.socket.end();
  }

  destroy(): void {
    this.failure ??= new Error('closed by client');
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    const buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    if (buf.length < HEADER) {
      this.pending = buf;
      return;
    }
    const total = HEADER + buf.readUInt32BE(4);
    if (buf.length < total) {
      this.pending = buf;
      return;
    }
    if (buf.length > total) {
      // Only one request is ever in flight, so bytes past one response are a protocol error.
      this.fail(new Error(`unexpected ${buf.length - total} bytes after a response`));
      this.socket.destroy();
      return;
    }
    const w = this.waiter;
    this.waiter = undefined;
    if (w === undefined) {
      this.fail(new Error('response without a request'));
      this.socket.destroy();
      return;
    }
    w(undefined, buf);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.(this.failure);
  }
}
