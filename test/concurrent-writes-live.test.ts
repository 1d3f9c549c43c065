/**
 * Concurrent writes to one object over many TLS connections (real server, LevelDB, SoftHSM2).
 * The store lets only one of two racing commits of an object through (its revision check); the
 * dispatcher re-runs the loser on the new state (src/dispatch/batch.ts), so every request is
 * answered, connections stay open, nothing is lost or counted twice, and the audit chain holds one
 * record per answered item.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyDataDir } from '../src/cli/audit-verify.js';
import { CryptographicAlgorithm, ObjectType, Operation, ResultStatus, Tag } from '../src/kmip/generated/index.js';
import { CryptographicUsageMask as M } from '../src/kmip/generated/masks.js';
import { child, children, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { type TestKmipd, startTestKmipd, testPki } from './helpers/kmipd.js';
import { expectSuccess, requestAttributes } from './helpers/live.js';
import { KmipTestClient, loadClientCerts } from './helpers/tls-client.js';

type V = [number, number];
const CONNECTIONS = 8;
const work = mkdtempSync(join(tmpdir(), 'kmipd-concurrent-'));
const dataDir = join(work, 'data');
let server: TestKmipd | undefined;
let conns: KmipTestClient[] = [];
let answered = 0;

beforeAll(async () => {
  const certDir = join(work, 'certs');
  testPki(certDir, ['alice']);
  server = await startTestKmipd({ dataDir, certDir });
  conns = await Promise.all(Array.from({ length: CONNECTIONS }, () => KmipTestClient.connect(server!.port, loadClientCerts(certDir, 'alice'))));
}, 60_000);
afterAll(async () => {
  for (const c of conns) c.close();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

async function send(c: KmipTestClient, v: V, operation: number, payload: TtlvNode[]): Promise<ItemResult> {
  const raw = await c.roundTrip(request(v, [{ operation, payload }]));
  expect(raw, 'the server closed the connection').toBeDefined();
  answered += 1;
  return parseResponse(raw!).items[0]!;
}

/** `perConnection` requests on every connection at once, each connection's in sequence. */
async function race(make: (i: number) => [V, number, TtlvNode[]], perConnection: number): Promise<ItemResult[]> {
  const runs = conns.map(async (c, k) => {
    const out: ItemResult[] = [];
    for (let j = 0; j < perConnection; j++) out.push(await send(c, ...make(k * perConnection + j)));
    return out;
  });
  return (await Promise.all(runs)).flat();
}

async function createKey(v: V): Promise<string> {
  const r = expectSuccess(
    await send(conns[0]!, v, Operation.Create, [
      enm(Tag.ObjectType, ObjectType.SymmetricKey),
      requestAttributes(v, [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 256), int(Tag.CryptographicUsageMask, M.Encrypt | M.Decrypt)]),
    ]),
  );
  return payloadText(r, Tag.UniqueIdentifier)!;
}

describe('concurrent writes to one object', () => {
  it('48 racing Add Attribute at 1.4 are all answered and all kept, with distinct indexes', async () => {
    const v: V = [1, 4];
    const uid = await createKey(v);
    const n = 6;
    const results = await race(
      (i) => [v, Operation.AddAttribute, [text(Tag.UniqueIdentifier, uid), struct(Tag.Attribute, [text(Tag.AttributeName, 'x-race'), text(Tag.AttributeValue, `v${i}`)])]],
      n,
    );
    expect(results.filter((r) => r.status !== ResultStatus.Success).map((r) => r.message)).toEqual([]);
    const got = expectSuccess(await send(conns[1]!, v, Operation.GetAttributes, [text(Tag.UniqueIdentifier, uid), text(Tag.AttributeName, 'x-race')]));
    const attrs = children(got.payload!, Tag.Attribute);
    const values = attrs.map((a) => child(a, Tag.AttributeValue)!.value as string).sort();
    expect(values).toEqual(Array.from({ length: CONNECTIONS * n }, (_, i) => `v${i}`).sort());
    const indexes = new Set(attrs.map((a) => Number(child(a, Tag.AttributeIndex)?.value ?? 0)));
    expect(indexes.size).toBe(CONNECTIONS * n);
  });

  it('racing first Gets of a Fresh key at 2.1 all succeed, and Fresh ends False', async () => {
    const v: V = [2, 1];
    const uid = await createKey(v);
    const results = await race(() => [v, Operation.Get, [text(Tag.UniqueIdentifier, uid)]], 3);
    expect(results.filter((r) => r.status !== ResultStatus.Success).map((r) => r.message)).toEqual([]);
    const got = expectSuccess(await send(conns[2]!, v, Operation.GetAttributes, [text(Tag.UniqueIdentifier, uid)]));
    expect(child(child(got.payload!, Tag.Attributes)!, Tag.Fresh)?.value).toBe(false);
  });

  it('racing Activate and Add Attribute on one key are all answered; every added Object Group is kept', async () => {
    const v: V = [2, 1];
    const uid = await createKey(v);
    const results = await race(
      (i) =>
        i % 2 === 0
          ? [v, Operation.Activate, [text(Tag.UniqueIdentifier, uid)]]
          : [v, Operation.AddAttribute, [text(Tag.UniqueIdentifier, uid), struct(Tag.NewAttribute, [text(Tag.ObjectGroup, `g${i}`)])]],
      4,
    );
    // The first Activate wins; later ones find the key Active (Wrong Key Lifecycle State at 2.1).
    expect(results.filter((r, i) => i % 2 === 1 && r.status !== ResultStatus.Success)).toEqual([]);
    expect(results.filter((r, i) => i % 2 === 0 && r.status === ResultStatus.Success).length).toBe(1);
    const got = expectSuccess(await send(conns[3]!, v, Operation.GetAttributes, [text(Tag.UniqueIdentifier, uid)]));
    const groups = children(child(got.payload!, Tag.Attributes)!, Tag.ObjectGroup).map((g) => g.value as string).sort();
    expect(groups).toEqual(Array.from({ length: results.length / 2 }, (_, k) => `g${2 * k + 1}`).sort());
  });

  it('the audit chain verifies with one record per answered request', async () => {
    for (const c of conns) c.close();
    conns = [];
    await server?.close();
    server = undefined;
    const v = await verifyDataDir(dataDir);
    expect(v).toMatchObject({ ok: true, count: answered });
  });
});
