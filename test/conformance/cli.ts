/**
 * `npm run conformance`: replays the OASIS KMIP test cases against a live kmipd and writes
 * CONFORMANCE.md.
 *
 *   tsx test/conformance/cli.ts [--check-baseline] [--update-baseline] [--filter REGEX] [--no-report]
 *
 * Covered: the mandatory server test cases of Profiles v1.3, v1.4, v2.0 and v2.1, and the KMIP
 * Test Cases (testcases/) whose operations kmipd implements (the others are skipped, with the
 * operations they need as the reason). test/conformance/baseline.json lists the cases that pass;
 * with --check-baseline a baseline case that no longer passes is a failure. The last line is
 * "N passed, M failed, K skipped" where M counts only such regressions and K counts skipped cases
 * and cases known to fail (all listed with their reasons in CONFORMANCE.md).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { operations } from '../../src/operations/index.js';
import { OASIS_SKIP, listOasisFiles } from '../helpers/oasis.js';
import { startTestKmipd, testPki } from '../helpers/kmipd.js';
import { loadClientCerts } from '../helpers/tls-client.js';
import { type CaseResult, caseId, loadCase, missingOperations, replayCase } from './replay.js';
import { renderReport } from './report.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BASELINE = join(ROOT, 'test', 'conformance', 'baseline.json');

/** Cases not replayed, with the reason (besides unimplemented operations and unreadable files). */
export const CONFORMANCE_SKIP: Readonly<Record<string, string>> = {
  ...OASIS_SKIP,
};

function selected(): string[] {
  return listOasisFiles().filter((f) => /^profiles\/v(1\.3|1\.4|2\.0|2\.1)\/mandatory\//.test(f) || /^testcases\/v(1\.3|1\.4|2\.0|2\.1)\//.test(f));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'check-baseline': { type: 'boolean', default: false },
      'update-baseline': { type: 'boolean', default: false },
      filter: { type: 'string' },
      'no-report': { type: 'boolean', default: false },
    },
  });
  const filter = values.filter === undefined ? undefined : new RegExp(values.filter);
  const files = selected().filter((f) => filter === undefined || filter.test(f));
  const implemented = new Set(operations.map((o) => o.operation));

  const work = mkdtempSync(join(tmpdir(), 'kmipd-conformance-'));
  const results: CaseResult[] = [];
  try {
    const certDir = join(work, 'certs');
    testPki(certDir, ['conformance']);
    const certs = loadClientCerts(certDir, 'conformance');
    const kmipd = await startTestKmipd({ dataDir: join(work, 'data'), certDir });
    try {
      for (const file of files) {
        const id = caseId(file);
        const skip = CONFORMANCE_SKIP[file];
        if (skip !== undefined) {
          results.push({ file, id, status: 'skipped', reason: skip });
          continue;
        }
        let messages;
        try {
          messages = loadCase(file);
        } catch (e) {
          results.push({ file, id, status: 'failed', reason: `cannot load: ${e instanceof Error ? e.message : String(e)}` });
          continue;
        }
        const missing = missingOperations(messages, implemented);
        if (file.startsWith('testcases/') && missing.length > 0) {
          results.push({ file, id, status: 'skipped', reason: `needs ${missing.join(', ')} (not implemented yet)` });
          continue;
        }
        try {
          const r = await replayCase(file, messages, kmipd.port, certs);
          results.push(r.status === 'failed' && missing.length > 0 ? { ...r, reason: `${r.reason} [not implemented: ${missing.join(', ')}]` } : r);
        } catch (e) {
          results.push({ file, id, status: 'failed', reason: `replay error: ${e instanceof Error ? e.message : String(e)}` });
        }
      }
    } finally {
      await kmipd.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const passing = results.filter((r) => r.status === 'passed').map((r) => r.file);
  let baseline: string[] = [];
  try {
    baseline = JSON.parse(readFileSync(BASELINE, 'utf8')) as string[];
  } catch {
    baseline = [];
  }
  const ran = new Set(results.map((r) => r.file));
  const regressions = baseline.filter((f) => ran.has(f) && !passing.includes(f));
  if (values['update-baseline']) {
    const merged = [...new Set([...baseline.filter((f) => !ran.has(f)), ...passing])].sort();
    writeFileSync(BASELINE, `${JSON.stringify(merged, null, 2)}\n`);
  }
  if (!values['no-report'] && filter === undefined) writeFileSync(join(ROOT, 'CONFORMANCE.md'), renderReport(results));

  for (const r of results.filter((x) => x.status === 'failed')) {
    const tag = regressions.includes(r.file) ? 'REGRESSION' : 'known failure';
    process.stdout.write(`${tag}: ${r.id}: ${r.reason}\n`);
  }
  const p = passing.length;
  const known = results.length - p;
  if (values['check-baseline']) {
    process.stdout.write(`conformance: ${p} passed, ${results.filter((r) => r.status === 'failed').length} failing (${regressions.length} regressions), ${results.filter((r) => r.status === 'skipped').length} skipped\n`);
    process.stdout.write(`${p} passed, ${regressions.length} failed, ${known - regressions.length} skipped\n`);
    return regressions.length === 0 ? 0 : 1;
  }
  const failed = results.filter((r) => r.status === 'failed').length;
  process.stdout.write(`${p} passed, ${failed} failed, ${results.length - p - failed} skipped\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`conformance: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n0 passed, 1 failed\n`);
    process.exit(1);
  },
);
