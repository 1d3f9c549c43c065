// The ObjectStore contract, run against the LevelDB store (real LevelDB in a temp dir) and the
// in-memory store, so that tests of other layers against the memory store mean something.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/audit/chain.js';
import type { AuditEntry } from '../src/audit/record.js';
import { ObjectNotFoundError, StaleRevisionError, InvalidChangesError, StoreClosedError } from '../src/store/errors.js';
import { encodeIndexDate, encodeIndexString, encodeIndexUint32 } from '../src/store/index-keys.js';
import type { InspectableStore } from '../src/store/kv-object-store.js';
import { openLevelDbStore } from '../src/store/leveldb/leveldb-store.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { IndexTerm, StoredObject } from '../src/store/object-store.js';

const str = encodeIndexString;
const entry = (operation: string, uids: string[]): AuditEntry => ({
  time: '2026-01-01T00:00:00.000Z',
  principal: 'alice',
  operation,
  uids,
  result: 'Success',
});
const obj = (uid: string, index: IndexTerm[], revision = 1): StoredObject => ({ uid, owner: 'alice', revision, body: Buffer.from(`body-${uid}`), index });
const name = (n: string | Uint8Array): IndexTerm => ({ field: 'name', value: typeof n === 'string' ? str(n) : n });

const backends: Array<[string, () => Promise<{ store: InspectableStore; cleanup: () => Promise<void> }>]> = [
  [
    'leveldb',
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'kmipd-store-'));
      const store = await openLevelDbStore(path.join(dir, 'store'));
      return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  ],
  ['memory', () => Promise.resolve({ store: createMemoryStore(), cleanup: () => Promise.resolve() })],
];

