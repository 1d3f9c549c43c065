// LevelDB-specific behaviour: atomicity when the batch itself fails, durability across restarts,
// audit head repair, and locate answered from the indexes at 10,000 objects.
import { ClassicLevel } from 'classic-level';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/audit/chain.js';
import type { AuditEntry } from '../src/audit/record.js';
import { encodeIndexString } from '../src/store/index-keys.js';
import { AUDIT_RANGE, META_AUDIT_HEAD, OBJECT_RANGE, auditKey } from '../src/store/keys.js';
import { openKvObjectStore } from '../src/store/kv-object-store.js';
import { compactLevelDbStore, openLevelDbKv, openLevelDbStore } from '../src/store/leveldb/leveldb-store.js';
import type { StoredObject } from '../src/store/object-store.js';

const entry = (operation: string, uids: string[]): AuditEntry => ({ time: '2026-01-01T00:00:00.000Z', principal: 'alice', operation, uids, result: 'Success' });
const obj = (uid: string, nameValue: string, type = 'SymmetricKey'): StoredObject => ({
  uid,
  owner: 'alice',
  revision: 1,
  body: Buffer.from(`body-${uid}`),
  index: [
    { field: 'name', value: encodeIndexString(nameValue) },
    { field: 'objectType', value: encodeIndexString(type) },
  ],
});

let dir: string;
let storeDir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kmipd-leveldb-'));
  storeDir = path.join(dir, 'store');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every raw key in a range, read with classic-level directly (not through the code under test). */
