/**
 * Result reasons the OASIS mandatory profile vectors fix per protocol version, through a live kmipd
 * (SoftHSM2, LevelDB, mutual TLS on loopback):
 *
 * - an operation the object's State forbids (AKLC-M-2 step 5 Destroy of an Active private key,
 *   AKLC-M-3 step 4 Modify Attribute of its Activation Date): Permission Denied at 1.x and 2.0
 *   (AKLC-M-2-13/-14/-20, AKLC-M-3-13/-14/-20), Wrong Key Lifecycle State at 2.1 (AKLC-M-2-21,
 *   AKLC-M-3-21).
 * - the Key Format Type of a generated RSA pair (AKLC-M-1-20/-21 step 1/2 Get Attributes): PKCS#1
 *   for both halves, the KMIP default (2.1 §4.26 Table 81); Get without a format serves that and
 *   the Digest is over it; the other formats are still served on request.
 * - the PKCS#11 operation (PKCS11-M-1-20/-21: C_Initialize, C_GetInfo, C_Finalize) on kmipd's own
 *   Cryptoki interface, which never reaches the HSM; every other function is refused.
 * - an unknown Unique Identifier, or another client's object (BL-M-4-21 step 5 Get of
 *   "AAABBBCCC"): Object Not Found at 2.1, Item Not Found before; at 2.1 Adjust Attribute and Create
 *   Split Key keep Item Not Found, the only reason their 2.1 error tables give.
 */
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  AdjustmentType,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  KeyFormatType,
  Operation,
  PKCS_11Function,
  PKCS_11ReturnCode,
  ResultReason,
  ResultStatus,
  RevocationReasonCode,
  Tag,
} from '../src/kmip/generated/index.js';
import { bytes, child, dateTime, enm, int, interval, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { payloadText } from './helpers/kmip-request.js';
import { expectFailure, expectSuccess, useLiveKmipd } from './helpers/live.js';

type V = [number, number];
const live = useLiveKmipd('mandatory', ['alice', 'bob']);
const now = (): bigint => BigInt(Math.floor(Date.now() / 1000));

/** An attribute of a 2.x request, or the 1.x Attribute {Name, Value} form. */
function attribute(v: V, name: string, node: TtlvNode): TtlvNode {
  if (v[0] >= 2) return node;
  return struct(Tag.Attribute, [text(Tag.AttributeName, name), { ...node, tag: Tag.AttributeValue } as TtlvNode]);
}

/** Create Key Pair as AKLC-M-1/2/3 step 0: RSA-2048, the private key for Sign, the public for Verify. */
async function rsaPair(v: V): Promise<{ priv: string; pub: string }> {
  const common = [
    attribute(v, 'Cryptographic Algorithm', enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.RSA)),
    attribute(v, 'Cryptographic Length', int(Tag.CryptographicLength, 2048)),
  ];
  const usage = (m: number) => [attribute(v, 'Cryptographic Usage Mask', int(Tag.CryptographicUsageMask, m))];
  const payload =
    v[0] >= 2
      ? [struct(Tag.CommonAttributes, common), struct(Tag.PrivateKeyAttributes, usage(CryptographicUsageMask.Sign)), struct(Tag.PublicKeyAttributes, usage(CryptographicUsageMask.Verify))]
      : [
          struct(Tag.CommonTemplateAttribute, common),
          struct(Tag.PrivateKeyTemplateAttribute, usage(CryptographicUsageMask.Sign)),
          struct(Tag.PublicKeyTemplateAttribute, usage(CryptographicUsageMask.Verify)),
        ];
  const r = expectSuccess(await live.one(v, Operation.CreateKeyPair, payload));
  return { priv: payloadText(r, Tag.PrivateKeyUniqueIdentifier)!, pub: payloadText(r, Tag.PublicKeyUniqueIdentifier)! };
}

const uid = (u: string): TtlvNode => text(Tag.UniqueIdentifier, u);

