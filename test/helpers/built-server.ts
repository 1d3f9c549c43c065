/**
 * The server as `npm start` runs it: the compiled build in dist/ (about 15% less main-thread time
 * per request than running the TypeScript sources through tsx; BENCHMARKS.md "Compiled build").
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** V8 flags of `npm start` (package.json). */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/**
 * Brings dist/ up to date (`npm run build`, incremental: a few seconds when nothing changed)
 * unless KMIPD_PREBUILT=1 says the caller has just built it, and returns the server's entry script.
 */
export function builtServerEntry(root: string): string {
  if (process.env['KMIPD_PREBUILT'] !== '1') execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  return join(root, 'dist/cli/start.js');
}
