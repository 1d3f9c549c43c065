// Crash consistency: a child process commits in a loop and is killed with SIGKILL mid-stream.
// After reopening, every acknowledged commit is there, each object has its audit record and vice
// versa (never one without the other), and the chain and the audit head agree.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/audit/chain.js';
import { openLevelDbStore } from '../src/store/leveldb/leveldb-store.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kmipd-crash-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const storeModule = pathToFileURL(path.resolve('src/store/leveldb/leveldb-store.ts')).href;
const child = `
import { openLevelDbStore } from ${JSON.stringify(storeModule)};
const store = await openLevelDbStore(process.argv[2]);
// Four concurrent commits per round, so that crashes also hit grouped batches.
const commit = (uid) => store.commit({
  put: [{ uid, owner: 'alice', revision: 1, body: Buffer.alloc(512, 7), index: [{ field: 'name', value: Buffer.from(uid) }] }],
  delete: [],
  audit: [{ time: new Date().toISOString(), principal: 'alice', operation: 'Create', uids: [uid], result: 'Success' }],
});
for (let i = 0; ; i++) {
  await Promise.all([0, 1, 2, 3].map((j) => commit('c' + (4 * i + j))));
  process.stdout.write(4 * i + 3 + '\\n');
}
`;

it('keeps objects and audit records together across a SIGKILL', async () => {
  const script = path.join(dir, 'writer.mts');
  await writeFile(script, child);
  const storeDir = path.join(dir, 'store');
  // node --import tsx, not the tsx binary: that one forks, and SIGKILL must hit the writer itself.
  const proc = spawn(process.execPath, ['--import', 'tsx', script, storeDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let acknowledged = -1;
  await new Promise<void>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('exit', () => resolve());
    proc.stdout.on('data', (chunk: Buffer) => {
      const lines = chunk.toString().trim().split('\n');
      acknowledged = Number(lines.at(-1));
      if (acknowledged >= 400) proc.kill('SIGKILL');
    });
  });
  expect(acknowledged).toBeGreaterThanOrEqual(400);

  const store = await openLevelDbStore(storeDir);
  expect(store.openCheck.consistent).toBe(true);
  const verdict = await verifyAuditChain(store.auditRecords(), { expectedHead: store.openCheck.stored! });
  expect(verdict).toMatchObject({ ok: true });
  const count = verdict.ok ? verdict.count : 0;
  // Every commit the child saw resolve is durable (records are numbered from 1).
  expect(count).toBeGreaterThanOrEqual(acknowledged + 1);
  const audited: string[] = [];
  for await (const r of store.auditRecords()) audited.push(...r.uids);
  const objects = await store.locate([]);
  expect(objects.sort()).toEqual(audited.sort());
  for (const uid of audited) expect(await store.locate([{ field: 'name', equals: Buffer.from(uid) }])).toEqual([uid]);
  await store.close();
});
