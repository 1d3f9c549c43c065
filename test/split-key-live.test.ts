/**
 * Create Split Key / Join Split Key live (mutual TLS, SoftHSM2, LevelDB) at KMIP 1.4 and 2.1:
 * split and join round trips for XOR, GF(2^8) and prime-field sharing, the parts' fields and
 * links, threshold edge cases and the spec's errors.
 */
import { generateKeyPairSync, randomBytes, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CryptographicAlgorithm,
  DigitalSignatureAlgorithm,
  KeyFormatType,
  LinkType,
  ObjectType,
  Operation,
  ResultReason,
  SecretDataType,
  SplitKeyMethod,
  Tag,
} from '../src/kmip/generated/index.js';
import { CryptographicUsageMask as M } from '../src/kmip/generated/masks.js';
import { bigInt, bool, bytes, child, children, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, payloadText } from './helpers/kmip-request.js';
import { activatedAMinuteAgo, expectFailure, expectSuccess, registerSymmetricKey, requestAttributes, useLiveKmipd } from './helpers/live.js';

type V = [number, number];
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const live = useLiveKmipd('split-live');
const one = (v: V, operation: number, payload: TtlvNode[]): Promise<ItemResult> => live.one(v, operation, payload);
const ok = expectSuccess;
const fails = expectFailure;
const attrs = requestAttributes;
const active = activatedAMinuteAgo;

const registerKey = (v: V, alg: number, material: Buffer, mask: number, extra: TtlvNode[] = []): Promise<string> =>
  registerSymmetricKey(live, v, alg, material, mask, extra);



function splitReq(v: V, base: string | undefined, parts: number, threshold: number, method: number, extra: TtlvNode[] = [], list: TtlvNode[] = []): TtlvNode[] {
  return [
    enm(Tag.ObjectType, ObjectType.SplitKey),
    ...(base !== undefined ? [text(Tag.UniqueIdentifier, base)] : []),
    int(Tag.SplitKeyParts, parts),
    int(Tag.SplitKeyThreshold, threshold),
    enm(Tag.SplitKeyMethod, method),
    ...extra,
    attrs(v, list),
  ];
}
async function split(v: V, base: string | undefined, parts: number, threshold: number, method: number, extra: TtlvNode[] = [], list: TtlvNode[] = []): Promise<string[]> {
  const r = ok(await one(v, Operation.CreateSplitKey, splitReq(v, base, parts, threshold, method, extra, list)));
  return children(r.payload!, Tag.UniqueIdentifier).map((n) => n.value as string);
}
function joinReq(v: V, uids: string[], objectType: number = ObjectType.SymmetricKey, bits = 128): TtlvNode[] {
  const list: TtlvNode[] = [int(Tag.CryptographicLength, bits), int(Tag.CryptographicUsageMask, M.Encrypt | M.Decrypt)];
  if (objectType === ObjectType.SymmetricKey) list.unshift(enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES));
  return [enm(Tag.ObjectType, objectType), ...uids.map((u) => text(Tag.UniqueIdentifier, u)), attrs(v, list)];
}
async function valueOf(v: V, uid: string): Promise<{ hex: string; obj: TtlvNode }> {
  const g = ok(await one(v, Operation.Get, [text(Tag.UniqueIdentifier, uid)]));
  const obj = child(g.payload!, Tag.SymmetricKey) ?? child(g.payload!, Tag.SecretData) ?? child(g.payload!, Tag.SplitKey);
  const km = child(child(child(obj!, Tag.KeyBlock)!, Tag.KeyValue)!, Tag.KeyMaterial);
  return { hex: Buffer.from(km!.value as Uint8Array).toString('hex'), obj: obj! };
}
async function joined(v: V, uids: string[], bits = 128): Promise<string> {
  const r = ok(await one(v, Operation.JoinSplitKey, joinReq(v, uids, ObjectType.SymmetricKey, bits)));
  return (await valueOf(v, payloadText(r, Tag.UniqueIdentifier)!)).hex;
}
const KEY = hex('0102030405060708090a0b0c0d0e0f10');

