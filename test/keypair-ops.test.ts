/**
 * Create Key Pair (KMIP 1.4 §4.2, 2.1 §6.1.13), Get of both halves, Sign and Signature Verify
 * (2.1 §6.1.50, §6.1.53) in process (memory store + fake crypto), at KMIP 1.2 (Template-Attribute
 * forms) and 2.0 (Attributes forms); signatures checked against node:crypto both ways.
 */
import { constants, createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';

import { beforeEach, describe, expect, it } from 'vitest';

import { Dispatcher } from '../src/dispatch/dispatcher.js';
import {
  CryptographicAlgorithm,
  CryptographicUsageMask,
  KeyFormatType,
  LinkType,
  ObjectType,
  Operation,
  PaddingMethod,
  HashingAlgorithm,
  RecommendedCurve,
  ResultReason,
  ResultStatus,
  Tag,
  ValidityIndicator,
} from '../src/kmip/generated/index.js';
import { bool, bytes, child, dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';

type V = [number, number];
const DATA = Buffer.from('01020304050607080910111213141516', 'hex');

/** An attribute container in the version's form. */
function container(v: V, kind: 'Common' | 'PrivateKey' | 'PublicKey', list: [string, TtlvNode][]): TtlvNode {
  if (v[0] >= 2) {
    const tag = { Common: Tag.CommonAttributes, PrivateKey: Tag.PrivateKeyAttributes, PublicKey: Tag.PublicKeyAttributes }[kind];
    return struct(tag, list.map(([, value]) => value));
  }
  const tag = { Common: Tag.CommonTemplateAttribute, PrivateKey: Tag.PrivateKeyTemplateAttribute, PublicKey: Tag.PublicKeyTemplateAttribute }[kind];
  return struct(
    tag,
    list.map(([name, value]) => struct(Tag.Attribute, [text(Tag.AttributeName, name), { ...value, tag: Tag.AttributeValue } as TtlvNode])),
  );
}

const alg = (a: number): [string, TtlvNode] => ['Cryptographic Algorithm', enm(Tag.CryptographicAlgorithm, a)];
const len = (n: number): [string, TtlvNode] => ['Cryptographic Length', int(Tag.CryptographicLength, n)];
const mask = (m: number): [string, TtlvNode] => ['Cryptographic Usage Mask', int(Tag.CryptographicUsageMask, m)];
const activeNow = (): [string, TtlvNode] => ['Activation Date', dateTime(Tag.ActivationDate, BigInt(Math.floor(Date.now() / 1000) - 60))];

function params(list: TtlvNode[]): TtlvNode {
  return struct(Tag.CryptographicParameters, list);
}

describe.each([
  ['1.2', [1, 2] as V],
  ['2.0', [2, 0] as V],
])('key pairs at KMIP %s', (_label, v) => {
  let d: Dispatcher;
  beforeEach(() => {
    d = testDispatcher();
  });
  const send = async (operation: number, payload: TtlvNode[]): Promise<ItemResult> => {
    const r = parseResponse(await d.handle(request(v, [{ operation, payload }]), { principal: 'alice', connId: 'c1' }));
    return r.items[0]!;
  };
  const ok = (item: ItemResult): ItemResult => {
    expect(item.message ?? '', `reason ${item.reason}`).toBe('');
    expect(item.status).toBe(ResultStatus.Success);
    return item;
  };
  const createPair = async (common: [string, TtlvNode][], priv: [string, TtlvNode][] = [], pub: [string, TtlvNode][] = []) => {
    const r = ok(
      await send(Operation.CreateKeyPair, [container(v, 'Common', common), container(v, 'PrivateKey', priv), container(v, 'PublicKey', pub)]),
    );
    return { priv: payloadText(r, Tag.PrivateKeyUniqueIdentifier)!, pub: payloadText(r, Tag.PublicKeyUniqueIdentifier)! };
  };
  const keyMaterial = async (uid: string): Promise<{ format: number; material: Buffer; objectType: number }> => {
    const r = ok(await send(Operation.Get, [text(Tag.UniqueIdentifier, uid)]));
    const objectType = child(r.payload!, Tag.ObjectType)!.value as number;
    const obj = child(r.payload!, objectType === ObjectType.PrivateKey ? Tag.PrivateKey : Tag.PublicKey)!;
    const kb = child(obj, Tag.KeyBlock)!;
    const material = child(child(kb, Tag.KeyValue)!, Tag.KeyMaterial)!;
    return { format: child(kb, Tag.KeyFormatType)!.value as number, material: Buffer.from(material.value as Uint8Array), objectType };
  };
  const attrsOf = async (uid: string): Promise<TtlvNode[]> => {
    const r = ok(await send(Operation.GetAttributes, [text(Tag.UniqueIdentifier, uid)]));
    return (r.payload as TtlvNode & { type: 'Structure' }).value;
  };

  it('creates an RSA-2048 pair: linked objects, usage masks per object, Get of both halves', async () => {
    const { priv, pub } = await createPair([alg(CryptographicAlgorithm.RSA), len(2048)], [mask(CryptographicUsageMask.Sign)], [mask(CryptographicUsageMask.Verify)]);
    expect(priv).not.toBe(pub);
    const pk = await keyMaterial(priv);
    expect(pk.objectType).toBe(ObjectType.PrivateKey);
    // RSA keys are served in their default Key Format Type, PKCS#1 (KMIP 2.1 §4.26; OASIS AKLC-M-1-20).
    expect(pk.format).toBe(KeyFormatType.PKCS_1);
    const pubKey = await keyMaterial(pub);
    expect(pubKey.format).toBe(KeyFormatType.PKCS_1);
    const fromPriv = createPublicKey(createPrivateKey({ key: pk.material, format: 'der', type: 'pkcs1' })).export({ format: 'der', type: 'pkcs1' });
    expect(Buffer.from(fromPriv).equals(pubKey.material)).toBe(true);
    const flat = JSON.stringify(await attrsOf(priv), (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
    expect(flat).toContain(pub);
    expect(flat).toContain(String(LinkType.PublicKeyLink));
    const flatPub = JSON.stringify(await attrsOf(pub), (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
    expect(flatPub).toContain(priv);
    // Both halves record the generator behind them, as Create does (KMIP 2.1 §4.48; OASIS
    // AKLC-M-1); Random Number Generator is a 1.3+ attribute, so a 1.2 client does not see it.
    for (const uid of [priv, pub]) {
      const attrs = await attrsOf(uid);
      const all = (attrs.find((n) => n.tag === Tag.Attributes) as (TtlvNode & { type: 'Structure' }) | undefined)?.value ?? attrs;
      const names = all.map((n) => (n.tag === Tag.Attribute ? (child(n, Tag.AttributeName)?.value as string) : n.tag));
      const hasRng = names.includes(Tag.RandomNumberGenerator) || names.includes('Random Number Generator');
      expect(hasRng, uid).toBe(v[0] >= 2);
    }
  });

  it('signs and verifies (PSS from the key attribute, PKCS#1 v1.5 from the request); node:crypto agrees both ways', async () => {
    const cp: [string, TtlvNode] = [
      'Cryptographic Parameters',
      params([enm(Tag.PaddingMethod, PaddingMethod.PSS), enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256)]),
    ];
    const { priv, pub } = await createPair([alg(CryptographicAlgorithm.RSA), len(2048), activeNow(), cp], [mask(CryptographicUsageMask.Sign)], [mask(CryptographicUsageMask.Verify)]);
    const s = ok(await send(Operation.Sign, [text(Tag.UniqueIdentifier, priv), bytes(Tag.Data, DATA)]));
    const sig = Buffer.from(child(s.payload!, Tag.SignatureData)!.value as Uint8Array);
    const spki = createPublicKey({ key: (await keyMaterial(pub)).material, format: 'der', type: 'pkcs1' });
    expect(nodeVerify('sha256', DATA, { key: spki, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)).toBe(true);
    const verify = async (data: Buffer, signature: Buffer, extra: TtlvNode[] = []) =>
      child(
        ok(await send(Operation.SignatureVerify, [text(Tag.UniqueIdentifier, pub), ...extra, bytes(Tag.Data, data), bytes(Tag.SignatureData, signature)])).payload!,
        Tag.ValidityIndicator,
      )!.value;
    expect(await verify(DATA, sig)).toBe(ValidityIndicator.Valid);
    const tampered = Buffer.from(sig);
    tampered[0] = (tampered[0] as number) ^ 0xff;
    expect(await verify(DATA, tampered)).toBe(ValidityIndicator.Invalid);
    expect(await verify(Buffer.from('ff', 'hex'), sig)).toBe(ValidityIndicator.Invalid);
    // Known answer the other way: a PKCS#1 v1.5 signature made by node:crypto with the exported key.
    const pk = createPrivateKey({ key: (await keyMaterial(priv)).material, format: 'der', type: 'pkcs1' });
    const v15 = nodeSign('sha256', DATA, pk);
    const v15Params = params([enm(Tag.PaddingMethod, PaddingMethod.PKCS1V1_5), enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256)]);
    expect(await verify(DATA, v15, [v15Params])).toBe(ValidityIndicator.Valid);
    // A signature by another key is Invalid.
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(await verify(DATA, nodeSign('sha256', DATA, other), [v15Params])).toBe(ValidityIndicator.Invalid);
  });

  it('multi-part Sign and Signature Verify (TC-STREAM-SIGN-1, TC-STREAM-SIGNVFY-1): parts signed whole at the final one', async () => {
    const v15 = params([enm(Tag.PaddingMethod, PaddingMethod.PKCS1V1_5), enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256)]);
    const { priv, pub } = await createPair([alg(CryptographicAlgorithm.RSA), len(2048), activeNow()], [mask(CryptographicUsageMask.Sign)], [mask(CryptographicUsageMask.Verify)]);
    const corr = (r: ItemResult): Buffer => Buffer.from(child(r.payload!, Tag.CorrelationValue)!.value as Uint8Array);
    const a = ok(await send(Operation.Sign, [text(Tag.UniqueIdentifier, priv), v15, bytes(Tag.Data, DATA.subarray(0, 2)), bool(Tag.InitIndicator, true)]));
    expect(child(a.payload!, Tag.SignatureData)).toBeUndefined();
    expect(payloadText(a, Tag.UniqueIdentifier)).toBe(priv);
    const c = corr(a);
    // A later part may leave out the Unique Identifier; the answer still names the key.
    const b = ok(await send(Operation.Sign, [v15, bytes(Tag.Data, DATA.subarray(2, 12)), bytes(Tag.CorrelationValue, c)]));
    expect(payloadText(b, Tag.UniqueIdentifier)).toBe(priv);
    expect(corr(b)).toEqual(c);
    const f = ok(await send(Operation.Sign, [text(Tag.UniqueIdentifier, priv), v15, bytes(Tag.Data, DATA.subarray(12)), bytes(Tag.CorrelationValue, c), bool(Tag.FinalIndicator, true)]));
    const sig = Buffer.from(child(f.payload!, Tag.SignatureData)!.value as Uint8Array);
    // PKCS#1 v1.5 is deterministic: the parts' signature is the whole message's.
    const whole = ok(await send(Operation.Sign, [text(Tag.UniqueIdentifier, priv), v15, bytes(Tag.Data, DATA)]));
    expect(sig).toEqual(Buffer.from(child(whole.payload!, Tag.SignatureData)!.value as Uint8Array));
    const spki = createPublicKey({ key: (await keyMaterial(pub)).material, format: 'der', type: 'pkcs1' });
    expect(nodeVerify('sha256', DATA, spki, sig)).toBe(true);
    // The stream is closed by its final part.
    expect((await send(Operation.Sign, [bytes(Tag.Data, DATA), bytes(Tag.CorrelationValue, c), bool(Tag.FinalIndicator, true)])).status).toBe(ResultStatus.OperationFailed);

    // Verify in parts: Signature Data with the first part, as TC-STREAM-SIGNVFY-1 sends it.
    const verifyParts = async (signature: Buffer): Promise<unknown> => {
      const p1 = ok(await send(Operation.SignatureVerify, [text(Tag.UniqueIdentifier, pub), v15, bytes(Tag.Data, DATA.subarray(0, 5)), bytes(Tag.SignatureData, signature), bool(Tag.InitIndicator, true)]));
      expect(child(p1.payload!, Tag.ValidityIndicator)).toBeUndefined();
      const p2 = ok(await send(Operation.SignatureVerify, [text(Tag.UniqueIdentifier, pub), v15, bytes(Tag.Data, DATA.subarray(5)), bytes(Tag.CorrelationValue, corr(p1)), bool(Tag.FinalIndicator, true)]));
      return child(p2.payload!, Tag.ValidityIndicator)!.value;
    };
    expect(await verifyParts(sig)).toBe(ValidityIndicator.Valid);
    const bad = Buffer.from(sig);
    bad[10] = (bad[10] as number) ^ 1;
    expect(await verifyParts(bad)).toBe(ValidityIndicator.Invalid);

    // Refusals: Digested Data in parts, a part naming another key, the wrong operation's stream.
    expect((await send(Operation.Sign, [text(Tag.UniqueIdentifier, priv), v15, bytes(Tag.DigestedData, DATA), bool(Tag.InitIndicator, true)])).reason).toBe(ResultReason.InvalidField);
    const s1 = ok(await send(Operation.Sign, [text(Tag.UniqueIdentifier, priv), v15, bytes(Tag.Data, DATA), bool(Tag.InitIndicator, true)]));
    const other = await createPair([alg(CryptographicAlgorithm.RSA), len(2048), activeNow()], [mask(CryptographicUsageMask.Sign)], [mask(CryptographicUsageMask.Verify)]);
    expect((await send(Operation.Sign, [text(Tag.UniqueIdentifier, other.priv), bytes(Tag.Data, DATA), bytes(Tag.CorrelationValue, corr(s1))])).status).toBe(ResultStatus.OperationFailed);
    expect((await send(Operation.SignatureVerify, [bytes(Tag.Data, DATA), bytes(Tag.SignatureData, sig), bytes(Tag.CorrelationValue, corr(s1)), bool(Tag.FinalIndicator, true)])).status).toBe(ResultStatus.OperationFailed);
  });

  it('EC P-256 pair named by Recommended Curve: DER ECDSA signatures', async () => {
    const curve: [string, TtlvNode] = ['Recommended Curve', enm(Tag.RecommendedCurve, RecommendedCurve.P_256)];
    const { priv, pub } = await createPair([alg(CryptographicAlgorithm.EC), curve, activeNow()], [mask(CryptographicUsageMask.Sign)], [mask(CryptographicUsageMask.Verify)]);
    const s = ok(await send(Operation.Sign, [text(Tag.UniqueIdentifier, priv), params([enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256)]), bytes(Tag.Data, DATA)]));
    const sig = Buffer.from(child(s.payload!, Tag.SignatureData)!.value as Uint8Array);
    expect(sig[0]).toBe(0x30);
    const spki = createPublicKey({ key: (await keyMaterial(pub)).material, format: 'der', type: 'spki' });
    expect(nodeVerify('sha256', DATA, spki, sig)).toBe(true);
    const r = ok(await send(Operation.SignatureVerify, [text(Tag.UniqueIdentifier, pub), bytes(Tag.Data, DATA), bytes(Tag.SignatureData, sig)]));
    expect(child(r.payload!, Tag.ValidityIndicator)!.value).toBe(ValidityIndicator.Valid);
  });

  it('refuses: wrong usage mask, Pre-Active key, wrong object type, bad sizes', async () => {
    const { priv, pub } = await createPair([alg(CryptographicAlgorithm.RSA), len(2048), activeNow()], [mask(CryptographicUsageMask.Verify)], [mask(CryptographicUsageMask.Sign)]);
    const usage = v[0] >= 2 ? ResultReason.IncompatibleCryptographicUsageMask : ResultReason.PermissionDenied;
    const s = await send(Operation.Sign, [text(Tag.UniqueIdentifier, priv), bytes(Tag.Data, DATA)]);
    expect([s.status, s.reason]).toEqual([ResultStatus.OperationFailed, usage]);
    const vf = await send(Operation.SignatureVerify, [text(Tag.UniqueIdentifier, pub), bytes(Tag.Data, DATA), bytes(Tag.SignatureData, DATA)]);
    expect([vf.status, vf.reason]).toEqual([ResultStatus.OperationFailed, usage]);
    const wrongType = await send(Operation.Sign, [text(Tag.UniqueIdentifier, pub), bytes(Tag.Data, DATA)]);
    expect(wrongType.reason).toBe(v[0] >= 2 ? ResultReason.InvalidObjectType : ResultReason.IllegalOperation);

    const pre = await createPair([alg(CryptographicAlgorithm.RSA), len(2048)], [mask(CryptographicUsageMask.Sign)], [mask(CryptographicUsageMask.Verify)]);
    const p = await send(Operation.Sign, [text(Tag.UniqueIdentifier, pre.priv), bytes(Tag.Data, DATA)]);
    // Pre-Active keys cannot sign (2.1 §4.57); lifecycle/state.ts wrongState() gives the version's reason.
    expect(p.status).toBe(ResultStatus.OperationFailed);
    expect([ResultReason.WrongKeyLifecycleState, ResultReason.PermissionDenied]).toContain(p.reason);

    const small = await send(Operation.CreateKeyPair, [container(v, 'Common', [alg(CryptographicAlgorithm.RSA), len(1024)])]);
    expect(small.reason).toBe(ResultReason.InvalidField);
    const noAlg = await send(Operation.CreateKeyPair, [container(v, 'Common', [len(2048)])]);
    expect(noAlg.reason).toBe(ResultReason.MissingData);
    const aes = await send(Operation.CreateKeyPair, [container(v, 'Common', [alg(CryptographicAlgorithm.AES), len(256)])]);
    expect(aes.reason).toBe(ResultReason.FeatureNotSupported);
  });

  it('bad Sign / Signature Verify requests get the spec\'s reasons', async () => {
    const { priv, pub } = await createPair([alg(CryptographicAlgorithm.RSA), len(2048), activeNow()], [mask(CryptographicUsageMask.Sign)], [mask(CryptographicUsageMask.Verify)]);
    const reason = async (op: number, payload: TtlvNode[]) => (await send(op, payload)).reason;
    expect(await reason(Operation.Sign, [text(Tag.UniqueIdentifier, priv)])).toBe(ResultReason.InvalidField);
    expect(await reason(Operation.Sign, [text(Tag.UniqueIdentifier, priv), bytes(Tag.Data, DATA), bytes(Tag.DigestedData, DATA)])).toBe(ResultReason.InvalidField);
    expect(await reason(Operation.SignatureVerify, [text(Tag.UniqueIdentifier, pub), bytes(Tag.Data, DATA)])).toBe(ResultReason.InvalidField);
    const md5 = params([enm(Tag.HashingAlgorithm, HashingAlgorithm.MD5)]);
    expect(await reason(Operation.Sign, [text(Tag.UniqueIdentifier, priv), md5, bytes(Tag.Data, DATA)])).toBe(
      v[0] >= 2 ? ResultReason.UnsupportedCryptographicParameters : ResultReason.FeatureNotSupported,
    );
    const ecdsa = params([enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.ECDSA)]);
    expect(await reason(Operation.Sign, [text(Tag.UniqueIdentifier, priv), ecdsa, bytes(Tag.Data, DATA)])).toBe(
      v[0] >= 2 ? ResultReason.BadCryptographicParameters : ResultReason.InvalidField,
    );
    // Digested Data must have the named hash's length (with no hash named, a 16-byte digest is
    // signed as given: OASIS TC-RSA-SIGN-DIGESTEDDATA-1).
    const sha256 = params([enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256)]);
    expect(await reason(Operation.Sign, [text(Tag.UniqueIdentifier, priv), sha256, bytes(Tag.DigestedData, DATA)])).toBe(
      v[0] >= 2 ? ResultReason.BadCryptographicParameters : ResultReason.InvalidField,
    );
    expect(await reason(Operation.Sign, [text(Tag.UniqueIdentifier, 'nope'), bytes(Tag.Data, DATA)])).toBe(ResultReason.ItemNotFound);
  });

  it('the public key inherits the type named only in the private key attributes', async () => {
    const { pub } = await createPair([], [alg(CryptographicAlgorithm.EC), len(521), mask(CryptographicUsageMask.Sign)], [mask(CryptographicUsageMask.Verify)]);
    const spki = createPublicKey({ key: (await keyMaterial(pub)).material, format: 'der', type: 'spki' });
    expect(spki.asymmetricKeyDetails?.namedCurve).toBe('secp521r1');
    const mismatch = await send(Operation.CreateKeyPair, [
      container(v, 'PrivateKey', [alg(CryptographicAlgorithm.EC), len(256)]),
      container(v, 'PublicKey', [alg(CryptographicAlgorithm.RSA), len(2048)]),
    ]);
    expect(mismatch.reason).toBe(ResultReason.InvalidField);
  });

  it('a non-extractable private key signs but Get refuses it', async () => {
    const { priv } = await createPair(
      [alg(CryptographicAlgorithm.EC), len(384), activeNow()],
      [mask(CryptographicUsageMask.Sign), ['Extractable', bool(Tag.Extractable, false)]],
      [mask(CryptographicUsageMask.Verify)],
    );
    ok(await send(Operation.Sign, [text(Tag.UniqueIdentifier, priv), bytes(Tag.Data, DATA)]));
    const g = await send(Operation.Get, [text(Tag.UniqueIdentifier, priv)]);
    expect(g.status).toBe(ResultStatus.OperationFailed);
    // Not Extractable exists from KMIP 1.4; 1.2 clients get Permission Denied.
    expect(g.reason).toBe(v[0] >= 2 ? ResultReason.NotExtractable : ResultReason.PermissionDenied);
  });
});
