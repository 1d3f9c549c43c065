// Group commit: concurrent commits share one synchronous batch, yet each stays all-or-nothing
// and sees the state its predecessors in the group leave.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/audit/chain.js';
import type { AuditEntry } from '../src/audit/record.js';
import { CommitQueue } from '../src/store/commit-queue.js';
import { ObjectNotFoundError, StaleRevisionError } from '../src/store/errors.js';
import { encodeIndexString } from '../src/store/index-keys.js';
import { openKvObjectStore } from '../src/store/kv-object-store.js';
import { openLevelDbKv, openLevelDbStore } from '../src/store/leveldb/leveldb-store.js';
import type { StoredObject } from '../src/store/object-store.js';

const entry = (operation: string, uids: string[]): AuditEntry => ({ time: '2026-01-01T00:00:00.000Z', principal: 'alice', operation, uids, result: 'Success' });
const obj = (uid: string, name: string, revision = 1): StoredObject => ({
  uid,
  owner: 'alice',
  revision,
  body: Buffer.from(name),
  index: [{ field: 'name', value: encodeIndexString(name) }],
});
const byName = (n: string) => [{ field: 'name', equals: encodeIndexString(n) }];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kmipd-group-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('group commit', () => {
  it('writes commits submitted together in one batch, in submission order', async () => {
    const store = await openLevelDbStore(path.join(dir, 'store'));
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.commit({ put: [obj(`k${i}`, 'n')], delete: [], audit: [entry('Create', [`k${i}`])] })));
    expect(store.metrics).toMatchObject({ commits: 20, batches: 1 });
    const uids: string[] = [];
    for await (const r of store.auditRecords()) uids.push(...r.uids);
    expect(uids).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`));
    expect(await verifyAuditChain(store.auditRecords())).toMatchObject({ ok: true, count: 20 });
    await store.close();
  });

  it('lets each member see its predecessors, and rejects an invalid member alone', async () => {
    const store = await openLevelDbStore(path.join(dir, 'store'));
    await store.commit({ put: [obj('old', 'old')], delete: [], audit: [] });
    const results = await Promise.allSettled([
      store.commit({ put: [obj('x', 'x1')], delete: [], audit: [entry('Create', ['x'])] }),
      store.commit({ put: [obj('x', 'x2', 2)], delete: [], audit: [entry('Modify', ['x'])] }),
      // Stale: revision 2 is already taken by the previous member of the group.
      store.commit({ put: [obj('x', 'x-stale', 2)], delete: [], audit: [entry('Modify', ['x'])] }),
      store.commit({ put: [], delete: ['old'], audit: [entry('Destroy', ['old'])] }),
      store.commit({ put: [], delete: ['old'], audit: [entry('Destroy', ['old'])] }),
      store.commit({ put: [obj('old', 'reborn')], delete: [], audit: [entry('Create', ['old'])] }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(StaleRevisionError);
    expect((results[4] as PromiseRejectedResult).reason).toBeInstanceOf(ObjectNotFoundError);
    expect(store.metrics.batches).toBe(2);
    expect(await store.get('x')).toMatchObject({ revision: 2 });
    expect(await store.locate(byName('x1'))).toEqual([]);
    expect(await store.locate(byName('x2'))).toEqual(['x']);
    expect(await store.locate(byName('x-stale'))).toEqual([]);
    expect(await store.locate(byName('old'))).toEqual([]);
    expect(await store.locate(byName('reborn'))).toEqual(['old']);
    const ops: string[] = [];
    for await (const r of store.auditRecords()) ops.push(r.operation);
    expect(ops).toEqual(['Create', 'Modify', 'Destroy', 'Create']);
    expect(await verifyAuditChain(store.auditRecords())).toMatchObject({ ok: true, count: 4 });
    await store.close();
  });

  it('rejects every member when the batch write fails, leaving the head and the data as they were', async () => {
    const kv = await openLevelDbKv(path.join(dir, 'store'));
    let fail = false;
    const store = await openKvObjectStore({ ...kv, write: (ops) => (fail ? Promise.reject(new Error('EIO')) : kv.write(ops)) });
    await store.commit({ put: [obj('a', 'a')], delete: [], audit: [entry('Create', ['a'])] });
    const head = store.auditHead();
    fail = true;
    const results = await Promise.allSettled([
      store.commit({ put: [obj('b', 'b')], delete: [], audit: [entry('Create', ['b'])] }),
      store.commit({ put: [], delete: ['a'], audit: [entry('Destroy', ['a'])] }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(store.auditHead()).toEqual(head);
    fail = false;
    expect(await store.get('b')).toBeUndefined();
    expect(await store.locate(byName('a'))).toEqual(['a']);
    await store.commit({ put: [], delete: ['a'], audit: [entry('Destroy', ['a'])] });
    expect(await verifyAuditChain(store.auditRecords())).toMatchObject({ ok: true, count: 2 });
    await store.close();
  });

  it('starts the next batch before answering the commits of the batch just made durable', async () => {
    // Answering (encoding, TLS writes) then overlaps the next fsync instead of sitting between
    // two batches; the batches themselves still run one after the other.
    const kv = await openLevelDbKv(path.join(dir, 'store'));
    const events: string[] = [];
    let n = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const queue = new CommitQueue(
      {
        ...kv,
        write: async (ops) => {
          const i = ++n;
          events.push(`write ${i}`);
          if (i === 1) await gate;
          await kv.write(ops);
          events.push(`durable ${i}`);
        },
      },
      undefined,
    );
    const first = queue.submit({ put: [obj('a', 'a')], delete: [], audit: [entry('Create', ['a'])] }).then(() => events.push('answered create'));
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['write 1']);
    const second = queue.submit({ put: [], delete: [], audit: [entry('Get', ['a'])] }).then(() => events.push('answered get'));
    release();
    await Promise.all([first, second]);
    expect(events).toEqual(['write 1', 'durable 1', 'write 2', 'answered create', 'durable 2', 'answered get']);
    expect(queue.head?.seq).toBe(2);
    await kv.close();
  });

  it('serves repeated reads from the read cache, and never an object older than the last durable write', async () => {
    const store = await openLevelDbStore(path.join(dir, 'store'));
    await store.commit({ put: [obj('k', 'v1')], delete: [], audit: [] });
    expect(Buffer.from((await store.get('k'))!.body).toString()).toBe('v1');
    const hits = store.metrics.readCacheHits;
    expect((await store.get('k'))?.revision).toBe(1);
    expect(store.metrics.readCacheHits).toBe(hits + 1);
    // Reads while the next version is being written see one version or the other; once the
    // commit has resolved, only the new one.
    const writing = store.commit({ put: [obj('k', 'v2', 2)], delete: [], audit: [entry('Modify', ['k'])] });
    const during = await Promise.all([store.get('k'), store.get('k')]);
    for (const o of during) expect([1, 2]).toContain(o?.revision);
    await writing;
    expect(Buffer.from((await store.get('k'))!.body).toString()).toBe('v2');
    // A rejected commit changes nothing, cached or stored.
    await expect(store.commit({ put: [obj('k', 'stale', 2)], delete: [], audit: [] })).rejects.toBeInstanceOf(StaleRevisionError);
    expect((await store.get('k'))?.revision).toBe(2);
    await store.commit({ put: [], delete: ['k'], audit: [entry('Destroy', ['k'])] });
    expect(await store.get('k')).toBeUndefined();
    await store.close();
    // What was read from the cache is what is stored.
    const reopened = await openLevelDbStore(path.join(dir, 'store'));
    expect(await reopened.get('k')).toBeUndefined();
    await reopened.close();
  });
});
