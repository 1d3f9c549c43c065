import { describe, expect, it } from 'vitest';
import { createMemoryStore } from './memory-store.js';
import type { StoredObject } from './object-store.js';
import { UnitOfWork } from './unit-of-work.js';

const obj = (uid: string, revision = 1): StoredObject => ({ uid, owner: 'alice', revision, body: Buffer.from(uid), index: [] });
const audit = { time: '2026-01-01T00:00:00.000Z', principal: 'alice', operation: 'Create', uids: [], result: 'Success' };

describe('UnitOfWork', () => {
  it('reads its own staged puts and deletes before the store', async () => {
    const store = createMemoryStore();
    await store.commit({ put: [obj('a')], delete: [], audit: [] });
    const uow = new UnitOfWork(store);
    expect(await uow.get('a')).toMatchObject({ revision: 1 });
    uow.put(obj('a', 2));
    expect(await uow.get('a')).toMatchObject({ revision: 2 });
    uow.delete('a');
    expect(await uow.get('a')).toBeUndefined();
    expect(await store.get('a')).toMatchObject({ revision: 1 }); // nothing written before commit
    expect(uow.changes()).toEqual({ put: [], delete: ['a'], audit: [] });
  });

  it('drops an object created and deleted within the unit', async () => {
    const store = createMemoryStore();
    const uow = new UnitOfWork(store);
    uow.put(obj('new'));
    uow.delete('new');
    expect(await uow.get('new')).toBeUndefined();
    expect(uow.isEmpty()).toBe(true);
    await store.commit(uow.changes()); // and committing it is a no-op, not a failed delete
    expect(store.metrics.commits).toBe(0);
  });

  it('collects audit entries in order and commits everything at once', async () => {
    const store = createMemoryStore();
    const uow = new UnitOfWork(store);
    expect(uow.isEmpty()).toBe(true);
    uow.put(obj('x'));
    uow.audit({ ...audit, uids: ['x'] });
    uow.audit({ ...audit, operation: 'Activate', uids: ['x'] });
    expect(uow.isEmpty()).toBe(false);
    await store.commit(uow.changes());
    expect(await store.get('x')).toMatchObject({ uid: 'x' });
    const ops: string[] = [];
    for await (const r of store.auditRecords()) ops.push(`${r.seq}:${r.operation}`);
    expect(ops).toEqual(['1:Create', '2:Activate']);
  });
});
