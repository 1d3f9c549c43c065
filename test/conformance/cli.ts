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
import { OASIS_DIR, OASIS_SKIP, listOasisFiles } from '../helpers/oasis.js';
import { startTestKmipd, testPki } from '../helpers/kmipd.js';
import { type ClientCerts, loadClientCerts } from '../helpers/tls-client.js';
import { type CaseResult, caseId, loadCase, missingOperations, replayCase } from './replay.js';
import { renderReport } from './report.js';
import { clientName, scenarios } from './scenarios.js';
import { ServerFacts } from './bindings.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BASELINE = join(ROOT, 'test', 'conformance', 'baseline.json');

/** Cases not replayed, with the reason (besides unimplemented operations and unreadable files). */
export const CONFORMANCE_SKIP: Readonly<Record<string, string>> = {
  ...OASIS_SKIP,
  // RNG Seed (KMIP 1.3 §4.36): the v1.3 "mandatory" folder holds three optional cases that record
  // mutually exclusive answers to the same 32-byte seed. kmipd uses all 32 bytes (Data Length 32),
  // the behaviour CS-RNG-O-1 records; it cannot also behave as these three.
  'profiles/v1.3/mandatory/CS-RNG-O-2-13.xml': 'optional alternative: records a server that uses 16 of the 32 seed bytes; kmipd uses all 32 (as CS-RNG-O-1)',
  'profiles/v1.3/mandatory/CS-RNG-O-3-13.xml': 'optional alternative: records a server that ignores the seed (Data Length 0); kmipd uses all 32 bytes (as CS-RNG-O-1)',
  'profiles/v1.3/mandatory/CS-RNG-O-4-13.xml': 'optional alternative: records a server that refuses seeding (Permission Denied); kmipd accepts it (as CS-RNG-O-1)',
  // Get of a one-time pad: TC-OTP-3 and TC-OTP-4 record two answers to the same Get of the same pad
  // (the Secret Data without its Key Value; Permission Denied). kmipd refuses (crypto/one-time-pad.ts).
  'testcases/v1.3/TC-OTP-3-13.xml': 'optional alternative: records a server that answers Get of a one-time pad without its Key Value; kmipd refuses it (Permission Denied, as TC-OTP-4-13)',
  'testcases/v1.4/TC-OTP-3-14.xml': 'optional alternative: records a server that answers Get of a one-time pad without its Key Value; kmipd refuses it (Permission Denied, as TC-OTP-4-14)',
  // A Get wrapped with No Encoding at 1.4: TC-WRAP-1-14 and TC-WRAP-3-14 record the Key Value as a
  // Structure whose Key Material holds the wrapped bytes (1.4 §2.1.5: with No Encoding "the Key
  // Value structure SHALL NOT contain any attributes"), TC-SENSITIVE-1-14 as a bare Byte String.
  // kmipd gives the first form, which PyKMIP's client also reads (the second breaks it).
  'testcases/v1.4/TC-SENSITIVE-1-14.xml': 'contradicts TC-WRAP-1-14 / TC-WRAP-3-14: records a No Encoding wrapped Key Value at 1.4 as a Byte String, they (and 1.4 §2.1.5) as a Structure holding the wrapped Key Material; kmipd answers the Structure',
  'testcases/v1.4/TC-DERIVEKEY-4-10.xml': 'upstream defect: the closing Destroy request comes before the Revoke and its response after the Revoke\'s, so requests and responses do not pair (TC-DERIVEKEY-4-11…14, in order, pass)',
  'testcases/v1.3/TC-RNG-ATTR-2-13.xml': 'upstream defect: Create answers $UNIQUE_IDENTIFIER_1 but the next request asks for $UNIQUE_IDENTIFIER_0, which nothing bound (fixed in TC-RNG-ATTR-2-14, which passes)',
  // Locate paging: the v1.3 draft lists the five keys newest first without Maximum Items and then
  // pages them oldest first (key1, key2, ...), contradicting itself; the v1.4 files page newest
  // first (key5, key4, ...), consistent with the unpaged order, and pass.
  'testcases/v1.3/TC-OFFSET-1-13.xml': 'upstream defect: the recording pages Locate results in the opposite order to its own unpaged Locate (fixed in TC-OFFSET-1-14, which passes)',
  'testcases/v1.3/TC-OFFSET-2-13.xml': 'upstream defect: the recording pages Locate results in the opposite order to its own unpaged Locate (fixed in TC-OFFSET-2-14, which passes)',
  // ChaCha20 / ChaCha20-Poly1305 (KMIP 2.0 profiles): keys are used only inside the HSM, and the
  // embedded SoftHSM2 2.6 offers neither CKM_CHACHA20 nor CKM_CHACHA20_POLY1305 (C_GetMechanismList);
  // kmipd answers Encrypt with such a key Feature Not Supported rather than computing it in Node.
  'profiles/v2.0/mandatory/CS-BC-M-CHACHA20-1-20.xml': 'the HSM (SoftHSM2 2.6) has no ChaCha20 mechanism and keys are used only inside the HSM: Encrypt answers Feature Not Supported',
  'profiles/v2.0/mandatory/CS-BC-M-CHACHA20-2-20.xml': 'the HSM (SoftHSM2 2.6) has no ChaCha20 mechanism and keys are used only inside the HSM: Encrypt answers Feature Not Supported',
  'profiles/v2.0/mandatory/CS-BC-M-CHACHA20-3-20.xml': 'the HSM (SoftHSM2 2.6) has no ChaCha20 mechanism and keys are used only inside the HSM: Encrypt answers Feature Not Supported',
  'profiles/v2.0/mandatory/CS-BC-M-CHACHA20POLY1305-1-20.xml': 'the HSM (SoftHSM2 2.6) has no ChaCha20 mechanism and keys are used only inside the HSM: Encrypt answers Feature Not Supported',
  'profiles/v2.1/mandatory/CS-BC-M-CHACHA20-1-21.xml': 'the HSM (SoftHSM2 2.6) has no ChaCha20 mechanism and keys are used only inside the HSM: Encrypt answers Feature Not Supported',
  'profiles/v2.1/mandatory/CS-BC-M-CHACHA20-2-21.xml': 'the HSM (SoftHSM2 2.6) has no ChaCha20 mechanism and keys are used only inside the HSM: Encrypt answers Feature Not Supported',
  'profiles/v2.1/mandatory/CS-BC-M-CHACHA20-3-21.xml': 'the HSM (SoftHSM2 2.6) has no ChaCha20 mechanism and keys are used only inside the HSM: Encrypt answers Feature Not Supported',
  'profiles/v2.1/mandatory/CS-BC-M-CHACHA20POLY1305-1-21.xml': 'the HSM (SoftHSM2 2.6) has no ChaCha20 mechanism and keys are used only inside the HSM: Encrypt answers Feature Not Supported',
  // TC-ECC-2 registers the TC-ECC-1 key as a password-encrypted PKCS#8 (EncryptedPrivateKeyInfo,
  // pbeWithSHA1And3-KeyTripleDES-CBC; the password is "secret") and records Get answering the
  // decrypted key as a 118-byte SEC1 ECPrivateKey still labelled PKCS#8. KMIP carries no password;
  // kmipd keeps the encrypted bytes and returns them as registered.
  'testcases/v1.4/TC-ECC-2-14.xml': 'upstream defect: expects Get to decrypt a password-encrypted PKCS#8 (KMIP has no password) and answer it as SEC1 labelled PKCS#8 (TC-ECC-1-14, same key as ECPrivateKey, passes)',
  'testcases/v2.0/TC-ECC-2-20.xml': 'upstream defect: expects Get to decrypt a password-encrypted PKCS#8 (KMIP has no password) and answer it as SEC1 labelled PKCS#8 (TC-ECC-1-20, same key as ECPrivateKey, passes)',
};

