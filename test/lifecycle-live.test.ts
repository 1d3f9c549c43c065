/**
 * The lifecycle with the real parts (mutual TLS, SoftHSM2, LevelDB): a Deactivation Date that
 * passes while kmipd is down takes effect after the restart (dates are evaluated lazily, no
 * timers); the Percona pattern (Activate, Revoke, Destroy) at 1.4 and 2.1; archival survives a
 * restart; Re-key and Re-key Key Pair generate new keys in the HSM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CryptographicAlgorithm,
  CryptographicUsageMask,
  ObjectType,
  Operation,
  ResultReason,
  ResultStatus,
  RevocationReasonCode,
  Tag,
} from '../src/kmip/generated/index.js';
import { dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { startTestKmipd, testPki } from './helpers/kmipd.js';
import { KmipTestClient, type ClientCerts, loadClientCerts } from './helpers/tls-client.js';

const work = mkdtempSync(join(tmpdir(), 'kmipd-lifecycle-'));
const certDir = join(work, 'certs');
const boot = () => startTestKmipd({ dataDir: join(work, 'data'), certDir });
const nowSeconds = () => BigInt(Math.floor(Date.now() / 1000));

type Version = [number, number];

function createReq(v: Version, extra: TtlvNode[]): Buffer {
  const nodes = [
    enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
    int(Tag.CryptographicLength, 128),
    int(Tag.CryptographicUsageMask, CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt),
    ...extra,
  ];
  const names: Record<number, string> = {
    [Tag.CryptographicAlgorithm]: 'Cryptographic Algorithm',
    [Tag.CryptographicLength]: 'Cryptographic Length',
    [Tag.CryptographicUsageMask]: 'Cryptographic Usage Mask',
    [Tag.ActivationDate]: 'Activation Date',
    [Tag.DeactivationDate]: 'Deactivation Date',
  };
  const attrs =
    v[0] >= 2
      ? struct(Tag.Attributes, nodes)
      : struct(
          Tag.TemplateAttribute,
          nodes.map((n) => struct(Tag.Attribute, [text(Tag.AttributeName, names[n.tag]!), { ...n, tag: Tag.AttributeValue } as TtlvNode])),
        );
  return request(v, [{ operation: Operation.Create, payload: [enm(Tag.ObjectType, ObjectType.SymmetricKey), attrs] }]);
}

const uidOp = (v: Version, operation: number, uid: string, extra: TtlvNode[] = []) =>
  request(v, [{ operation, payload: [text(Tag.UniqueIdentifier, uid), ...extra] }]);
const revokeReq = (v: Version, uid: string) =>
  uidOp(v, Operation.Revoke, uid, [struct(Tag.RevocationReason, [enm(Tag.RevocationReasonCode, RevocationReasonCode.CessationOfOperation)])]);

describe('lifecycle end to end (TLS + SoftHSM2 + LevelDB)', () => {
  let certs: ClientCerts;
  beforeAll(() => {
    testPki(certDir, ['alice']);
    certs = loadClientCerts(certDir, 'alice');
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  async function rt(c: KmipTestClient, msg: Buffer): Promise<ItemResult> {
    return parseResponse((await c.roundTrip(msg))!).items[0]!;
  }
  const expectOk = (r: ItemResult) => {
    expect(r.message, `reason ${r.reason}`).toBeUndefined();
    expect(r.status).toBe(ResultStatus.Success);
    return r;
  };

  it('a Deactivation Date that passes while the server is down applies after the restart', async () => {
    const v: Version = [2, 1];
    const v14: Version = [1, 4];
    let s = await boot();
    let c = await KmipTestClient.connect(s.port, certs);
    const deact = nowSeconds() + 2n;
    const uid = payloadText(
      expectOk(await rt(c, createReq(v, [dateTime(Tag.ActivationDate, nowSeconds() - 10n), dateTime(Tag.DeactivationDate, deact)]))),
      Tag.UniqueIdentifier,
    )!;
    // Active now: a lease is given, Destroy is refused.
    expectOk(await rt(c, uidOp(v, Operation.ObtainLease, uid)));
    expect((await rt(c, uidOp(v, Operation.Destroy, uid))).reason).toBe(ResultReason.WrongKeyLifecycleState);
    expect((await rt(c, uidOp(v14, Operation.Destroy, uid))).reason).toBe(ResultReason.PermissionDenied);
    // Archived, to check the storage status survives the restart too.
    const archived = payloadText(expectOk(await rt(c, createReq(v14, []))), Tag.UniqueIdentifier)!;
    expectOk(await rt(c, uidOp(v14, Operation.Archive, archived)));
    c.close();
    await s.close();

    while (nowSeconds() <= deact) await new Promise((r) => setTimeout(r, 250));

    s = await boot();
    c = await KmipTestClient.connect(s.port, certs);
    try {
      // Deactivated by its date: no lease, no activation, but it may be destroyed.
      expect((await rt(c, uidOp(v, Operation.ObtainLease, uid))).reason).toBe(ResultReason.WrongKeyLifecycleState);
      expect((await rt(c, uidOp(v14, Operation.Activate, uid))).reason).toBe(ResultReason.PermissionDenied);
      expectOk(await rt(c, uidOp(v, Operation.Destroy, uid)));
      expect((await rt(c, uidOp(v, Operation.Get, uid))).reason).toBe(ResultReason.ObjectDestroyed);

      expect((await rt(c, uidOp(v14, Operation.Activate, archived))).reason).toBe(ResultReason.ObjectArchived);
      expectOk(await rt(c, uidOp(v14, Operation.Recover, archived)));
      expectOk(await rt(c, uidOp(v14, Operation.Activate, archived)));
      expectOk(await rt(c, uidOp(v14, Operation.Get, archived)));
    } finally {
      c.close();
      await s.close();
    }
  }, 60_000);

  it('Re-key Key Pair in the HSM at 2.1: a new EC pair, the old one keeps working until revoked', async () => {
    const v: Version = [2, 1];
    const s = await boot();
    const c = await KmipTestClient.connect(s.port, certs);
    try {
      const ckp = expectOk(
        await rt(
          c,
          request(v, [
            {
              operation: Operation.CreateKeyPair,
              payload: [
                struct(Tag.CommonAttributes, [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.EC), int(Tag.CryptographicLength, 256)]),
                struct(Tag.PrivateKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Sign)]),
                struct(Tag.PublicKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Verify)]),
              ],
            },
          ]),
        ),
      );
      const oldPriv = payloadText(ckp, Tag.PrivateKeyUniqueIdentifier)!;
      const r = expectOk(await rt(c, request(v, [{ operation: Operation.ReKeyKeyPair, payload: [text(Tag.PrivateKeyUniqueIdentifier, oldPriv)] }])));
      const newPriv = payloadText(r, Tag.PrivateKeyUniqueIdentifier)!;
      const newPub = payloadText(r, Tag.PublicKeyUniqueIdentifier)!;
      expect(newPriv).not.toBe(oldPriv);
      expectOk(await rt(c, uidOp(v, Operation.Get, newPub)));
      expectOk(await rt(c, uidOp(v, Operation.Get, newPriv)));
      expectOk(await rt(c, uidOp(v, Operation.Destroy, oldPriv)));
      expectOk(await rt(c, uidOp(v, Operation.Get, newPriv)));
    } finally {
      c.close();
      await s.close();
    }
  }, 60_000);

  for (const v of [
    [1, 4],
    [2, 1],
  ] as Version[]) {
    it(`Percona pattern at ${v.join('.')}: Create, Activate, Revoke, Destroy; the key is gone from the HSM`, async () => {
      const s = await boot();
      const c = await KmipTestClient.connect(s.port, certs);
      try {
        const uid = payloadText(expectOk(await rt(c, createReq(v, []))), Tag.UniqueIdentifier)!;
        expectOk(await rt(c, uidOp(v, Operation.Activate, uid)));
        expectOk(await rt(c, uidOp(v, Operation.Get, uid)));
        expect((await rt(c, uidOp(v, Operation.Destroy, uid))).status).toBe(ResultStatus.OperationFailed);
        expectOk(await rt(c, revokeReq(v, uid)));
        expectOk(await rt(c, uidOp(v, Operation.Destroy, uid)));
        const after = await rt(c, uidOp(v, Operation.Get, uid));
        expect(after.reason).toBe(v[0] === 2 && v[1] >= 1 ? ResultReason.ObjectDestroyed : ResultReason.ItemNotFound);
        // Re-key of a live key in the HSM: a new uid with a different key value.
        const k1 = payloadText(expectOk(await rt(c, createReq(v, [dateTime(Tag.ActivationDate, nowSeconds())]))), Tag.UniqueIdentifier)!;
        const k2 = payloadText(expectOk(await rt(c, uidOp(v, Operation.ReKey, k1))), Tag.UniqueIdentifier)!;
        expect(k2).not.toBe(k1);
        const material = (r: ItemResult) => {
          const find = (n: TtlvNode, tag: number): TtlvNode | undefined =>
            n.tag === tag ? n : n.type === 'Structure' ? n.value.map((x) => find(x, tag)).find((x) => x !== undefined) : undefined;
          return Buffer.from(find(r.payload!, Tag.KeyMaterial)!.value as Uint8Array);
        };
        const m1 = material(expectOk(await rt(c, uidOp(v, Operation.Get, k1))));
        const m2 = material(expectOk(await rt(c, uidOp(v, Operation.Get, k2))));
        expect(m1.length).toBe(16);
        expect(m2.length).toBe(16);
        expect(m1.equals(m2)).toBe(false);
      } finally {
        c.close();
        await s.close();
      }
    }, 60_000);
  }
});
