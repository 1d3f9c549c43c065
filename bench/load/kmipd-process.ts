/**
 * Runs the server under test in its own process, as `npm start` does (the compiled build,
 * dist/cli/start.js, rebuilt first unless KMIPD_PREBUILT=1), so that load generator and server
 * each get a core. Like
 * interop/with-kmipd.ts: a temp data dir (new SoftHSM2 token and LevelDB store), a throwaway
 * dev PKI with client "alice", a free loopback port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateDevPki } from '../../src/server/pki/dev-pki.js';
import type { TlsClientMaterial } from './kmip-socket.js';
import { builtServerEntry } from '../../test/helpers/built-server.js';
import { freePort, waitForPort } from '../../test/helpers/loopback.js';

export interface KmipdProcess {
  readonly port: number;
  readonly pid: number;
  /** process.hrtime.bigint() just before the server was spawned (profile time 0, give or take start-up). */
  readonly spawnedAt: bigint;
  readonly client: TlsClientMaterial;
  /** The same client certificate, key and CA as PEM files (for the C load generator). */
  readonly clientFiles: { readonly ca: string; readonly cert: string; readonly key: string };
  /** The server process's user + system CPU time so far, in seconds (Linux /proc). */
  cpuSeconds(): number;
  /** SIGTERM (graceful), waits for exit, removes the temp dir. */
  stop(): Promise<void>;
}

export interface KmipdProcessOptions {
  /** Run the server with `--cpu-prof` and write the .cpuprofile here (on graceful exit). */
  readonly cpuProfDir?: string | undefined;
  /** Server log level (default warn: per-connection info lines would cost the server time). */
  readonly logLevel?: string;
  /** Start on a copy of this data dir (token + store; bench/populate.ts) instead of an empty one. */
  readonly seedDataDir?: string | undefined;
}

/** utime + stime of a process, fields 14 and 15 of /proc/PID/stat, in clock ticks (USER_HZ, 100 on Linux). */
function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is parenthesised and may contain spaces: split after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function startKmipdProcess(opts: KmipdProcessOptions = {}): Promise<KmipdProcess> {
  // BENCH_SERVER_ROOT: run the server of another checkout (A/B of two versions, same load generator).
  const root = resolve(process.env['BENCH_SERVER_ROOT'] ?? resolve(import.meta.dirname, '../..'));
  const work = mkdtempSync(join(tmpdir(), 'kmipd-bench-'));
  const certs = join(work, 'certs');
  generateDevPki({ dir: certs, clients: ['alice'], keyType: 'ec' });
  if (opts.seedDataDir !== undefined) cpSync(opts.seedDataDir, join(work, 'data'), { recursive: true });
  const port = await freePort();
  // The V8 flags of `npm start` (package.json): a 32 MiB young-generation semi-space, as kmipd runs.
  const nodeArgs = [`--max-semi-space-size=${process.env['BENCH_SEMI_SPACE_MB'] ?? '32'}`];
  // BENCH_NODE_FLAGS: extra node/V8 flags for the server (space-separated), to try runtime settings.
  nodeArgs.push(...(process.env['BENCH_NODE_FLAGS'] ?? '').split(' ').filter((f) => f !== ''));
  const entry = builtServerEntry(root);
  if (opts.cpuProfDir !== undefined) {
    mkdirSync(opts.cpuProfDir, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir);
  }
  let exited = false;
  const spawnedAt = process.hrtime.bigint();
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, entry], {
    cwd: root,
    env: {
      ...process.env,
      KMIPD_LISTEN: `127.0.0.1:${port}`,
      KMIPD_DATA_DIR: join(work, 'data'),
      KMIPD_TLS_CERT: join(certs, 'server.crt'),
      KMIPD_TLS_KEY: join(certs, 'server.key'),
      KMIPD_TLS_CA: join(certs, 'ca.crt'),
      KMIPD_LOG_LEVEL: opts.logLevel ?? 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exit = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const cleanup = (): void => rmSync(work, { recursive: true, force: true });
  try {
    await waitForPort(port, 60_000, () => !exited);
  } catch (err) {
    if (!exited) child.kill('SIGTERM');
    await exit;
    cleanup();
    throw err;
  }
  const pid = child.pid!;
  return {
    port,
    pid,
    spawnedAt,
    client: {
      ca: readFileSync(join(certs, 'ca.crt')),
      cert: readFileSync(join(certs, 'alice.crt')),
      key: readFileSync(join(certs, 'alice.key')),
    },
    clientFiles: { ca: join(certs, 'ca.crt'), cert: join(certs, 'alice.crt'), key: join(certs, 'alice.key') },
    cpuSeconds: () => (exited ? Number.NaN : procCpuSeconds(pid)),
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        // Graceful shutdown waits up to 10 s for busy connections; do not hang past that.
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exit;
        clearTimeout(timer);
      }
      cleanup();
    },
  };
}
