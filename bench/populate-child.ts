/**
 * Runs bench/populate.ts in a child process and returns the populated data dir. A child, because
 * populating opens the data dir's SoftHSM2 token, and one process uses one SoftHSM2 configuration
 * at a time (src/crypto/pkcs11/softhsm.ts); the crypto ceiling later opens a token of its own.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export async function populateInChild(objects: number): Promise<string> {
  const root = resolve(import.meta.dirname, '..');
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/populate.ts'), '--objects', String(objects)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? 1)));
  const dir = out.trim().split('\n').pop();
  if (code !== 0 || !dir) throw new Error(`populate of ${objects} objects failed (exit ${code})`);
  return dir;
}