describe.each([
  ['1.4', [1, 4] as V, ResultReason.PermissionDenied],
  ['2.0', [2, 0] as V, ResultReason.PermissionDenied],
  ['2.1', [2, 1] as V, ResultReason.WrongKeyLifecycleState],
])('lifecycle refusals at KMIP %s (AKLC-M-2, AKLC-M-3)', (_l, v, reason) => {
  it('Destroy of an Active private key is refused; after Revoke it is destroyed', async () => {
    const { priv, pub } = await rsaPair(v);
    expectSuccess(await live.one(v, Operation.Activate, [uid(priv)]));
    expectFailure(await live.one(v, Operation.Destroy, [uid(priv)]), reason);
    // The Pre-Active public key may be destroyed at once (AKLC-M-2 step 6).
    expectSuccess(await live.one(v, Operation.Destroy, [uid(pub)]));
    expectSuccess(await live.one(v, Operation.Revoke, [uid(priv), struct(Tag.RevocationReason, [enm(Tag.RevocationReasonCode, RevocationReasonCode.CessationOfOperation)])]));
    expectSuccess(await live.one(v, Operation.Destroy, [uid(priv)]));
  });

  it('Modify Attribute of the Activation Date of an Active key is refused', async () => {
    const { priv } = await rsaPair(v);
    expectSuccess(await live.one(v, Operation.Activate, [uid(priv)]));
    const modify =
      v[0] >= 2
        ? [uid(priv), struct(Tag.NewAttribute, [dateTime(Tag.ActivationDate, now())])]
        : [uid(priv), attribute(v, 'Activation Date', dateTime(Tag.ActivationDate, now()))];
    expectFailure(await live.one(v, Operation.ModifyAttribute, modify), reason);
    // Activate again is the same kind of refusal.
    expectFailure(await live.one(v, Operation.Activate, [uid(priv)]), reason);
  });
});

describe.each([
  ['1.4', [1, 4] as V, ResultReason.ItemNotFound],
  ['2.0', [2, 0] as V, ResultReason.ItemNotFound],
  ['2.1', [2, 1] as V, ResultReason.ObjectNotFound],
])('an object that is not there at KMIP %s (BL-M-4)', (_l, v, reason) => {
  it('Get, Get Attributes, Destroy and Encrypt of an unknown identifier, and of another client\'s object', async () => {
    expectFailure(await live.one(v, Operation.Get, [uid('AAABBBCCC')]), reason);
    expectFailure(await live.one(v, Operation.GetAttributes, [uid('AAABBBCCC')]), reason);
    expectFailure(await live.one(v, Operation.Destroy, [uid('AAABBBCCC')]), reason);
    expectFailure(await live.one(v, Operation.Encrypt, [uid('AAABBBCCC'), bytes(Tag.Data, Buffer.alloc(16))]), reason);
    const { pub } = await rsaPair(v);
    expectSuccess(await live.one(v, Operation.Get, [uid(pub)]));
    // bob is told the same as for an identifier that never existed: the object's existence does not leak.
    expectFailure(await live.one(v, Operation.Get, [uid(pub)], 'bob'), reason);
    expectFailure(await live.one(v, Operation.Destroy, [uid(pub)], 'bob'), reason);
    expectSuccess(await live.one(v, Operation.Get, [uid(pub)]));
  });
});

describe('Item Not Found where the 2.1 error tables name it', () => {
  it('Adjust Attribute of an unknown object at 2.1', async () => {
    const r = await live.one([2, 1], Operation.AdjustAttribute, [
      uid('AAABBBCCC'),
      enm(Tag.AttributeReference, Tag.ActivationDate),
      enm(Tag.AdjustmentType, AdjustmentType.Increment),
      interval(Tag.AdjustmentValue, 10),
    ]);
    expectFailure(r, ResultReason.ItemNotFound);
  });
});