describe.each(backends)('ObjectStore contract (%s)', (_name, open) => {
  let store: InspectableStore;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await open());
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  it('puts, gets and deletes objects, sealing one audit record per entry', async () => {
    await store.commit({ put: [obj('a', [name('alpha')])], delete: [], audit: [entry('Create', ['a'])] });
    expect(await store.get('a')).toMatchObject({ uid: 'a', owner: 'alice', revision: 1 });
    expect(Buffer.from((await store.get('a'))!.body).toString()).toBe('body-a');
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('')).toBeUndefined();
    await store.commit({ put: [], delete: ['a'], audit: [entry('Destroy', ['a'])] });
    expect(await store.get('a')).toBeUndefined();
    expect(await store.locate([{ field: 'name', equals: str('alpha') }])).toEqual([]);
    expect(await verifyAuditChain(store.auditRecords())).toMatchObject({ ok: true, count: 2 });
    expect(store.auditHead()?.seq).toBe(2);
    const fromTwo = [];
    for await (const r of store.auditRecords(2)) fromTwo.push(r.operation);
    expect(fromTwo).toEqual(['Destroy']);
  });

  it('replaces index terms on update: old terms gone, new ones present, shared ones kept', async () => {
    const state = (n: number): IndexTerm => ({ field: 'state', value: encodeIndexUint32(n) });
    await store.commit({ put: [obj('k', [name('old'), state(1), name('both')])], delete: [], audit: [] });
    await store.commit({ put: [obj('k', [name('new'), state(2), name('both')], 2)], delete: [], audit: [] });
    expect(await store.locate([{ field: 'name', equals: str('old') }])).toEqual([]);
    expect(await store.locate([{ field: 'state', equals: encodeIndexUint32(1) }])).toEqual([]);
    expect(await store.locate([{ field: 'name', equals: str('new') }])).toEqual(['k']);
    expect(await store.locate([{ field: 'name', equals: str('both') }])).toEqual(['k']);
    expect(await store.locate([{ field: 'state', equals: encodeIndexUint32(2) }])).toEqual(['k']);
  });

  it('rejects a stale revision, a delete of a missing object and contradictory changes, writing nothing', async () => {
    await store.commit({ put: [obj('k', [name('v1')], 3)], delete: [], audit: [entry('Create', ['k'])] });
    const head = store.auditHead();
    await expect(store.commit({ put: [obj('k', [name('v2')], 3)], delete: [], audit: [entry('Modify', ['k'])] })).rejects.toThrow(StaleRevisionError);
    await expect(store.commit({ put: [obj('z', [name('z')])], delete: ['nope'], audit: [entry('Destroy', ['nope'])] })).rejects.toThrow(ObjectNotFoundError);
    await expect(store.commit({ put: [obj('k', [], 4)], delete: ['k'], audit: [] })).rejects.toThrow(InvalidChangesError);
    expect(await store.get('z')).toBeUndefined();
    expect(await store.locate([{ field: 'name', equals: str('v2') }])).toEqual([]);
    expect(store.auditHead()).toEqual(head);
    expect(await verifyAuditChain(store.auditRecords())).toMatchObject({ ok: true, count: 1 });
  });

  it('locates by equality, date range, AND of fields, with offset and limit, in uid order', async () => {
    const date = (s: number): IndexTerm => ({ field: 'initialDate', value: encodeIndexDate(BigInt(s)) });
    const type = (t: string): IndexTerm => ({ field: 'objectType', value: str(t) });
    const objs = [
      obj('u05', [type('SymmetricKey'), date(500), name('x')]),
      obj('u01', [type('SymmetricKey'), date(100), name('y')]),
      obj('u03', [type('PrivateKey'), date(300), name('x')]),
      obj('u02', [type('SymmetricKey'), date(-200), name('x')]),
      obj('u04', [type('SymmetricKey'), date(400)]),
    ];
    await store.commit({ put: objs, delete: [], audit: [] });
    const sym = { field: 'objectType', equals: str('SymmetricKey') };
    expect(await store.locate([sym])).toEqual(['u01', 'u02', 'u04', 'u05']);
    expect(await store.locate([{ field: 'initialDate', from: encodeIndexDate(-200n), to: encodeIndexDate(400n) }])).toEqual(['u01', 'u02', 'u03', 'u04']);
    expect(await store.locate([{ field: 'initialDate', from: encodeIndexDate(101n) }])).toEqual(['u03', 'u04', 'u05']);
    expect(await store.locate([{ field: 'initialDate', to: encodeIndexDate(0n) }])).toEqual(['u02']);
    expect(await store.locate([{ field: 'initialDate', from: encodeIndexDate(5n), to: encodeIndexDate(1n) }])).toEqual([]);
    expect(await store.locate([sym, { field: 'name', equals: str('x') }])).toEqual(['u02', 'u05']);
    expect(await store.locate([sym, { field: 'name', equals: str('x') }, { field: 'initialDate', from: encodeIndexDate(0n) }])).toEqual(['u05']);
    expect(await store.locate([{ field: 'initialDate', from: encodeIndexDate(0n) }, { field: 'name' }])).toEqual(['u01', 'u03', 'u05']);
    expect(await store.locate([sym], { offset: 1, limit: 2 })).toEqual(['u02', 'u04']);
    expect(await store.locate([sym], { offset: 10 })).toEqual([]);
    expect(await store.locate([sym], { limit: 0 })).toEqual([]);
    expect(await store.locate([])).toEqual(['u01', 'u02', 'u03', 'u04', 'u05']);
    expect(await store.locate([], { offset: 3, limit: 5 })).toEqual(['u04', 'u05']);
    expect(await store.locate([{ field: 'initialDate', from: encodeIndexDate(0n) }], { offset: 1, limit: 1 })).toEqual(['u03']);
    await expect(store.locate([sym], { offset: -1 })).rejects.toThrow(RangeError);
  });

  it('keeps values that are prefixes of each other or contain 0x00 / 0xFF apart', async () => {
    const values: Array<[string, Buffer]> = [
      ['e', Buffer.alloc(0)],
      ['a', Buffer.from('a')],
      ['a0', Buffer.from([0x61, 0x00])],
      ['a00', Buffer.from([0x61, 0x00, 0x00])],
      ['a01', Buffer.from([0x61, 0x00, 0x01])],
      ['aff', Buffer.from([0x61, 0xff])],
      ['ab', Buffer.from('ab')],
      ['z0', Buffer.from([0x00])],
      ['zf', Buffer.from([0xff, 0xff])],
    ];
    await store.commit({ put: values.map(([uid, v]) => obj(uid, [name(v)])), delete: [], audit: [] });
    for (const [uid, v] of values) expect(await store.locate([{ field: 'name', equals: v }])).toEqual([uid]);
    // a <= v <= a\0\0 holds a, a\0, a\0\0 but not a\0\x01 or ab.
    expect(await store.locate([{ field: 'name', from: Buffer.from('a'), to: Buffer.from([0x61, 0, 0]) }])).toEqual(['a', 'a0', 'a00']);
    expect(await store.locate([{ field: 'name', from: Buffer.from([0x61, 0xff]) }])).toEqual(['aff', 'zf']);
    expect(await store.locate([{ field: 'name', to: Buffer.from([0x00]) }])).toEqual(['e', 'z0']);
    // A uid that looks like an escaped value stays a uid.
    await store.commit({ put: [obj('\u0001x', [name('a')])], delete: [], audit: [] });
    expect(await store.locate([{ field: 'name', equals: Buffer.from('a') }])).toEqual(['\u0001x', 'a']);
  });

  it('closes idempotently and refuses use afterwards', async () => {
    await store.close();
    await store.close();
    await expect(store.get('a')).rejects.toThrow(StoreClosedError);
    await expect(store.commit({ put: [], delete: [], audit: [entry('x', [])] })).rejects.toThrow(StoreClosedError);
  });

  it('lets commits accepted before close finish', async () => {
    const pending = Array.from({ length: 5 }, (_, i) => store.commit({ put: [obj(`p${i}`, [])], delete: [], audit: [entry('Create', [`p${i}`])] }));
    await store.close();
    await expect(Promise.all(pending)).resolves.toBeDefined();
  });

  it('serialises concurrent commits into one gap-free chain', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.commit({ put: [obj(`c${i}`, [name('c')])], delete: [], audit: [entry('Create', [`c${i}`])] })));
    expect(await verifyAuditChain(store.auditRecords())).toMatchObject({ ok: true, count: 20 });
    expect(await store.locate([{ field: 'name', equals: str('c') }])).toHaveLength(20);
  });
});
