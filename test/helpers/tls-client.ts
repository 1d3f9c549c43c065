/** A minimal mutual-TLS KMIP client for tests and benchmarks: send one message, read one back. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';

export interface ClientCerts {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export function loadClientCerts(dir: string, name = 'alice'): ClientCerts {
  return {
    ca: readFileSync(join(dir, 'ca.crt')),
    cert: readFileSync(join(dir, `${name}.crt`)),
    key: readFileSync(join(dir, `${name}.key`)),
  };
}

export class KmipTestClient {
  private buf = Buffer.alloc(0);
  private waiting: ((b: Buffer | undefined) => void) | undefined;
  closed = false;

  private constructor(readonly socket: tls.TLSSocket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.deliver();
    });
    const end = () => {
      this.closed = true;
      this.waiting?.(undefined);
      this.waiting = undefined;
    };
    socket.on('close', end);
    socket.on('error', end);
  }

  static connect(port: number, certs: ClientCerts, opts: tls.ConnectionOptions = {}): Promise<KmipTestClient> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...certs, ...opts }, () => resolve(new KmipTestClient(s)));
      s.once('error', reject);
    });
  }

  private deliver(): void {
    if (!this.waiting || this.buf.length < 8) return;
    const len = this.buf.readUInt32BE(4);
    if (this.buf.length < 8 + len) return;
    const msg = this.buf.subarray(0, 8 + len);
    this.buf = this.buf.subarray(8 + len);
    const w = this.waiting;
    this.waiting = undefined;
    w(Buffer.from(msg));
  }

  /** Resolves with the next response, or undefined when the server closed the connection. */
  next(): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      if (this.closed && this.buf.length === 0) return resolve(undefined);
      this.waiting = resolve;
      this.deliver();
    });
  }

  async roundTrip(message: Uint8Array): Promise<Buffer | undefined> {
    const p = this.next();
    this.socket.write(message);
    return p;
  }

  close(): void {
    this.socket.destroy();
  }
}