describe.each([
  ['2.0', [2, 0] as V],
  ['2.1', [2, 1] as V],
])('a generated RSA pair at KMIP %s (AKLC-M-1)', (_l, v) => {
  const keyBlock = (r: Awaited<ReturnType<typeof live.one>>, tag: number): TtlvNode => child(child(r.payload!, tag)!, Tag.KeyBlock)!;
  const material = (kb: TtlvNode): Buffer => Buffer.from(child(child(kb, Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array);

  it('Key Format Type PKCS#1 for both halves; Get serves it by default, its Digest is over it; PKCS#8 / X.509 on request', async () => {
    const { priv, pub } = await rsaPair(v);
    for (const [u, tag, half] of [
      [priv, Tag.PrivateKey, 'private'],
      [pub, Tag.PublicKey, 'public'],
    ] as const) {
      const ga = expectSuccess(await live.one(v, Operation.GetAttributes, [uid(u), enm(Tag.AttributeReference, Tag.KeyFormatType), enm(Tag.AttributeReference, Tag.Digest)]));
      const attrs = child(ga.payload!, Tag.Attributes)!;
      expect(child(attrs, Tag.KeyFormatType)?.value, half).toBe(KeyFormatType.PKCS_1);
      const digest = child(attrs, Tag.Digest)!;
      expect(child(digest, Tag.KeyFormatType)?.value).toBe(KeyFormatType.PKCS_1);

      const kb = keyBlock(expectSuccess(await live.one(v, Operation.Get, [uid(u)])), tag);
      expect(child(kb, Tag.KeyFormatType)?.value).toBe(KeyFormatType.PKCS_1);
      const der = material(kb);
      expect(createHash('sha256').update(der).digest().equals(Buffer.from(child(digest, Tag.DigestValue)!.value as Uint8Array))).toBe(true);
      // The same key in the stored formats, asked for by name.
      const other = half === 'private' ? KeyFormatType.PKCS_8 : KeyFormatType.X_509;
      const okb = keyBlock(expectSuccess(await live.one(v, Operation.Get, [uid(u), enm(Tag.KeyFormatType, other)])), tag);
      expect(child(okb, Tag.KeyFormatType)?.value).toBe(other);
      if (half === 'private') {
        const a = createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
        expect(a.equals(createPrivateKey({ key: material(okb), format: 'der', type: 'pkcs8' }))).toBe(true);
        expect(a.asymmetricKeyDetails?.modulusLength).toBe(2048);
      } else {
        expect(createPublicKey({ key: der, format: 'der', type: 'pkcs1' }).equals(createPublicKey({ key: material(okb), format: 'der', type: 'spki' }))).toBe(true);
      }
    }
    // The halves are one key pair.
    const privDer = material(keyBlock(await live.one(v, Operation.Get, [uid(priv)]), Tag.PrivateKey));
    const pubDer = material(keyBlock(await live.one(v, Operation.Get, [uid(pub)]), Tag.PublicKey));
    expect(createPublicKey(createPrivateKey({ key: privDer, format: 'der', type: 'pkcs1' })).export({ format: 'der', type: 'pkcs1' }).equals(pubDer)).toBe(true);
  });
});

describe.each([
  ['2.0', [2, 0] as V],
  ['2.1', [2, 1] as V],
])('PKCS#11 at KMIP %s (PKCS11-M-1)', (_l, v) => {
  const call = (fn: number, extra: TtlvNode[] = [], as?: string) => live.one(v, Operation.PKCS_11, [enm(Tag.PKCS_11Function, fn), ...extra], as);
  const rv = (r: Awaited<ReturnType<typeof live.one>>): unknown => child(expectSuccess(r).payload!, Tag.PKCS_11ReturnCode)?.value;
  const corrOf = (r: Awaited<ReturnType<typeof live.one>>): TtlvNode => child(r.payload!, Tag.CorrelationValue)!;

  it('C_Initialize, C_GetInfo (kmipd\'s CK_INFO), C_Finalize; then the context is closed', async () => {
    const init = await call(PKCS_11Function.C_Initialize, [bytes(Tag.PKCS_11InputParameters, Buffer.from('01', 'hex'))]);
    expect(rv(init)).toBe(PKCS_11ReturnCode.OK);
    expect(child(init.payload!, Tag.PKCS_11Function)?.value).toBe(PKCS_11Function.C_Initialize);
    const corr = corrOf(init);
    expect((corr.value as Uint8Array).length).toBe(16);

    const info = await call(PKCS_11Function.C_GetInfo, [corr]);
    expect(rv(info)).toBe(PKCS_11ReturnCode.OK);
    const ck = Buffer.from(child(info.payload!, Tag.PKCS_11OutputParameters)!.value as Uint8Array);
    // KMIP Profiles 2.0 §5.18 encoding of CK_INFO: version, manufacturerID[32], flags (8 bytes), libraryDescription[32], version.
    expect(ck.length).toBe(76);
    expect([...ck.subarray(0, 2)]).toEqual([2, 40]);
    expect(ck.subarray(2, 34).toString('utf8')).toBe('kmipd'.padEnd(32, ' '));
    expect(ck.subarray(34, 42).equals(Buffer.alloc(8))).toBe(true);
    expect(ck.subarray(42, 74).toString('utf8').trimEnd()).toBe('kmipd KMIP PKCS#11 interface');

    // Another client cannot use this context.
    expect(rv(await call(PKCS_11Function.C_GetInfo, [corr], 'bob'))).toBe(PKCS_11ReturnCode.CRYPTOKI_NOT_INITIALIZED);
    expect(rv(await call(PKCS_11Function.C_Initialize, [corr]))).toBe(PKCS_11ReturnCode.CRYPTOKI_ALREADY_INITIALIZED);

    const fin = await call(PKCS_11Function.C_Finalize, [corr]);
    expect(rv(fin)).toBe(PKCS_11ReturnCode.OK);
    expect(rv(await call(PKCS_11Function.C_GetInfo, [corr]))).toBe(PKCS_11ReturnCode.CRYPTOKI_NOT_INITIALIZED);
    expect(rv(await call(PKCS_11Function.C_Finalize, [corr]))).toBe(PKCS_11ReturnCode.CRYPTOKI_NOT_INITIALIZED);
    expect(rv(await call(PKCS_11Function.C_GetInfo))).toBe(PKCS_11ReturnCode.CRYPTOKI_NOT_INITIALIZED);
  });

  it('no other function reaches the HSM: slots, sessions, keys and vendor functions are refused', async () => {
    const corr = corrOf(await call(PKCS_11Function.C_Initialize));
    for (const fn of [PKCS_11Function.C_GetSlotList, PKCS_11Function.C_OpenSession, PKCS_11Function.C_Login, PKCS_11Function.C_GenerateKey, PKCS_11Function.C_FindObjectsInit, PKCS_11Function.C_WrapKey]) {
      expectFailure(await call(fn, [corr]), ResultReason.PKCS_11InvalidFunction);
    }
    expectFailure(await live.one(v, Operation.PKCS_11, [int(Tag.PKCS_11Function, 0x7f000001), corr]), ResultReason.PKCS_11InvalidFunction);
    expectFailure(await call(PKCS_11Function.C_GetInfo, [text(Tag.PKCS_11Interface, 'Vendor HSM'), corr]), ResultReason.PKCS_11InvalidInterface);
    expectFailure(await call(PKCS_11Function.C_GetInfo, [corr, bytes(Tag.PKCS_11InputParameters, Buffer.alloc(4096))]), ResultReason.PKCS_11CodecError);
    expectFailure(await live.one(v, Operation.PKCS_11, []), ResultReason.MissingData);
    expect(rv(await call(PKCS_11Function.C_Finalize, [corr]))).toBe(PKCS_11ReturnCode.OK);
  });

  it('open contexts are bounded per client', async () => {
    const open: TtlvNode[] = [];
    let refused: Awaited<ReturnType<typeof live.one>> | undefined;
    for (let n = 0; n < 40 && refused === undefined; n++) {
      const r = await call(PKCS_11Function.C_Initialize, [], 'bob');
      if (r.status === ResultStatus.Success) open.push(corrOf(r));
      else refused = r;
    }
    expect(refused).toBeDefined();
    expectFailure(refused!, ResultReason.PermissionDenied);
    expect(open.length).toBeLessThanOrEqual(16);
    for (const c of open) expect(rv(await call(PKCS_11Function.C_Finalize, [c], 'bob'))).toBe(PKCS_11ReturnCode.OK);
    expect(rv(await call(PKCS_11Function.C_Initialize, [], 'bob'))).toBe(PKCS_11ReturnCode.OK);
  });
});

it('PKCS#11 is a KMIP 2.0 operation: Operation Not Supported at 1.4', async () => {
  expectFailure(await live.one([1, 4], Operation.PKCS_11, [enm(Tag.PKCS_11Function, PKCS_11Function.C_Initialize)]), ResultReason.OperationNotSupported);
});