/**
 * Cases replayed in full that are expected to fail at a step whose recording contradicts the rest
 * of the corpus; the note is added to the failure in CONFORMANCE.md. They stay replayed so that
 * the steps before it keep being checked.
 */
const KNOWN_FAILURE_NOTES: Readonly<Record<string, string>> = {
  // Steps 0-7 pass (PKCS#12 opened at Register, key as PKCS#8, certificate registered and linked,
  // Locate by X.509 Certificate Identifier); step 9 (Get as PKCS#12) and the rest pass too.
  'testcases/v1.4/TC-PKCS12-2-14.xml':
    "upstream inconsistency: the certificate's Get Attributes records the serial as the bare INTEGER value (9 bytes) and its Digest without Key Format Type, but the same file's Locate sends the DER INTEGER (11 bytes), as TC-CERTATTR-1 and TC-ECC-3 record it, with Digest Key Format Type Raw; kmipd answers as those do",
  'testcases/v2.0/TC-PKCS12-2-20.xml':
    "upstream inconsistency: the certificate's Get Attributes records the serial as the bare INTEGER value (9 bytes) and its Digest without Key Format Type, but the same file's Locate sends the DER INTEGER (11 bytes), as TC-CERTATTR-1 and TC-ECC-3 record it, with Digest Key Format Type Raw; kmipd answers as those do",
};

