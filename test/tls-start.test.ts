/**
 * `kmipd start` as a real process: dev PKI created on first run, the full application behind
 * the TLS listener, graceful SIGTERM, and one-line fatal errors with exit 1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const START = join(ROOT, 'src/cli/start.ts');

interface Proc {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exit: Promise<number | null>;
  waitFor(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

const temps: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kmipd-start-'));
  temps.push(d);
  return d;
}

function run(cwd: string, env: Record<string, string>, args: string[] = []): Proc {
  const child = spawn(process.execPath, ['--import', TSX, START, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: cwd, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  child.stdout!.on('data', (c: Buffer) => {
    partial += c.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as Record<string, unknown>);
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  // 'close', not 'exit': it comes after stdout has been read to the end.
  const exit = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return {
    child,
    lines,
    exit,
    async waitFor(msg, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith(msg));
        if (hit) return hit;
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`no "${msg}" log line; stdout: ${JSON.stringify(lines)} stderr: ${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

describe('kmipd start', () => {
  it('creates the dev PKI, serves KMIP over mutual TLS, reloads TLS on SIGHUP and stops cleanly on SIGTERM', async () => {
    const cwd = tempDir();
    const p = run(cwd, { KMIPD_LISTEN: '127.0.0.1:0' });
    const started = await p.waitFor('KMIP listener started');
    expect(p.lines.some((l) => l.msg === 'created a development PKI (self-signed CA); do not use it in production')).toBe(true);
    expect(statSync(join(cwd, 'certs/server.key')).mode & 0o777).toBe(0o600);

    const certs = (f: string): string => readFileSync(join(cwd, 'certs', f), 'utf8');
    const s = connect({ host: '127.0.0.1', port: started.port as number, ca: certs('ca.crt'), cert: certs('alice.crt'), key: certs('alice.key'), servername: 'localhost' });
    await new Promise<void>((r, j) => (s.once('secureConnect', () => r()), s.once('error', j)));
    // A header-only Request Message: not valid KMIP, so the dispatcher must answer with a
    // Response Message (tag 0x42007B) rather than the server closing the connection.
    s.write(Buffer.from([0x42, 0x00, 0x78, 0x01, 0, 0, 0, 0]));
    const response = await new Promise<Buffer>((r) => s.once('data', r));
    expect(response.subarray(0, 4)).toEqual(Buffer.from([0x42, 0x00, 0x7b, 0x01]));
    s.end();

    // The dev PKI also brings an RSA certificate for clients limited to the KMIP 1.x TLS_RSA_* suites.
    expect(p.lines.some((l) => l.msg === 'development PKI: also serving the RSA server certificate')).toBe(true);
    const rsa = connect({ host: '127.0.0.1', port: started.port as number, ca: certs('ca.crt'), cert: certs('bob.crt'), key: certs('bob.key'), servername: 'localhost', maxVersion: 'TLSv1.2', ciphers: 'AES256-SHA256' });
    await new Promise<void>((r, j) => (rsa.once('secureConnect', () => r()), rsa.once('error', j)));
    expect(rsa.getCipher().name).toBe('AES256-SHA256');
    rsa.end();

    p.child.kill('SIGHUP');
    await p.waitFor('TLS certificate, key and CA reloaded');

    p.child.kill('SIGTERM');
    expect(await p.exit).toBe(0);
    expect(p.lines.some((l) => l.msg === 'kmipd stopped')).toBe(true);
  });

  it('exits 1 with one fatal line on a bad listen address', async () => {
    const p = run(tempDir(), { KMIPD_LISTEN: 'localhost' });
    expect(await p.exit).toBe(1);
    expect(p.lines).toHaveLength(1);
    expect(p.lines[0]).toMatchObject({ level: 60, msg: expect.stringMatching(/^kmipd: invalid configuration: KMIPD_LISTEN: expected host:port/) });
  });

  it('exits 1 with a clear line when the port is taken, releasing the HSM and store', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const p = run(tempDir(), { KMIPD_LISTEN: `127.0.0.1:${port}` });
      expect(await p.exit).toBe(1);
      expect(p.lines.find((l) => l.level === 60)?.msg).toMatch(/^kmipd: cannot listen: .*EADDRINUSE/);
      expect(p.lines.some((l) => l.msg === 'PKCS#11 provider closed')).toBe(true);
    } finally {
      blocker.close();
    }
  });

  it('does not invent certificates for non-default paths', async () => {
    const cwd = tempDir();
    const p = run(cwd, { KMIPD_TLS_CERT: 'elsewhere/server.crt', KMIPD_LISTEN: '127.0.0.1:0' });
    expect(await p.exit).toBe(1);
    const fatal = p.lines.find((l) => l.level === 60);
    expect(fatal?.msg).toMatch(/TLS file\(s\) not found: .*elsewhere\/server\.crt/);
  });
});
