/**
 * kmipd end to end, with the real parts: mutual TLS on loopback, SoftHSM2 and LevelDB in a temp
 * data dir, the composition root (src/app.ts) as `npm start` uses it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/audit/chain.js';
import { CryptographicAlgorithm, ObjectType, Operation, ResultReason, ResultStatus, Tag } from '../src/kmip/generated/index.js';
import { openLevelDbStore } from '../src/store/leveldb/leveldb-store.js';
import { child, enm, int, struct, text } from '../src/ttlv/build.js';
import { parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { startTestKmipd, testPki } from './helpers/kmipd.js';
import { KmipTestClient, loadClientCerts, type ClientCerts } from './helpers/tls-client.js';

const work = mkdtempSync(join(tmpdir(), 'kmipd-e2e-'));
const certDir = join(work, 'certs');

const boot = () => startTestKmipd({ dataDir: join(work, 'data'), certDir });

const createAes = request([1, 2], [
  {
    operation: Operation.Create,
    payload: [
      enm(Tag.ObjectType, ObjectType.SymmetricKey),
      struct(Tag.TemplateAttribute, [
        struct(Tag.Attribute, [text(Tag.AttributeName, 'Cryptographic Algorithm'), enm(Tag.AttributeValue, CryptographicAlgorithm.AES)]),
        struct(Tag.Attribute, [text(Tag.AttributeName, 'Cryptographic Length'), int(Tag.AttributeValue, 256)]),
      ]),
    ],
  },
]);
const getReq = (uid: string) => request([1, 2], [{ operation: Operation.Get, payload: [text(Tag.UniqueIdentifier, uid)] }]);
const keyBytes = (resp: Buffer | undefined): Buffer => {
  const item = parseResponse(resp!).items[0]!;
  expect(item.status).toBe(ResultStatus.Success);
  const kv = child(child(child(item.payload!, Tag.SymmetricKey)!, Tag.KeyBlock)!, Tag.KeyValue)!;
  return Buffer.from(child(kv, Tag.KeyMaterial)!.value as Uint8Array);
};

describe('kmipd end to end (TLS + SoftHSM2 + LevelDB)', () => {
  let certs: ClientCerts;
  let uid: string;
  let key: Buffer;

  beforeAll(() => {
    testPki(certDir, ['alice', 'bob']);
    certs = loadClientCerts(certDir, 'alice');
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('creates, gets and keeps a key across a restart; the audit chain verifies', async () => {
    let s = await boot();
    let c = await KmipTestClient.connect(s.port, certs);
    const created = parseResponse((await c.roundTrip(createAes))!);
    expect(created.items[0]!.status).toBe(ResultStatus.Success);
    uid = payloadText(created.items[0]!, Tag.UniqueIdentifier)!;
    key = keyBytes(await c.roundTrip(getReq(uid)));
    expect(key.length).toBe(32);
    // bob cannot read alice's key
    const bob = await KmipTestClient.connect(s.port, loadClientCerts(certDir, 'bob'));
    expect(parseResponse((await bob.roundTrip(getReq(uid)))!).items[0]!.reason).toBe(ResultReason.ItemNotFound);
    bob.close();
    c.close();
    await s.close();

    s = await boot();
    c = await KmipTestClient.connect(s.port, certs);
    expect(keyBytes(await c.roundTrip(getReq(uid))).equals(key)).toBe(true);
    c.close();
    await s.close();

    const store = await openLevelDbStore(join(work, 'data', 'store'));
    try {
      const v = await verifyAuditChain(store.auditRecords());
      expect(v.ok).toBe(true);
      if (v.ok) expect(v.count).toBe(4);
    } finally {
      await store.close();
    }
  });

  it('stores no plaintext key bytes in LevelDB', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = join(work, 'data', 'store');
    for (const f of readdirSync(dir)) {
      expect(readFileSync(join(dir, f)).includes(key), `${f} holds the key in the clear`).toBe(false);
    }
  });

  describe('malformed input against the live server', () => {
    let s: Awaited<ReturnType<typeof boot>>;
    beforeAll(async () => {
      s = await boot();
    });
    afterAll(async () => s.close());

    const discover = request([1, 2], [{ operation: Operation.DiscoverVersions }]);
    const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');
    // [number, what, bytes, expect: 'answer' = Invalid Message on an open connection, 'close' = framing lost]
    const table: [number, string, Buffer, 'answer' | 'close'][] = [
      [1, 'unknown type byte inside a framed message', hex('420078 01 00000010 420077 0C 00000008 0000000000000000'), 'answer'],
      [2, 'child longer than its parent', hex('420078 01 00000010 420077 01 00000020 0000000000000000'), 'answer'],
      [3, 'Response Message sent as a request', hex('42007B 01 00000000'), 'answer'],
      [4, 'request without a header', hex('420078 01 00000000'), 'answer'],
      [5, 'non-zero padding', hex('420078 01 00000010 42000D 02 00000004 00000001 00000001'), 'answer'],
      [6, 'invalid UTF-8 text', hex('420078 01 00000010 42007D 07 00000002 C328000000000000'), 'answer'],
      [7, 'top-level tag outside 0x42/0x54', hex('430078 01 00000000'), 'close'],
      [8, 'top-level item not a structure', hex('420078 02 00000004 0000000100000000'), 'close'],
      [9, 'declared length over the limit', hex('420078 01 7FFFFFF8'), 'close'],
      [10, 'length not a multiple of 8', hex('420078 01 00000003 000000'), 'close'],
    ];
    for (const [n, what, bytes, expectation] of table) {
      it(`#${n} ${what}: ${expectation === 'answer' ? 'Invalid Message, connection stays usable' : 'connection closed'}; server keeps serving`, async () => {
        const c = await KmipTestClient.connect(s.port, certs);
        const resp = await c.roundTrip(bytes);
        if (expectation === 'answer') {
          expect(resp).toBeDefined();
          const r = parseResponse(resp!);
          expect(r.items[0]!.status).toBe(ResultStatus.OperationFailed);
          expect(r.items[0]!.reason).toBe(ResultReason.InvalidMessage);
          const ok = parseResponse((await c.roundTrip(discover))!);
          expect(ok.items[0]!.status).toBe(ResultStatus.Success);
        } else {
          expect(resp).toBeUndefined();
        }
        c.close();
        const fresh = await KmipTestClient.connect(s.port, certs);
        expect(parseResponse((await fresh.roundTrip(discover))!).items[0]!.status).toBe(ResultStatus.Success);
        fresh.close();
      });
    }

    it('a message split into 1-byte writes is answered', async () => {
      const c = await KmipTestClient.connect(s.port, certs);
      const p = c.next();
      for (const b of discover) {
        c.socket.write(Buffer.of(b));
      }
      expect(parseResponse((await p)!).items[0]!.status).toBe(ResultStatus.Success);
      c.close();
    });

    it('two requests in one write are answered in order', async () => {
      const c = await KmipTestClient.connect(s.port, certs);
      const r1 = c.next();
      c.socket.write(Buffer.concat([discover, createAes]));
      expect(parseResponse((await r1)!).items[0]!.operation).toBe(Operation.DiscoverVersions);
      expect(parseResponse((await c.next())!).items[0]!.operation).toBe(Operation.Create);
      c.close();
    });
  });
});
