import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GENESIS_HASH,
  AuditRecordDecodeError,
  canonicalAuditBytes,
  decodeAuditRecord,
  encodeAuditRecord,
  sealAndEncodeAuditRecord,
  sealAuditRecord,
  verifyAuditChain,
} from './chain.js';
import type { AuditEntry, AuditRecord } from './record.js';

// Golden values: the expected bytes are written out by hand and the hashes were computed with
// `printf '%s' '<bytes>' | sha256sum`, independently of the code under test.
describe('canonicalAuditBytes (golden)', () => {
  it('serialises every field in the fixed order without whitespace', () => {
    const record = {
      prevHash: 'a'.repeat(64),
      batchItemId: '01',
      connId: 'c9',
      result: 'Success',
      uids: ['k-1', 'k-2'],
      operation: 'Create',
      principal: 'CN=alice',
      time: '2026-01-02T03:04:05.000Z',
      seq: 7,
      v: 1 as const,
    };
    const expected =
      '{"v":1,"seq":7,"time":"2026-01-02T03:04:05.000Z","principal":"CN=alice","operation":"Create",' +
      '"uids":["k-1","k-2"],"result":"Success","connId":"c9","batchItemId":"01","prevHash":"' +
      'a'.repeat(64) +
      '"}';
    expect(canonicalAuditBytes(record).toString('utf8')).toBe(expected);
    const sealed = sealAuditRecord({ seq: 6, hash: 'a'.repeat(64) }, {
      time: record.time,
      principal: record.principal,
      operation: record.operation,
      uids: record.uids,
      result: record.result,
      connId: record.connId,
      batchItemId: record.batchItemId,
    });
    expect(sealed.seq).toBe(7);
    expect(sealed.hash).toBe('fc593e819bca79e31f6dd24ef145fc786d2a08a4a8eb2cf1bd67b3f9f702b886');
  });

  it('omits undefined optional fields, keeps non-ASCII as UTF-8 and escapes quotes and backslashes', () => {
    const sealed = sealAuditRecord(undefined, {
      time: '2026-01-02T03:04:05.000Z',
      principal: 'CN=bé"x\\',
      operation: 'Get',
      uids: [],
      result: 'ItemNotFound',
      connId: undefined,
    });
    const bytes = canonicalAuditBytes(sealed);
    expect(bytes.toString('hex')).toBe(
      Buffer.from(
        '{"v":1,"seq":1,"time":"2026-01-02T03:04:05.000Z","principal":"CN=b\u00e9\\"x\\\\","operation":"Get",' +
          '"uids":[],"result":"ItemNotFound","prevHash":"' +
          GENESIS_HASH +
          '"}',
        'utf8',
      ).toString('hex'),
    );
    expect(sealed.prevHash).toBe(GENESIS_HASH);
    expect(sealed.hash).toBe('4b604a97fece2a90fb2250fb262a12a99a43533ca15fa21ab1ed2ec6f37d338a');
  });

  it('ignores a hash field and properties that are not part of the format', () => {
    const base = sealAuditRecord(undefined, entry(1));
    const smuggled = { ...entry(1), keyMaterial: 'secret' } as AuditEntry;
    const sealed = sealAuditRecord(undefined, smuggled);
    expect(sealed).not.toHaveProperty('keyMaterial');
    expect(encodeAuditRecord(sealed).toString()).not.toContain('secret');
    expect(canonicalAuditBytes(base)).toEqual(canonicalAuditBytes({ ...base, hash: 'f'.repeat(64) } as AuditRecord));
  });
});

