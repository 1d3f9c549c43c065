// `npm start` as a supervisor runs it: SIGTERM to the npm process must reach kmipd and stop it
// gracefully. Without `exec` in the package.json scripts, npm's shell dies and leaves the server
// running, orphaned, still holding the port and the store.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createAes256Request } from '../bench/load/closed-loop.js';
import { KmipSocket } from '../bench/load/kmip-socket.js';
import { ResultStatus } from '../src/kmip/generated/index.js';
import { parseResponse } from './helpers/kmip-request.js';
import { testPki } from './helpers/kmipd.js';
import { accepts, freePort, waitForPort } from './helpers/loopback.js';

const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'kmipd-npm-start-'));
let npm: ChildProcess | undefined;

afterAll(() => {
  // npm runs in a process group of its own: whatever is left of it (an orphaned server) goes too.
  if (npm?.pid !== undefined) {
    try {
      process.kill(-npm.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

it('npm start serves KMIP and stops gracefully when npm is sent SIGTERM', async () => {
  const certs = join(dir, 'certs');
  testPki(certs, ['alice']);
  const port = await freePort();
  let out = '';
  let exited = false;
  npm = spawn('npm', ['start'], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      KMIPD_LISTEN: `127.0.0.1:${port}`,
      KMIPD_DATA_DIR: join(dir, 'data'),
      KMIPD_TLS_CERT: join(certs, 'server.crt'),
      KMIPD_TLS_KEY: join(certs, 'server.key'),
      KMIPD_TLS_CA: join(certs, 'ca.crt'),
      KMIPD_LOG_LEVEL: 'info',
    },
  });
  npm.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  npm.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const npmExit = new Promise<void>((r) => npm!.once('exit', () => ((exited = true), r())));
  // `npm start` compiles dist/ first (incremental; a full build on a fresh clone).
  await waitForPort(port, 150_000, () => !exited);

  const tls = { ca: readFileSync(join(certs, 'ca.crt')), cert: readFileSync(join(certs, 'alice.crt')), key: readFileSync(join(certs, 'alice.key')) };
  const sock = await KmipSocket.connect({ port, tls });
  expect(parseResponse(await sock.roundTrip(createAes256Request())).items[0]?.status).toBe(ResultStatus.Success);
  sock.end();

  process.kill(npm.pid!, 'SIGTERM'); // npm alone, as a supervisor would
  await npmExit;
  const until = Date.now() + 15_000;
  while (((await accepts(port)) || !out.includes('kmipd stopped')) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  expect(await accepts(port)).toBe(false);
  expect(out).toContain('kmipd stopped');
}, 200_000);
