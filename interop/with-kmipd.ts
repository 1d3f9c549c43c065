/**
 * Runs a command against a freshly started kmipd:
 *
 *   tsx interop/with-kmipd.ts [--version-arg] -- CMD ARGS...
 *
 * Starts kmipd as `npm start` does (the compiled build, dist/cli/start.js, rebuilt first unless
 * KMIPD_PREBUILT=1) as a child process on a free loopback port, with its own data dir
 * (a new SoftHSM2 token and LevelDB store) and a throwaway dev PKI, waits until it accepts
 * connections, then runs CMD with `--host --port --ca --cert --key` inserted after its first
 * argument (the interface of the interop/pykmip runners: `bash run-x.sh [opts] [-- pytest args]`), stops the server with SIGTERM and exits with CMD's status.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateDevPki } from '../src/server/pki/dev-pki.js';
import { builtServerEntry, SERVER_NODE_FLAGS } from '../test/helpers/built-server.js';
import { freePort, waitForPort } from '../test/helpers/loopback.js';

async function main(): Promise<number> {
  const sep = process.argv.indexOf('--');
  const cmd = sep >= 0 ? process.argv.slice(sep + 1) : [];
  if (cmd.length === 0) {
    process.stderr.write('usage: tsx interop/with-kmipd.ts -- CMD ARGS...\n');
    return 2;
  }
  const root = resolve(import.meta.dirname, '..');
  const work = mkdtempSync(join(tmpdir(), 'kmipd-interop-'));
  try {
    const certs = join(work, 'certs');
    generateDevPki({ dir: certs, clients: ['alice'], keyType: 'ec' });
    const port = await freePort();
    let exited = false;
    const server = spawn(process.execPath, [...SERVER_NODE_FLAGS, builtServerEntry(root)], {
      cwd: root,
      env: {
        ...process.env,
        KMIPD_LISTEN: `127.0.0.1:${port}`,
        KMIPD_DATA_DIR: join(work, 'data'),
        KMIPD_TLS_CERT: join(certs, 'server.crt'),
        KMIPD_TLS_KEY: join(certs, 'server.key'),
        KMIPD_TLS_CA: join(certs, 'ca.crt'),
        KMIPD_LOG_LEVEL: process.env.KMIPD_LOG_LEVEL ?? 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    server.on('exit', () => (exited = true));
    try {
      await waitForPort(port, 60_000, () => !exited);
      // Connection options go right after the script (cmd[1]), before any "--" pass-through.
      const conn = ['--host', '127.0.0.1', '--port', String(port), '--ca', join(certs, 'ca.crt'), '--cert', join(certs, 'alice.crt'), '--key', join(certs, 'alice.key')];
      const args = [...cmd.slice(1, 2), ...conn, ...cmd.slice(2)];
      const child = spawn(cmd[0]!, args, { stdio: 'inherit' });
      return await new Promise<number>((r) => child.on('exit', (code) => r(code ?? 1)));
    } finally {
      if (!exited) {
        server.kill('SIGTERM');
        await new Promise((r) => server.once('exit', r));
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`with-kmipd: ${err instanceof Error ? err.message : String(err)}\n0 passed, 1 failed\n`);
    process.exit(1);
  },
);