function entry(i: number): AuditEntry {
  return { time: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`, principal: 'p', operation: 'Create', uids: [`u${i}`], result: 'Success' };
}

function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (let i = 1; i <= n; i++) out.push(sealAuditRecord(out.at(-1), entry(i)));
  return out;
}

describe('sealAuditRecord', () => {
  it('numbers records from 1 and links each to the previous hash', () => {
    const [a, b] = chain(2) as [AuditRecord, AuditRecord];
    expect([a.seq, b.seq]).toEqual([1, 2]);
    expect(b.prevHash).toBe(a.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects entries that would not verify (wrong field types)', () => {
    expect(() => sealAuditRecord(undefined, { ...entry(1), uids: [1] as unknown as string[] })).toThrow(/uids/);
  });
});

describe('encode/decodeAuditRecord', () => {
  it('round-trips and stores the canonical bytes followed by the hash', () => {
    const r = chain(1)[0]!;
    const bytes = encodeAuditRecord(r);
    expect(bytes.toString()).toBe(canonicalAuditBytes(r).toString().slice(0, -1) + `,"hash":"${r.hash}"}`);
    expect(decodeAuditRecord(bytes, 1)).toEqual(r);
  });

  it('sealAndEncodeAuditRecord gives the same record and bytes as sealAuditRecord + encodeAuditRecord', () => {
    // Graphemes, and any code units (controls, quotes, lone surrogates), which must be escaped.
    const str = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }));
    fc.assert(
      fc.property(
        fc.record({ time: str, principal: str, operation: str, uids: fc.array(str, { maxLength: 3 }), result: str }),
        fc.option(str, { nil: undefined }),
        fc.option(str, { nil: undefined }),
        fc.option(fc.record({ seq: fc.integer({ min: 1, max: 2 ** 40 }), hash: fc.constant('ab'.repeat(32)) }), { nil: undefined }),
        (base, connId, batchItemId, prev) => {
          const e: AuditEntry = { ...base, ...(connId !== undefined ? { connId } : {}), ...(batchItemId !== undefined ? { batchItemId } : {}) };
          const sealed = sealAuditRecord(prev, e);
          const both = sealAndEncodeAuditRecord(prev, e);
          expect(both.record).toEqual(sealed);
          expect(both.bytes.equals(encodeAuditRecord(sealed))).toBe(true);
        },
      ),
      { numRuns: 600 },
    );
    // A malformed previous hash is refused, right after a good seal as well as on its own.
    const first = sealAndEncodeAuditRecord(undefined, entry(1)).record;
    for (const hash of ['AB'.repeat(32), 'ab'.repeat(31), `${first.hash.slice(0, 63)}g`]) {
      expect(() => sealAndEncodeAuditRecord({ seq: 1, hash }, entry(2))).toThrow(/prevHash/);
    }
    expect(sealAndEncodeAuditRecord(first, entry(2)).record.prevHash).toBe(first.hash);
    // Escapes and non-ASCII, spelled out.
    const odd: AuditEntry = { time: 't"\\\n\u0001', principal: 'CN=ключ,O="x"', operation: 'Get', uids: ['a\u2028b', ''], result: 'Success' };
    expect(sealAndEncodeAuditRecord(undefined, odd).bytes.equals(encodeAuditRecord(sealAuditRecord(undefined, odd)))).toBe(true);
    const lone: AuditEntry = { time: '\ud800', principal: 'a\udfffb', operation: '\u007f\u001f', uids: ['\ud83d\ude00"'], result: '\\', batchItemId: '\u0000' };
    expect(sealAndEncodeAuditRecord(undefined, lone).bytes.equals(encodeAuditRecord(sealAuditRecord(undefined, lone)))).toBe(true);
  });

  it('reports unparseable bytes with the seq they were stored under', () => {
    expect(() => decodeAuditRecord(Buffer.from('{oops'), 12)).toThrow(AuditRecordDecodeError);
    try {
      decodeAuditRecord(Buffer.from('[1]'), 12);
    } catch (e) {
      expect((e as AuditRecordDecodeError).seq).toBe(12);
    }
  });
});

describe('verifyAuditChain', () => {
  it('accepts an intact chain (sync and async sources) and an empty one', async () => {
    const records = chain(5);
    expect(await verifyAuditChain(records)).toEqual({ ok: true, count: 5, lastHash: records[4]!.hash, repairs: [] });
    async function* gen(): AsyncGenerator<AuditRecord> {
      yield* records;
    }
    expect(await verifyAuditChain(gen())).toMatchObject({ ok: true, count: 5 });
    expect(await verifyAuditChain([])).toEqual({ ok: true, count: 0, lastHash: GENESIS_HASH, repairs: [] });
  });

  it('names a changed record', async () => {
    const records = chain(5);
    records[2] = { ...records[2]!, principal: 'mallory' };
    expect(await verifyAuditChain(records)).toEqual({ ok: false, seq: 3, reason: expect.stringMatching(/altered/) });
  });

  it('names a removed record', async () => {
    const records = chain(5);
    records.splice(3, 1);
    expect(await verifyAuditChain(records)).toEqual({ ok: false, seq: 4, reason: expect.stringMatching(/missing/) });
  });

  it('names the first position of reordered records', async () => {
    const records = chain(5);
    [records[1], records[2]] = [records[2]!, records[1]!];
    expect(await verifyAuditChain(records)).toMatchObject({ ok: false, seq: 2 });
  });

  it('names a record renumbered to hide a removal (its hash covers seq)', async () => {
    const records = chain(5);
    records.splice(1, 1);
    records[1] = { ...records[1]!, seq: 2 };
    expect(await verifyAuditChain(records)).toMatchObject({ ok: false, seq: 2 });
  });

  it('names a record appended out of band with a wrong prevHash or hash', async () => {
    const records = chain(3);
    const forged = sealAuditRecord({ seq: 3, hash: 'b'.repeat(64) }, entry(4));
    expect(await verifyAuditChain([...records, forged])).toEqual({ ok: false, seq: 4, reason: expect.stringMatching(/prevHash/) });
    const badHash = { ...sealAuditRecord(records[2], entry(4)), hash: 'c'.repeat(64) };
    expect(await verifyAuditChain([...records, badHash])).toEqual({ ok: false, seq: 4, reason: expect.stringMatching(/altered/) });
  });

  it('catches a correctly hashed append or a truncated tail against the stored head', async () => {
    const records = chain(4);
    const head = { seq: 3, hash: records[2]!.hash };
    expect(await verifyAuditChain(records, { expectedHead: head })).toEqual({ ok: false, seq: 4, reason: expect.stringMatching(/out of band/) });
    expect(await verifyAuditChain(records.slice(0, 2), { expectedHead: head })).toEqual({ ok: false, seq: 3, reason: expect.stringMatching(/missing/) });
    expect(await verifyAuditChain(records.slice(0, 3), { expectedHead: head })).toMatchObject({ ok: true, count: 3 });
    expect(await verifyAuditChain(records.slice(0, 3), { expectedHead: { seq: 3, hash: 'd'.repeat(64) } })).toMatchObject({ ok: false, seq: 3 });
  });

  it('rejects an unknown format version and malformed records', async () => {
    const records = chain(3);
    const v2 = { ...records[1]!, v: 2 } as unknown as AuditRecord;
    expect(await verifyAuditChain([records[0]!, v2])).toEqual({ ok: false, seq: 2, reason: expect.stringMatching(/version 2/) });
    const bad = { ...records[1]!, uids: 'x' } as unknown as AuditRecord;
    expect(await verifyAuditChain([records[0]!, bad])).toEqual({ ok: false, seq: 2, reason: expect.stringMatching(/malformed/) });
  });

  it('verifies a segment from a trusted anchor (the hook for signed checkpoints)', async () => {
    const records = chain(6);
    const anchor = { seq: 3, hash: records[2]!.hash };
    expect(await verifyAuditChain(records.slice(3), { anchor })).toMatchObject({ ok: true, count: 3 });
    expect(await verifyAuditChain(records.slice(3), { anchor: { seq: 3, hash: 'e'.repeat(64) } })).toMatchObject({ ok: false, seq: 4 });
  });

  it('reports a decode error thrown by the source at its seq', async () => {
    const records = chain(2);
    function* src(): Generator<AuditRecord> {
      yield records[0]!;
      throw new AuditRecordDecodeError(2, 'record is not valid JSON');
    }
    expect(await verifyAuditChain(src())).toEqual({ ok: false, seq: 2, reason: 'record is not valid JSON' });
  });
});

describe('verifyAuditChain (property)', () => {
  type Tamper = 'change' | 'delete' | 'swap' | 'duplicate' | 'renumber';
  const damage = (records: AuditRecord[], k: number, how: Tamper): { records: AuditRecord[]; seq: number } => {
    const out = [...records];
    switch (how) {
      case 'change':
        out[k] = { ...out[k]!, uids: [...out[k]!.uids, 'extra'] };
        return { records: out, seq: k + 1 };
      case 'delete':
        out.splice(k, 1);
        return { records: out, seq: k + 1 };
      case 'swap':
        [out[k], out[k + 1]] = [out[k + 1]!, out[k]!];
        return { records: out, seq: k + 1 };
      case 'duplicate':
        out.splice(k + 1, 0, out[k]!);
        return { records: out, seq: k + 2 };
      case 'renumber':
        out[k] = { ...out[k]!, seq: out[k]!.seq + 1 };
        return { records: out, seq: k + 1 };
    }
  };

  it('names the first damaged position for any single tampering of any chain', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 12 }),
        fc.nat(),
        fc.constantFrom<Tamper>('change', 'delete', 'swap', 'duplicate', 'renumber'),
        async (n, pick, how) => {
          const records = chain(n);
          // Deleting the last record is invisible without the head; that case has its own test.
          const k = pick % (how === 'swap' || how === 'delete' ? n - 1 : n);
          const { records: damaged, seq } = damage(records, k, how);
          expect(await verifyAuditChain(damaged)).toMatchObject({ ok: false, seq });
        },
      ),
      { numRuns: 200 },
    );
  });
});
