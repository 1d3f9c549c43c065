/**
 * Attribute operations against a live kmipd (mutual TLS, SoftHSM2, LevelDB): custom attributes of
 * every item type, as NetApp ONTAP sends a dozen `x-NETAPP-*`, survive the LevelDB round trip and
 * a restart with their exact types, read back at 1.x by name and at 2.x as vendor "x" attributes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/audit/chain.js';
import { CryptographicAlgorithm, ObjectType, Operation, ResultStatus, State, Tag } from '../src/kmip/generated/index.js';
import { openLevelDbStore } from '../src/store/leveldb/leveldb-store.js';
import { bool, bytes, child, children, dateTime, enm, int, interval, long, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { startTestKmipd, testPki } from './helpers/kmipd.js';
import { KmipTestClient, loadClientCerts, type ClientCerts } from './helpers/tls-client.js';

const work = mkdtempSync(join(tmpdir(), 'kmipd-attrs-'));
const certDir = join(work, 'certs');
const boot = () => startTestKmipd({ dataDir: join(work, 'data'), certDir });
const attr = (name: string, value: TtlvNode) => struct(Tag.Attribute, [text(Tag.AttributeName, name), { ...value, tag: Tag.AttributeValue } as TtlvNode]);

const CUSTOM: [string, TtlvNode][] = [
  ['x-NETAPP-ClusterId', text(Tag.AttributeValue, 'cluster-1')],
  ['x-NETAPP-KeyIdHex', bytes(Tag.AttributeValue, Uint8Array.of(0xde, 0xad, 0xbe, 0xef))],
  ['x-NETAPP-Generation', int(Tag.AttributeValue, 3)],
  ['x-NETAPP-Serial', long(Tag.AttributeValue, 1n << 40n)],
  ['x-NETAPP-Created', dateTime(Tag.AttributeValue, 1_700_000_000n)],
  ['x-NETAPP-Primary', bool(Tag.AttributeValue, true)],
  ['x-NETAPP-Kind', enm(Tag.AttributeValue, 2)],
  ['x-NETAPP-Ttl', interval(Tag.AttributeValue, 86_400)],
];

describe('attribute operations live (TLS + SoftHSM2 + LevelDB)', () => {
  let certs: ClientCerts;
  beforeAll(() => {
    testPki(certDir, ['alice']);
    certs = loadClientCerts(certDir, 'alice');
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('custom attributes of every type persist across a restart; Modify activates; the audit chain verifies', async () => {
    let s = await boot();
    let c = await KmipTestClient.connect(s.port, certs);
    const call = async (ver: [number, number], op: number, payload: TtlvNode[]): Promise<ItemResult> => {
      const r = parseResponse((await c.roundTrip(request(ver, [{ operation: op, payload }])))!).items[0]!;
      expect(r.status, r.message).toBe(ResultStatus.Success);
      return r;
    };
    const created = await call([1, 4], Operation.Create, [
      enm(Tag.ObjectType, ObjectType.SymmetricKey),
      struct(Tag.TemplateAttribute, [
        attr('Cryptographic Algorithm', enm(0, CryptographicAlgorithm.AES)),
        attr('Cryptographic Length', int(0, 256)),
        attr('x-NETAPP-ClusterId', text(0, 'cluster-1')),
      ]),
    ]);
    const uid = payloadText(created, Tag.UniqueIdentifier)!;
    const u = text(Tag.UniqueIdentifier, uid);
    for (const [name, value] of CUSTOM.slice(1)) await call([1, 4], Operation.AddAttribute, [u, attr(name, value)]);
    await call([1, 4], Operation.ModifyAttribute, [u, attr('Activation Date', dateTime(0, BigInt(Math.floor(Date.now() / 1000))))]);
    c.close();
    await s.close();

    s = await boot();
    c = await KmipTestClient.connect(s.port, certs);
    const v1 = await call([1, 4], Operation.GetAttributes, [u, ...CUSTOM.map(([n]) => text(Tag.AttributeName, n)), text(Tag.AttributeName, 'State')]);
    const got = children(v1.payload!, Tag.Attribute).map((a) => [child(a, Tag.AttributeName)!.value, child(a, Tag.AttributeValue)]);
    expect(got).toEqual([...CUSTOM, ['State', enm(Tag.AttributeValue, State.Active)]]);
    const v2 = await call([2, 1], Operation.GetAttributes, [u, struct(Tag.AttributeReference, [text(Tag.VendorIdentification, 'x'), text(Tag.AttributeName, 'NETAPP-Serial')])]);
    expect(child(v2.payload!, Tag.Attributes)).toEqual(
      struct(Tag.Attributes, [struct(Tag.Attribute, [text(Tag.VendorIdentification, 'x'), text(Tag.AttributeName, 'NETAPP-Serial'), long(Tag.AttributeValue, 1n << 40n)])]),
    );
    await call([2, 1], Operation.DeleteAttribute, [u, struct(Tag.AttributeReference, [text(Tag.VendorIdentification, 'x'), text(Tag.AttributeName, 'NETAPP-Ttl')])]);
    const list = await call([1, 4], Operation.GetAttributeList, [u]);
    const names = children(list.payload!, Tag.AttributeName).map((n) => n.value);
    expect(names).toContain('x-NETAPP-Serial');
    expect(names).not.toContain('x-NETAPP-Ttl');
    c.close();
    await s.close();

    const store = await openLevelDbStore(join(work, 'data', 'store'));
    try {
      const v = await verifyAuditChain(store.auditRecords());
      expect(v.ok).toBe(true);
      if (v.ok) expect(v.count).toBe(1 + (CUSTOM.length - 1) + 1 + 2 + 2);
    } finally {
      await store.close();
    }
  });
});