describe.each([
  ['1.4', [1, 4] as V],
  ['2.1', [2, 1] as V],
])('Split Key at KMIP %s', (_n, v) => {
  it('GF(2^8) 5 parts, threshold 3: parts carry the split fields and the key\'s algorithm; any 3 join, 2 do not', async () => {
    const base = await registerKey(v, CryptographicAlgorithm.AES, KEY, M.Encrypt);
    const parts = await split(v, base, 5, 3, SplitKeyMethod.PolynomialSharingGF2_8);
    expect(parts).toHaveLength(5);
    const p2 = await valueOf(v, parts[1]!);
    expect(child(p2.obj, Tag.SplitKeyParts)?.value).toBe(5);
    expect(child(p2.obj, Tag.KeyPartIdentifier)?.value).toBe(2);
    expect(child(p2.obj, Tag.SplitKeyThreshold)?.value).toBe(3);
    expect(child(p2.obj, Tag.SplitKeyMethod)?.value).toBe(SplitKeyMethod.PolynomialSharingGF2_8);
    const kb = child(p2.obj, Tag.KeyBlock)!;
    expect(child(kb, Tag.KeyFormatType)?.value).toBe(KeyFormatType.Raw);
    expect(child(kb, Tag.CryptographicAlgorithm)?.value).toBe(CryptographicAlgorithm.AES);
    expect(child(kb, Tag.CryptographicLength)?.value).toBe(128);
    expect(p2.hex).not.toBe(KEY.toString('hex'));
    expect(await joined(v, [parts[0]!, parts[2]!, parts[4]!])).toBe(KEY.toString('hex'));
    expect(await joined(v, [parts[3]!, parts[1]!, parts[0]!, parts[4]!])).toBe(KEY.toString('hex'));
    fails(await one(v, Operation.JoinSplitKey, joinReq(v, [parts[1]!, parts[3]!])), ResultReason.CryptographicFailure);
  });

  it('XOR 3 of 3 into Secret Data; 2 parts answer Cryptographic Failure', async () => {
    const base = await registerKey(v, CryptographicAlgorithm.AES, KEY, M.Encrypt);
    const parts = await split(v, base, 3, 3, SplitKeyMethod.XOR);
    const r = ok(await one(v, Operation.JoinSplitKey, joinReq(v, parts, ObjectType.SecretData)));
    const got = await valueOf(v, payloadText(r, Tag.UniqueIdentifier)!);
    expect(got.hex).toBe(KEY.toString('hex'));
    expect(child(got.obj, Tag.SecretDataType)?.value).toBe(SecretDataType.Seed);
    fails(await one(v, Operation.JoinSplitKey, joinReq(v, parts.slice(1))), ResultReason.CryptographicFailure);
  });

  it('prime field (p = 2^521 - 1) 4 parts, threshold 2', async () => {
    const p = (1n << 521n) - 1n;
    const base = await registerKey(v, CryptographicAlgorithm.AES, KEY, M.Encrypt);
    const parts = await split(v, base, 4, 2, SplitKeyMethod.PolynomialSharingPrimeField, [bigInt(Tag.PrimeFieldSize, p)]);
    const p1 = await valueOf(v, parts[0]!);
    expect(child(p1.obj, Tag.PrimeFieldSize)?.value).toBe(p);
    expect(await joined(v, [parts[3]!, parts[1]!])).toBe(KEY.toString('hex'));
  });

  it('threshold edges: 1 of 1 and n of n; without a base the server makes the key', async () => {
    const base = await registerKey(v, CryptographicAlgorithm.AES, KEY, M.Encrypt);
    const one1 = await split(v, base, 1, 1, SplitKeyMethod.PolynomialSharingGF2_8);
    expect(await joined(v, one1)).toBe(KEY.toString('hex'));
    const all = await split(v, base, 4, 4, SplitKeyMethod.PolynomialSharingGF2_8);
    expect(await joined(v, all)).toBe(KEY.toString('hex'));
    fails(await one(v, Operation.JoinSplitKey, joinReq(v, all.slice(0, 3))), ResultReason.CryptographicFailure);
    const made = await split(v, undefined, 3, 2, SplitKeyMethod.PolynomialSharingGF2_8, [], [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 256)]);
    const a = await joined(v, [made[0]!, made[1]!], 256);
    expect(a).toHaveLength(64);
    expect(await joined(v, [made[2]!, made[0]!], 256)).toBe(a);
  });

  it('links parts to the base (Parent / Child) and to each other (Previous / Next)', async () => {
    const base = await registerKey(v, CryptographicAlgorithm.AES, KEY, M.Encrypt);
    const parts = await split(v, base, 3, 2, SplitKeyMethod.PolynomialSharingGF2_8);
    const linksOf = async (u: string): Promise<[number, string][]> => {
      const g = ok(await one([2, 1], Operation.GetAttributes, [text(Tag.UniqueIdentifier, u)]));
      return children(child(g.payload!, Tag.Attributes)!, Tag.Link).map((l) => [child(l, Tag.LinkType)!.value as number, child(l, Tag.LinkedObjectIdentifier)!.value as string]);
    };
    expect(await linksOf(base)).toEqual(parts.map((p) => [LinkType.ChildLink, p]));
    expect(await linksOf(parts[1]!)).toEqual([
      [LinkType.ParentLink, base],
      [LinkType.PreviousLink, parts[0]!],
      [LinkType.NextLink, parts[2]!],
    ]);
  });

  it('answers the spec errors', async () => {
    const base = await registerKey(v, CryptographicAlgorithm.AES, KEY, M.Encrypt);
    const badType = v[0] >= 2 ? ResultReason.InvalidObjectType : ResultReason.InvalidField;
    const create = (r: TtlvNode[]): Promise<ItemResult> => one(v, Operation.CreateSplitKey, r);
    fails(await create(splitReq(v, base, 3, 4, SplitKeyMethod.PolynomialSharingGF2_8)), ResultReason.InvalidField);
    fails(await create(splitReq(v, base, 0, 0, SplitKeyMethod.PolynomialSharingGF2_8)), ResultReason.InvalidField);
    fails(await create(splitReq(v, base, 3, 2, SplitKeyMethod.XOR)), ResultReason.InvalidField);
    fails(await create(splitReq(v, base, 3, 2, SplitKeyMethod.PolynomialSharingGF2_16)), ResultReason.FeatureNotSupported);
    fails(await create(splitReq(v, base, 3, 2, SplitKeyMethod.PolynomialSharingPrimeField)), ResultReason.MissingData);
    fails(await create(splitReq(v, base, 3, 2, SplitKeyMethod.PolynomialSharingPrimeField, [bigInt(Tag.PrimeFieldSize, 251n)])), ResultReason.InvalidField);
    fails(await create(splitReq(v, base, 3, 2, SplitKeyMethod.PolynomialSharingPrimeField, [bigInt(Tag.PrimeFieldSize, (1n << 521n) + 1n)])), ResultReason.InvalidField); // not prime
    fails(await create([enm(Tag.ObjectType, ObjectType.SymmetricKey), ...splitReq(v, base, 3, 2, SplitKeyMethod.XOR).slice(1)]), badType);
    fails(await create(splitReq(v, 'no-such-object', 3, 2, SplitKeyMethod.PolynomialSharingGF2_8)), ResultReason.ItemNotFound);
    // A non-extractable key cannot be split: its value would leave through the parts.
    const c = ok(
      await one(v, Operation.Create, [
        enm(Tag.ObjectType, ObjectType.SymmetricKey),
        attrs(v, [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES), int(Tag.CryptographicLength, 128), int(Tag.CryptographicUsageMask, M.Encrypt), bool(Tag.Extractable, false)]),
      ]),
    );
    fails(await create(splitReq(v, payloadText(c, Tag.UniqueIdentifier)!, 3, 2, SplitKeyMethod.PolynomialSharingGF2_8)), ResultReason.NotExtractable);

    const a = await split(v, base, 3, 2, SplitKeyMethod.PolynomialSharingGF2_8);
    const b = await split(v, base, 4, 2, SplitKeyMethod.PolynomialSharingGF2_8);
    const joinOf = (r: TtlvNode[]): Promise<ItemResult> => one(v, Operation.JoinSplitKey, r);
    fails(await joinOf(joinReq(v, [a[0]!, b[1]!])), ResultReason.InvalidField); // different splits
    fails(await joinOf(joinReq(v, [a[0]!, a[0]!])), ResultReason.InvalidField); // repeated part
    fails(await joinOf(joinReq(v, [a[0]!, base])), badType); // not a Split Key
    fails(await joinOf(joinReq(v, [a[0]!, a[1]!], ObjectType.PublicKey)), badType);
    fails(await joinOf(joinReq(v, [a[0]!, a[1]!], ObjectType.SymmetricKey, 256)), ResultReason.InvalidField); // length disagrees
    fails(await joinOf([enm(Tag.ObjectType, ObjectType.SymmetricKey), attrs(v, [])]), ResultReason.MissingData);
  });
});

