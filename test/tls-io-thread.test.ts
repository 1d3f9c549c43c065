/**
 * What the I/O thread is for (src/server/threaded-server.ts): TLS work does not wait for the
 * dispatching thread. The listener's other behaviour is covered by running the tls-limits,
 * tls-auth and tls-messages tests against it (tls-*.io-thread.test.ts).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { startThreadedKmipServer } from '../src/server/threaded-server.js';
import { captureLog, EchoHandler, frame, useTlsHarness } from './helpers/pki.js';

const BLOCK_MS = 1_500;

/** A client in another process: connects, sends one frame, reports when the handshake and the answer came. */
const CLIENT = `
const tls = require('node:tls');
const s = tls.connect({ host: '127.0.0.1', port: Number(process.env.PORT), ca: process.env.CA, cert: process.env.CERT, key: process.env.KEY, servername: 'localhost' }, () => {
  const secure = Date.now();
  s.write(Buffer.from(process.env.FRAME, 'hex'));
  s.once('data', () => { process.stdout.write(JSON.stringify({ secure, answered: Date.now() }) + '\\n'); s.destroy(); });
});
s.on('error', (e) => { process.stderr.write(String(e) + '\\n'); process.exit(1); });
process.stdout.write('connecting\\n');
`;

/**
 * Starts the client, blocks this thread (the dispatching one) for BLOCK_MS as soon as the client
 * is connecting, and returns when the client's handshake completed relative to the end of the block.
 */
async function handshakeWhileBlocked(harness: ReturnType<typeof useTlsHarness>): Promise<{ handshakeBeforeUnblock: number; answeredAfterUnblock: number }> {
  const { port } = await harness.start(new EchoHandler());
  const alice = harness.pki.clients['alice'];
  if (alice === undefined) throw new Error('test PKI has no alice');
  const child = spawn(process.execPath, ['-e', CLIENT], {
    env: { PORT: String(port), CA: harness.pki.ca.toString(), CERT: alice.cert.toString(), KEY: alice.key.toString(), FRAME: frame('ping').toString('hex') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let unblocked = 0;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    if (unblocked === 0 && out.includes('connecting\n')) {
      // Blocks this event loop, as a long synchronous request would.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, BLOCK_MS);
      unblocked = Date.now();
    }
  });
  const [code] = (await once(child, 'exit')) as [number];
  expect(code).toBe(0);
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`client reported nothing: ${out}`);
  const { secure, answered } = JSON.parse(line) as { secure: number; answered: number };
  return { handshakeBeforeUnblock: unblocked - secure, answeredAfterUnblock: answered - unblocked };
}

describe('listener on an I/O thread', () => {
  const threaded = useTlsHarness({ ioThread: true });
  it('rejects start-up with the listen error when the port is taken, and stops the thread', async () => {
    const { port } = await threaded.start(new EchoHandler());
    const err = await startThreadedKmipServer({ host: '127.0.0.1', port, tls: threaded.pki.serverTls, handler: new EchoHandler(), log: captureLog().log }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EADDRINUSE' });
  });

  it('completes a TLS handshake while the dispatching thread is blocked', async () => {
    const r = await handshakeWhileBlocked(threaded);
    // The handshake finished well before the block ended; the request waited for the dispatcher.
    expect(r.handshakeBeforeUnblock).toBeGreaterThan(BLOCK_MS / 3);
    expect(r.answeredAfterUnblock).toBeGreaterThanOrEqual(0);
  });
});

describe('listener on the dispatching thread (control)', () => {
  const inline = useTlsHarness({ ioThread: false });
  it('finishes the handshake only once the thread is free again', async () => {
    const r = await handshakeWhileBlocked(inline);
    expect(r.handshakeBeforeUnblock).toBeLessThanOrEqual(0);
  });
});
