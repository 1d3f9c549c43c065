/**
 * The dispatcher against mutated requests: every request of the OASIS test cases is replayed in
 * process, and before it go mutated copies of it (test/helpers/mutate.ts: a field dropped,
 * duplicated, retyped, renamed, reordered, nested, or given an extreme value), so that the
 * handlers see the malformed payloads that real clients and attackers send, at each point of a
 * realistic object history. Each must get a well-formed KMIP response, never an internal error
 * (General Failure "Internal error": a bug that a clear KMIP error should have met), and the
 * server must stay consistent: the audit chain verifies afterwards.
 *
 * Deterministic: FUZZ_SEED picks another sequence (default 1); FUZZ_ROUNDS mutated copies per
 * request (default 1). A failure names the file, the step and the mutations, to replay.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/audit/chain.js';
import type { CryptoProvider } from '../src/crypto/provider.js';
import { openPkcs11Provider } from '../src/crypto/pkcs11/provider.js';
import { ensureSoftHsmToken } from '../src/crypto/pkcs11/softhsm.js';
import { kmipDictionary } from '../src/kmip/dictionary.js';
import { ResultReason, Tag } from '../src/kmip/generated/index.js';
import { openLevelDbStore } from '../src/store/leveldb/leveldb-store.js';
import type { InspectableStore } from '../src/store/kv-object-store.js';
import { decodeTtlv } from '../src/ttlv/decode.js';
import { encodeTtlv } from '../src/ttlv/encode.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { ttlvToXml } from '../src/ttlv/xml.js';
import { Bindings } from './conformance/bindings.js';
import { compareResponse, substitute } from './conformance/compare.js';
import { loadCase } from './conformance/replay.js';
import { testDispatcher } from './helpers/dispatcher.js';
import { Rng, mutate } from './helpers/mutate.js';
import { OASIS_SKIP, listOasisFiles } from './helpers/oasis.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 1);
const ROUNDS = Number(process.env['FUZZ_ROUNDS'] ?? 1);

interface Finding {
  readonly where: string;
  readonly problem: string;
  readonly request: string;
}

/** Replays `files` with mutated copies before each request; returns what went wrong. */
async function fuzz(files: readonly string[], seed: number, open: () => Promise<{ store?: InspectableStore; crypto?: CryptoProvider }>): Promise<{ sent: number; findings: Finding[] }> {
  const rng = new Rng(seed);
  let unexpected: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const rec = JSON.parse(String(chunk)) as { msg?: string; err?: { type?: string; message?: string } };
      if (rec.msg === 'operation failed unexpectedly') unexpected.push(`${rec.err?.type ?? 'Error'}: ${rec.err?.message ?? '?'}`);
      cb();
    },
  });
  const log = pino({ level: 'error' }, sink);
  const findings: Finding[] = [];
  let sent = 0;
  for (const file of files) {
    const messages = loadCase(file);
    const d = testDispatcher({ log, ...(await open()) });
    const b = new Bindings();
    const peer = { principal: 'fuzz', connId: 'f' };
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      if (m.kind !== 'request') continue;
      const real = substitute(m.node, b, BigInt(Math.floor(Date.now() / 1000)));
      for (let k = 0; k < ROUNDS; k++) {
        let node: TtlvNode = real;
        const labels: string[] = [];
        for (let n = 1 + rng.int(2); n > 0; n--) {
          const x = mutate(rng, node);
          node = x.node;
          labels.push(x.label);
        }
        const where = `${file} request ${i} (${labels.join('; ')})`;
        unexpected = [];
        sent++;
        let problem: string | undefined;
        try {
          const res = decodeTtlv(await d.handle(encodeTtlv(node), peer));
          if (res.tag !== Tag.ResponseMessage) problem = 'the answer is not a Response Message';
          else if (internalError(res)) problem = 'General Failure "Internal error"';
        } catch (e) {
          problem = `handle() rejected: ${(e as Error).message}`;
        }
        await new Promise((r) => setImmediate(r)); // let the log sink see what was logged
        if (unexpected.length > 0) problem = `${problem ?? ''} logged: ${unexpected.join(', ')}`.trim();
        if (problem !== undefined && findings.length < 20) findings.push({ where, problem, request: ttlvToXml(node, kmipDictionary) });
      }
      // Then the request itself, so that the case goes on (bindings from its answer).
      const expected = messages[i + 1];
      const answer = decodeTtlv(await d.handle(encodeTtlv(real), peer));
      if (expected?.kind === 'response') compareResponse(expected.node, answer, b);
      i++;
    }
  }
  return { sent, findings };
}

function internalError(res: TtlvNode): boolean {
  if (res.type !== 'Structure') return false;
  return res.value.some(
    (bi) =>
      bi.tag === Tag.BatchItem &&
      bi.type === 'Structure' &&
      bi.value.some((c) => c.tag === Tag.ResultReason && c.value === ResultReason.GeneralFailure) &&
      bi.value.some((c) => c.tag === Tag.ResultMessage && c.type === 'TextString' && c.value.startsWith('Internal error')),
  );
}

function report(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.where}: ${f.problem}\n${f.request}`).join('\n\n');
}

const ALL = listOasisFiles().filter((f) => !(f in OASIS_SKIP));

describe('dispatcher fuzz (mutated OASIS requests)', () => {
  it(`every mutated request of ${ALL.length} cases gets a KMIP answer, never an internal error (fake crypto, memory store; seed ${SEED})`, async () => {
    const { sent, findings } = await fuzz(ALL, SEED, async () => ({}));
    expect(sent).toBeGreaterThan(3000);
    expect(findings, report(findings)).toEqual([]);
  }, 300_000);

  describe('on SoftHSM2 and LevelDB', () => {
    const work = mkdtempSync(join(tmpdir(), 'kmipd-fuzz-'));
    let crypto: CryptoProvider;
    let store: InspectableStore;
    beforeAll(async () => {
      crypto = await openPkcs11Provider(await ensureSoftHsmToken(join(work, 'token')));
      store = await openLevelDbStore(join(work, 'store'));
    });
    afterAll(async () => {
      await store?.close();
      await crypto?.close();
      rmSync(work, { recursive: true, force: true });
    });

    const mandatory = ALL.filter((f) => f.includes('/mandatory/'));
    it(`the ${mandatory.length} mandatory profile cases, mutated: KMIP answers only, and the audit chain verifies after (seed ${SEED + 1})`, async () => {
      const { sent, findings } = await fuzz(mandatory, SEED + 1, async () => ({ store, crypto }));
      expect(sent).toBeGreaterThan(1000);
      expect(findings, report(findings)).toEqual([]);
      const chain = await verifyAuditChain(store.auditRecords(), { expectedHead: store.auditHead() });
      expect(chain).toMatchObject({ ok: true });
      expect((chain as { count: number }).count).toBeGreaterThanOrEqual(sent);
    }, 600_000);
  });
});