describe.each([
  ['1.4', [1, 4] as V],
  ['2.1', [2, 1] as V],
])('Join Split Key into a Private Key at KMIP %s', (_n, v) => {
  /** A P-256 PKCS#8 private key split by XOR into `n` parts here (independently of kmipd's split code). */
  function xorParts(der: Buffer, n: number): Buffer[] {
    const parts = Array.from({ length: n - 1 }, () => randomBytes(der.length));
    const last = Buffer.from(der);
    for (const p of parts) for (let i = 0; i < last.length; i++) last[i]! ^= p[i]!;
    return [...parts, last];
  }
  async function registerPart(value: Buffer, id: number, n: number, format: number = KeyFormatType.PKCS_8): Promise<string> {
    const r = ok(
      await one(v, Operation.Register, [
        enm(Tag.ObjectType, ObjectType.SplitKey),
        attrs(v, [int(Tag.CryptographicUsageMask, M.Sign)]),
        struct(Tag.SplitKey, [
          int(Tag.SplitKeyParts, n),
          int(Tag.KeyPartIdentifier, id),
          int(Tag.SplitKeyThreshold, n),
          enm(Tag.SplitKeyMethod, SplitKeyMethod.XOR),
          struct(Tag.KeyBlock, [
            enm(Tag.KeyFormatType, format),
            struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, value)]),
            enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.EC),
            int(Tag.CryptographicLength, 256),
          ]),
        ]),
      ]),
    );
    return payloadText(r, Tag.UniqueIdentifier)!;
  }
  const joinPrivate = (uids: string[], list: TtlvNode[] = [int(Tag.CryptographicUsageMask, M.Sign), active()]) =>
    one(v, Operation.JoinSplitKey, [enm(Tag.ObjectType, ObjectType.PrivateKey), ...uids.map((u) => text(Tag.UniqueIdentifier, u)), attrs(v, list)]);

  it('three XOR parts of a P-256 PKCS#8 key join into that Private Key: Get returns it, and it signs', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    const parts = xorParts(der, 3);
    const uids: string[] = [];
    for (const [i, p] of parts.entries()) uids.push(await registerPart(p, i + 1, 3));
    const r = ok(await joinPrivate(uids));
    const uid = payloadText(r, Tag.UniqueIdentifier)!;
    const g = ok(await one(v, Operation.Get, [text(Tag.UniqueIdentifier, uid)]));
    expect(child(g.payload!, Tag.ObjectType)?.value).toBe(ObjectType.PrivateKey);
    const kb = child(child(g.payload!, Tag.PrivateKey)!, Tag.KeyBlock)!;
    expect(child(kb, Tag.KeyFormatType)?.value).toBe(KeyFormatType.PKCS_8);
    expect(child(kb, Tag.CryptographicAlgorithm)?.value).toBe(CryptographicAlgorithm.EC);
    expect(Buffer.from(child(child(kb, Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array).equals(der)).toBe(true);
    const data = Buffer.from('joined private key');
    const s = ok(
      await one(v, Operation.Sign, [
        text(Tag.UniqueIdentifier, uid),
        struct(Tag.CryptographicParameters, [enm(Tag.DigitalSignatureAlgorithm, DigitalSignatureAlgorithm.ECDSAWithSHA256)]),
        bytes(Tag.Data, data),
      ]),
    );
    expect(nodeVerify('sha256', data, publicKey, Buffer.from(child(s.payload!, Tag.SignatureData)!.value as Uint8Array))).toBe(true);
  });

  it('errors: parts that do not make a key, parts in a non-DER format, fewer parts than the threshold', async () => {
    const der = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'der', type: 'pkcs8' });
    const parts = xorParts(der, 2);
    const a = await registerPart(parts[0]!, 1, 2);
    const b = await registerPart(Buffer.from(parts[1]!.map((x) => x ^ 0xff)), 2, 2);
    // The joined bytes are not a PKCS#8 key: refused, nothing created.
    fails(await joinPrivate([a, b]), ResultReason.CryptographicFailure);
    fails(await joinPrivate([a]), ResultReason.CryptographicFailure);
    const raw1 = await registerPart(parts[0]!, 1, 2, KeyFormatType.Raw);
    const raw2 = await registerPart(parts[1]!, 2, 2, KeyFormatType.Raw);
    fails(await joinPrivate([raw1, raw2]), ResultReason.InvalidField);
  });
});
