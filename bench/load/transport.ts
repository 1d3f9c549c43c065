/**
 * What kmipd's transport allows, with no KMIP work behind it: the real listener
 * (src/server: mutual TLS with the server's policy, framer, per-connection queue, flow control,
 * timers) in a process of its own, with a handler that answers every message at once with a fixed
 * 312-byte TTLV structure (the size of a Get AES-256 response). The load generator is the
 * benchmark's own (pre-encoded 152-byte requests, persistent connections, closed loop).
 *
 * It prints ops/s and the server main thread's CPU per message (Linux schedstat). That is the
 * floor under every figure of `npm run bench`: a request there costs this plus its dispatch.
 *
 *   tsx bench/load/transport.ts [seconds per case, default 5] [connections, default 1,16]
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { generateDevPki } from '../../src/server/pki/dev-pki.js';
import { startKmipServer } from '../../src/server/index.js';
import { KmipSocket } from './kmip-socket.js';

const RESPONSE_BYTES = 312;
const REQUEST_BYTES = 152;

/** A TTLV structure header (tag 0x42007B Response Message, type 0x01) and zero bytes. */
function structure(tag: number, total: number): Buffer {
  const b = Buffer.alloc(total);
  b.writeUIntBE(tag, 0, 3);
  b[3] = 0x01;
  b.writeUInt32BE(total - 8, 4);
  return b;
}

function threadCpuUs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
}

async function serve(certs: string): Promise<void> {
  const response = structure(0x42007b, RESPONSE_BYTES);
  const server = await startKmipServer({
    host: '127.0.0.1',
    port: 0,
    tls: { cert: readFileSync(join(certs, 'server.crt')), key: readFileSync(join(certs, 'server.key')), ca: readFileSync(join(certs, 'ca.crt')) },
    handler: { handle: () => Promise.resolve(Buffer.from(response)) },
    log: pino({ level: 'warn' }),
  });
  process.send!({ port: server.address().port });
  process.on('disconnect', () => process.exit(0));
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const counts = (process.argv[3] ?? '1,16').split(',').map(Number);
  const certs = mkdtempSync(join(tmpdir(), 'kmipd-transport-'));
  try {
    generateDevPki({ dir: certs, clients: ['alice'], keyType: 'ec' });
    const child = fork(process.argv[1]!, ['--serve', certs], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: { port: number }) => resolve(m.port));
      child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    });
    const tls = { ca: readFileSync(join(certs, 'ca.crt')), cert: readFileSync(join(certs, 'alice.crt')), key: readFileSync(join(certs, 'alice.key')) };
    const request = structure(0x420078, REQUEST_BYTES);
    console.log('| connections | messages/s | server main-thread CPU µs/message | client CPU µs/message |\n|--:|--:|--:|--:|');
    for (const n of counts) {
      const socks = await Promise.all(Array.from({ length: n }, () => KmipSocket.connect({ port, tls })));
      const loop = async (until: number, count: { n: number }): Promise<void> => {
        await Promise.all(
          socks.map(async (s) => {
            while (Date.now() < until) {
              await s.roundTrip(request);
              count.n++;
            }
          }),
        );
      };
      await loop(Date.now() + 1000, { n: 0 }); // warm-up
      const done = { n: 0 };
      const s0 = threadCpuUs(child.pid!);
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await loop(Date.now() + seconds * 1000, done);
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      const c = process.cpuUsage(c0);
      const serverUs = (threadCpuUs(child.pid!) - s0) / done.n;
      console.log(`| ${n} | ${Math.round(done.n / secs).toLocaleString('en-US')} | ${serverUs.toFixed(1)} | ${((c.user + c.system) / done.n).toFixed(1)} |`);
      for (const s of socks) s.destroy();
    }
    child.disconnect();
  } finally {
    rmSync(certs, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve') {
  serve(process.argv[3]!).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