async function rawKeys(range: { gte: Buffer; lt: Buffer }): Promise<Buffer[]> {
  const db = new ClassicLevel<Buffer, Buffer>(storeDir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  try {
    return await db.keys({ gte: range.gte, lt: range.lt }).all();
  } finally {
    await db.close();
  }
}

describe('LevelDB store', () => {
  it('writes nothing and keeps the audit head when the batch write fails', async () => {
    const kv = await openLevelDbKv(storeDir);
    let failNext = false;
    const store = await openKvObjectStore({
      ...kv,
      write: (ops) => (failNext ? Promise.reject(new Error('disk full')) : kv.write(ops)),
    });
    await store.commit({ put: [obj('a', 'a')], delete: [], audit: [entry('Create', ['a'])] });
    const head = store.auditHead();
    failNext = true;
    await expect(store.commit({ put: [obj('b', 'b')], delete: ['a'], audit: [entry('Create', ['b']), entry('Destroy', ['a'])] })).rejects.toThrow('disk full');
    expect(store.auditHead()).toEqual(head);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBeDefined();
    failNext = false;
    // The next record chains onto the last durable one: seq 2, not 4.
    await store.commit({ put: [], delete: [], audit: [entry('Get', ['a'])] });
    expect(store.auditHead()?.seq).toBe(2);
    await store.close();
    expect((await rawKeys(OBJECT_RANGE)).map((k) => k.toString('latin1'))).toEqual(['o\0a']);
    expect(await rawKeys(AUDIT_RANGE)).toHaveLength(2);
    const reopened = await openLevelDbStore(storeDir);
    expect(await verifyAuditChain(reopened.auditRecords(), { expectedHead: reopened.openCheck.stored! })).toMatchObject({ ok: true, count: 2 });
    await reopened.close();
  });

  it('keeps every object and a verifiable chain across close and reopen, and continues the chain', async () => {
    let store = await openLevelDbStore(storeDir);
    for (let i = 0; i < 30; i++) {
      await store.commit({ put: [obj(`k${i}`, `name-${i % 3}`)], delete: i > 0 && i % 10 === 0 ? [`k${i - 1}`] : [], audit: [entry('Create', [`k${i}`])] });
    }
    const head = store.auditHead();
    await store.close();
    store = await openLevelDbStore(storeDir);
    expect(store.openCheck.consistent).toBe(true);
    expect(store.auditHead()).toEqual(head);
    for (let i = 0; i < 30; i++) {
      const deleted = i === 9 || i === 19;
      expect(await store.get(`k${i}`), `k${i}`).toEqual(deleted ? undefined : expect.objectContaining({ uid: `k${i}` }));
    }
    // name-0 went to k0, k3, …, k27; k9 was deleted (and k19, which had name-1).
    expect(await store.locate([{ field: 'name', equals: encodeIndexString('name-0') }])).toEqual(['k0', 'k12', 'k15', 'k18', 'k21', 'k24', 'k27', 'k3', 'k6']);
    await store.commit({ put: [], delete: [], audit: [entry('Locate', [])] });
    expect(await verifyAuditChain(store.auditRecords())).toMatchObject({ ok: true, count: 31 });
    await store.close();
  });

  it('trusts the records over a disagreeing audit head, and seals the repair into the chain', async () => {
    let store = await openLevelDbStore(storeDir);
    for (let i = 0; i < 3; i++) await store.commit({ put: [], delete: [], audit: [entry('Get', [])] });
    const head = store.auditHead();
    await store.close();
    const forgedHead = { seq: 1, hash: 'ab'.repeat(32) };
    const db = new ClassicLevel<Buffer, Buffer>(storeDir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.put(META_AUDIT_HEAD, Buffer.from(JSON.stringify(forgedHead)));
    await db.close();

    const warnings: unknown[] = [];
    const log = { warn: (o: unknown) => warnings.push(o), error: () => undefined } as unknown as import('pino').Logger;
    store = await openLevelDbStore(storeDir, { log });
    expect(store.openCheck).toMatchObject({ consistent: false, stored: forgedHead, fromRecords: head });
    expect(warnings).toHaveLength(1);
    expect(store.auditHead()?.seq).toBe(4);
    await store.commit({ put: [], delete: [], audit: [entry('Get', [])] });
    expect(await verifyAuditChain(store.auditRecords())).toMatchObject({ ok: true, count: 5, repairs: [4] });
    const repair = [];
    for await (const r of store.auditRecords(4)) repair.push([r.principal, r.operation]);
    expect(repair).toEqual([['kmipd', 'AuditHeadRepair'], ['alice', 'Get']]);
    await store.close();
    store = await openLevelDbStore(storeDir);
    expect(store.openCheck.consistent).toBe(true);
    await store.close();
  });

  it('opens with a damaged last record and an unparseable head, chaining the repair onto it', async () => {
    let store = await openLevelDbStore(storeDir);
    for (let i = 0; i < 2; i++) await store.commit({ put: [], delete: [], audit: [entry('Get', [])] });
    await store.close();
    const db = new ClassicLevel<Buffer, Buffer>(storeDir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.put(auditKey(2), Buffer.from('garbage'));
    await db.put(META_AUDIT_HEAD, Buffer.from('{'));
    await db.close();
    store = await openLevelDbStore(storeDir);
    expect(store.auditHead()?.seq).toBe(3);
    expect(await verifyAuditChain(store.auditRecords())).toMatchObject({ ok: false, seq: 2 });
    await store.close();
  });

  it('writes commits accepted before close before closing', async () => {
    let store = await openLevelDbStore(storeDir);
    const pending = Array.from({ length: 5 }, (_, i) => store.commit({ put: [obj(`p${i}`, 'p')], delete: [], audit: [entry('Create', [`p${i}`])] }));
    await store.close();
    await Promise.all(pending);
    store = await openLevelDbStore(storeDir);
    expect(await store.locate([{ field: 'name', equals: encodeIndexString('p') }])).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(await verifyAuditChain(store.auditRecords())).toMatchObject({ ok: true, count: 5 });
    await store.close();
  });

  it('with repairAuditHead false, opening writes nothing', async () => {
    let store = await openLevelDbStore(storeDir);
    await store.commit({ put: [], delete: [], audit: [entry('Get', [])] });
    await store.close();
    const db = new ClassicLevel<Buffer, Buffer>(storeDir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.del(META_AUDIT_HEAD);
    await db.close();
    store = await openLevelDbStore(storeDir, { repairAuditHead: false });
    expect(store.openCheck.consistent).toBe(false);
    await store.close();
    const check = new ClassicLevel<Buffer, Buffer>(storeDir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    expect(await check.get(META_AUDIT_HEAD)).toBeUndefined();
    await check.close();
  });

  it('answers locate over 10,000 objects from the index: a handful of keys, no object reads', async () => {
    const store = await openLevelDbStore(storeDir);
    for (let batch = 0; batch < 10; batch++) {
      const put = Array.from({ length: 1000 }, (_, j) => {
        const i = batch * 1000 + j;
        return obj(`uid-${String(i).padStart(5, '0')}`, `key-${i}`, i % 2 === 0 ? 'SymmetricKey' : 'PrivateKey');
      });
      await store.commit({ put, delete: [], audit: [entry('Create', [])] });
    }
    const measure = async (conds: Parameters<typeof store.locate>[0], opts?: Parameters<typeof store.locate>[1]) => {
      const before = { ...store.metrics };
      const uids = await store.locate(conds, opts);
      return { uids, keysRead: store.metrics.keysRead - before.keysRead, objectsRead: store.metrics.objectsRead - before.objectsRead };
    };
    expect(await measure([{ field: 'name', equals: encodeIndexString('key-7421') }])).toEqual({ uids: ['uid-07421'], keysRead: 1, objectsRead: 0 });
    expect(await measure([{ field: 'name', equals: encodeIndexString('key-10000') }])).toEqual({ uids: [], keysRead: 0, objectsRead: 0 });
    // AND with a condition that matches 5,000 objects: the leapfrog join seeks instead of scanning.
    const both = await measure([
      { field: 'objectType', equals: encodeIndexString('PrivateKey') },
      { field: 'name', equals: encodeIndexString('key-7421') },
    ]);
    expect(both.uids).toEqual(['uid-07421']);
    expect(both.keysRead).toBeLessThanOrEqual(4);
    expect(both.objectsRead).toBe(0);
    // The same with objectType marked broad: the name's one entry is walked, and objectType is
    // checked by one point read of that uid's index key (a hit, then a miss).
    const broadType = (t: string) => ({ field: 'objectType', equals: encodeIndexString(t), broad: true });
    expect(await measure([broadType('PrivateKey'), { field: 'name', equals: encodeIndexString('key-7421') }])).toEqual({ uids: ['uid-07421'], keysRead: 2, objectsRead: 0 });
    expect(await measure([broadType('SymmetricKey'), { field: 'name', equals: encodeIndexString('key-7421') }])).toEqual({ uids: [], keysRead: 2, objectsRead: 0 });
    // Broad conditions alone are still a leapfrog join, not a probe of every key.
    expect(await measure([broadType('SymmetricKey')], { limit: 3 })).toEqual({ uids: ['uid-00000', 'uid-00002', 'uid-00004'], keysRead: 3, objectsRead: 0 });
    // Paging stops early; and the counter does count when a scan is really needed.
    expect(await measure([{ field: 'objectType', equals: encodeIndexString('SymmetricKey') }], { limit: 3 })).toEqual({
      uids: ['uid-00000', 'uid-00002', 'uid-00004'],
      keysRead: 3,
      objectsRead: 0,
    });
    const all = await measure([]);
    expect(all.uids).toHaveLength(10_000);
    expect(all.keysRead).toBe(10_000);
    await store.close();
  });

  it('compacts a closed store to one level without losing an object, an index term or the chain', async () => {
    let store = await openLevelDbStore(storeDir);
    // Several memtable flushes' worth (LevelDB's default write buffer is 4 MiB), so that the store
    // has level-0 tables to compact.
    const big = Buffer.alloc(64 * 1024, 7);
    for (let i = 0; i < 200; i++) {
      await store.commit({ put: [{ ...obj(`c${i}`, `n-${i % 4}`), body: Buffer.concat([big, Buffer.from(String(i))]) }], delete: [], audit: [entry('Create', [`c${i}`])] });
    }
    const head = store.auditHead();
    await store.close();
    const filesAtLevel = async (): Promise<number[]> => {
      const db = new ClassicLevel<Buffer, Buffer>(storeDir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
      await db.open();
      try {
        return [0, 1, 2, 3, 4, 5, 6].map((l) => Number(db.getProperty(`leveldb.num-files-at-level${l}`)));
      } finally {
        await db.close();
      }
    };
    expect((await filesAtLevel())[0]).toBeGreaterThan(0);
    await compactLevelDbStore(storeDir);
    const levels = await filesAtLevel();
    expect(levels[0]).toBe(0);
    expect(levels.filter((n) => n > 0)).toHaveLength(1);
    store = await openLevelDbStore(storeDir);
    expect(store.auditHead()).toEqual(head);
    for (let i = 0; i < 200; i++) expect((await store.get(`c${i}`))?.body.subarray(big.length).toString(), `c${i}`).toBe(String(i));
    expect(await store.locate([{ field: 'name', equals: encodeIndexString('n-1') }])).toHaveLength(50);
    expect(await verifyAuditChain(store.auditRecords())).toMatchObject({ ok: true, count: 200 });
    await store.close();
  });

  it('refuses to compact a directory that holds no store, creating nothing', async () => {
    await expect(compactLevelDbStore(storeDir)).rejects.toThrow(/cannot open store/);
    expect(existsSync(storeDir)).toBe(false);
  });
});