function selected(): string[] {
  return listOasisFiles().filter((f) => /^profiles\/v(1\.3|1\.4|2\.0|2\.1)\/mandatory\//.test(f) || /^testcases\/v(1\.3|1\.4|2\.0|2\.1)\//.test(f));
}

/** Loads and replays one file (or explains why it is skipped). */
async function runCase(file: string, implemented: ReadonlySet<number>, port: number, certs: ClientCerts, facts: ServerFacts): Promise<CaseResult> {
  const id = caseId(file);
  const skip = CONFORMANCE_SKIP[file];
  if (skip !== undefined) return { file, id, status: 'skipped', reason: skip };
  let messages;
  try {
    messages = loadCase(file);
  } catch (e) {
    return { file, id, status: 'failed', reason: `cannot load: ${e instanceof Error ? e.message : String(e)}` };
  }
  const missing = missingOperations(messages, implemented);
  if (file.startsWith('testcases/') && missing.length > 0) {
    return { file, id, status: 'skipped', reason: `needs ${missing.join(', ')} (not implemented yet)` };
  }
  try {
    const r = await replayCase(file, messages, port, certs, facts);
    if (r.status === 'failed' && missing.length > 0) return { ...r, reason: `${r.reason} [not implemented: ${missing.join(', ')}]` };
    const note = KNOWN_FAILURE_NOTES[file];
    return r.status === 'failed' && note !== undefined ? { ...r, reason: `${r.reason} (${note})` } : r;
  } catch (e) {
    return { file, id, status: 'failed', reason: `replay error: ${e instanceof Error ? e.message : String(e)}` };
  }
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
  if (selected().length === 0) {
    // No corpus is a broken setup, not zero failures: say so and fail (CI must not pass silently).
    console.error(`no OASIS test cases found in ${OASIS_DIR}; put them at ../shared/kmip-testcases or set KMIP_TESTCASES_DIR`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  const implemented = new Set(operations.map((o) => o.operation));

  const work = mkdtempSync(join(tmpdir(), 'kmipd-conformance-'));
  const results: CaseResult[] = [];
  try {
    const certDir = join(work, 'certs');
    const units = scenarios(files, selected());
    // One client identity per scenario (see scenarios.ts): a case sees only its own objects.
    testPki(certDir, units.map((_, n) => clientName(n)));
    const kmipd = await startTestKmipd({ dataDir: join(work, 'data'), certDir });
    const facts = new ServerFacts();
    try {
      for (const [n, unit] of units.entries()) {
        const certs = loadClientCerts(certDir, clientName(n));
        let fixtureError: string | undefined;
        for (const fixture of unit.fixtures) {
          const r = await runCase(fixture, implemented, kmipd.port, certs, facts);
          if (r.status !== 'passed' && fixtureError === undefined) fixtureError = `set-up ${caseId(fixture)} did not pass: ${r.reason ?? r.status}`;
        }
        for (const file of unit.members) {
          if (fixtureError !== undefined && CONFORMANCE_SKIP[file] === undefined) {
            results.push({ file, id: caseId(file), status: 'failed', reason: fixtureError });
            continue;
          }
          results.push(await runCase(file, implemented, kmipd.port, certs, facts));
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
