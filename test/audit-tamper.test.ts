// Tampering with the audit log on disk: each test writes a real chain through the store, edits the
// LevelDB directly (as an attacker with file access would), and checks that the verifier names the
// right sequence number; the CLI is run as a process for its output and exit codes.
import { ClassicLevel } from 'classic-level';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sealAuditRecord, encodeAuditRecord } from '../src/audit/chain.js';
import type { AuditRecord } from '../src/audit/record.js';
import { verifyDataDir } from '../src/cli/audit-verify.js';
import { auditKey } from '../src/store/keys.js';
import { openLevelDbStore } from '../src/store/leveldb/leveldb-store.js';

const RECORDS = 10;
let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'kmipd-audit-'));
  const store = await openLevelDbStore(path.join(dataDir, 'store'));
  for (let i = 1; i <= RECORDS; i++) {
    await store.commit({
      put: [{ uid: `k${i}`, owner: 'alice', revision: 1, body: Buffer.from('b'), index: [] }],
      delete: [],
      audit: [{ time: `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`, principal: 'alice', operation: 'Create', uids: [`k${i}`], result: 'Success' }],
    });
  }
  await store.close();
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Edits the raw database with classic-level, bypassing the store. */
async function tamper(fn: (db: ClassicLevel<Buffer, Buffer>) => Promise<void>): Promise<void> {
  const db = new ClassicLevel<Buffer, Buffer>(path.join(dataDir, 'store'), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

async function readRecord(db: ClassicLevel<Buffer, Buffer>, seq: number): Promise<AuditRecord> {
  return JSON.parse((await db.get(auditKey(seq)))!.toString()) as AuditRecord;
}

describe('audit chain on disk', () => {
  it('verifies an untouched log', async () => {
    expect(await verifyDataDir(dataDir)).toMatchObject({ ok: true, count: RECORDS });
  });

  it('names a record whose field was changed', async () => {
    await tamper(async (db) => {
      const r = await readRecord(db, 4);
      await db.put(auditKey(4), Buffer.from(JSON.stringify({ ...r, principal: 'mallory' })));
    });
    expect(await verifyDataDir(dataDir)).toEqual({ ok: false, seq: 4, reason: expect.stringMatching(/altered/) });
  });

  it('names a deleted record', async () => {
    await tamper((db) => db.del(auditKey(6)));
    expect(await verifyDataDir(dataDir)).toEqual({ ok: false, seq: 6, reason: expect.stringMatching(/missing/) });
  });

  it('names the first of two swapped records', async () => {
    await tamper(async (db) => {
      const [a, b] = [await db.get(auditKey(3)), await db.get(auditKey(7))];
      await db.batch([
        { type: 'put', key: auditKey(3), value: b! },
        { type: 'put', key: auditKey(7), value: a! },
      ]);
    });
    expect(await verifyDataDir(dataDir)).toEqual({ ok: false, seq: 3, reason: expect.stringMatching(/out of order/) });
  });

  it('names a forged record appended with a wrong prevHash', async () => {
    await tamper(async (db) => {
      const forged = sealAuditRecord({ seq: RECORDS, hash: 'f'.repeat(64) }, { time: 't', principal: 'mallory', operation: 'Get', uids: [], result: 'Success' });
      await db.put(auditKey(RECORDS + 1), encodeAuditRecord(forged));
    });
    expect(await verifyDataDir(dataDir)).toEqual({ ok: false, seq: RECORDS + 1, reason: expect.stringMatching(/prevHash/) });
  });

  it('names a correctly chained forgery appended without updating the audit head', async () => {
    await tamper(async (db) => {
      const last = await readRecord(db, RECORDS);
      const forged = sealAuditRecord(last, { time: 't', principal: 'mallory', operation: 'Get', uids: [], result: 'Success' });
      await db.put(auditKey(RECORDS + 1), encodeAuditRecord(forged));
    });
    expect(await verifyDataDir(dataDir)).toEqual({ ok: false, seq: RECORDS + 1, reason: expect.stringMatching(/out of band/) });
  });

  it('names a truncated tail against the audit head', async () => {
    await tamper((db) => db.del(auditKey(RECORDS)));
    expect(await verifyDataDir(dataDir)).toEqual({ ok: false, seq: RECORDS, reason: expect.stringMatching(/missing/) });
  });

  it('names an unparseable record and an unknown format version', async () => {
    await tamper((db) => db.put(auditKey(2), Buffer.from('{not json')));
    expect(await verifyDataDir(dataDir)).toEqual({ ok: false, seq: 2, reason: expect.stringMatching(/JSON/) });
    await tamper(async (db) => {
      const r = await readRecord(db, 1);
      await db.put(auditKey(1), Buffer.from(JSON.stringify({ ...r, v: 9 })));
    });
    expect(await verifyDataDir(dataDir)).toEqual({ ok: false, seq: 1, reason: expect.stringMatching(/version 9/) });
  });
});

describe('audit-verify CLI', () => {
  const cli = path.resolve('src/cli/audit-verify.ts');
  const tsx = path.resolve('node_modules/.bin/tsx');
  const run = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await promisify(execFile)(tsx, [cli, ...args]);
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('prints OK with the count on a good store, FAIL with the seq on a tampered one', async () => {
    const good = await run(['--data-dir', dataDir]);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(new RegExp(`^OK ${RECORDS} records, head [0-9a-f]{64}\\n$`));

    await tamper(async (db) => {
      const r = await readRecord(db, 5);
      await db.put(auditKey(5), Buffer.from(JSON.stringify({ ...r, result: 'PermissionDenied' })));
    });
    const bad = await run(['--data-dir', dataDir]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL seq 5: /);
  });

  it('fails on a server-side head repair until it is acknowledged', async () => {
    // Truncate the tail, then let the server open the store: it trusts the records and seals an
    // AuditHeadRepair record, so the chain verifies but the incident stays visible.
    await tamper((db) => db.del(auditKey(RECORDS)));
    const store = await openLevelDbStore(path.join(dataDir, 'store'));
    await store.close();
    expect(await verifyDataDir(dataDir)).toMatchObject({ ok: true, count: RECORDS, repairs: [RECORDS] });
    const flagged = await run(['--data-dir', dataDir]);
    expect(flagged.code).toBe(1);
    expect(flagged.stdout).toMatch(new RegExp(`^FAIL seq ${RECORDS}: the server repaired its audit head`));
    const accepted = await run(['--data-dir', dataDir, '--accept-repair', String(RECORDS)]);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(/^OK 10 records/);
  });

  it('exits 2 without creating anything when there is no store', async () => {
    const missing = await run(['--data-dir', path.join(dataDir, 'nowhere')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot open store/);
    expect(existsSync(path.join(dataDir, 'nowhere'))).toBe(false);
  });
});
