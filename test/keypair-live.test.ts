/**
 * Create Key Pair, Get, Sign, Signature Verify and Destroy over mutual TLS with SoftHSM2 and
 * LevelDB (the real composition root), at KMIP 1.2 and 2.0; one RSA-2048 pair and EC pairs keep
 * the run light. Also: the private key is not in LevelDB in the clear, and survives a restart.
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  CryptographicAlgorithm,
  CryptographicUsageMask,
  HashingAlgorithm,
  ObjectType,
  Operation,
  PaddingMethod,
  ResultReason,
  ResultStatus,
  RevocationReasonCode,
  Tag,
  ValidityIndicator,
} from '../src/kmip/generated/index.js';
import { bool, bytes, child, dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, payloadText } from './helpers/kmip-request.js';
import { expectSuccess, useLiveKmipd } from './helpers/live.js';

type V = [number, number];
const DATA = Buffer.from('kmipd signs this');

function v1Attrs(tag: number, list: [string, TtlvNode][]): TtlvNode {
  return struct(tag, list.map(([n, value]) => struct(Tag.Attribute, [text(Tag.AttributeName, n), { ...value, tag: Tag.AttributeValue } as TtlvNode])));
}

function pairPayload(v: V, common: [string, TtlvNode][], priv: [string, TtlvNode][], pub: [string, TtlvNode][]): TtlvNode[] {
  if (v[0] >= 2) {
    return [
      struct(Tag.CommonAttributes, common.map(([, x]) => x)),
      struct(Tag.PrivateKeyAttributes, priv.map(([, x]) => x)),
      struct(Tag.PublicKeyAttributes, pub.map(([, x]) => x)),
    ];
  }
  return [v1Attrs(Tag.CommonTemplateAttribute, common), v1Attrs(Tag.PrivateKeyTemplateAttribute, priv), v1Attrs(Tag.PublicKeyTemplateAttribute, pub)];
}

const activeNow = (): [string, TtlvNode] => ['Activation Date', dateTime(Tag.ActivationDate, BigInt(Math.floor(Date.now() / 1000) - 60))];
const usage = (m: number): [string, TtlvNode] => ['Cryptographic Usage Mask', int(Tag.CryptographicUsageMask, m)];

const privateDers: Buffer[] = [];
const live = useLiveKmipd('keypair-live');

describe.each([
  ['1.2', [1, 2] as V],
  ['2.0', [2, 0] as V],
])('key pairs over TLS at KMIP %s', (_l, v) => {
  const send = (operation: number, payload: TtlvNode[]): Promise<ItemResult> =>
    live.one(v, operation, payload);
  const ok = expectSuccess;
  const material = async (uid: string): Promise<Buffer> => {
    const r = ok(await send(Operation.Get, [text(Tag.UniqueIdentifier, uid)]));
    const type = child(r.payload!, Tag.ObjectType)!.value === ObjectType.PrivateKey ? Tag.PrivateKey : Tag.PublicKey;
    return Buffer.from(child(child(child(child(r.payload!, type)!, Tag.KeyBlock)!, Tag.KeyValue)!, Tag.KeyMaterial)!.value as Uint8Array);
  };
  const verify = async (uid: string, sig: Buffer, extra: TtlvNode[] = []) =>
    child(ok(await send(Operation.SignatureVerify, [text(Tag.UniqueIdentifier, uid), ...extra, bytes(Tag.Data, DATA), bytes(Tag.SignatureData, sig)])).payload!, Tag.ValidityIndicator)!
      .value;

  it('RSA-2048 (1.2) / EC P-384 (2.0): create, Get both halves, sign in the HSM, verify both ways, destroy', async () => {
    const rsa = v[0] < 2;
    const common: [string, TtlvNode][] = rsa
      ? [['Cryptographic Algorithm', enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.RSA)], ['Cryptographic Length', int(Tag.CryptographicLength, 2048)], activeNow()]
      : [['Cryptographic Algorithm', enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.ECDSA)], ['Cryptographic Length', int(Tag.CryptographicLength, 384)], activeNow()];
    const r = ok(await send(Operation.CreateKeyPair, pairPayload(v, common, [usage(CryptographicUsageMask.Sign)], [usage(CryptographicUsageMask.Verify)])));
    const priv = payloadText(r, Tag.PrivateKeyUniqueIdentifier)!;
    const pub = payloadText(r, Tag.PublicKeyUniqueIdentifier)!;

    // Served in the default Key Format Type: PKCS#1 for RSA (KMIP 2.1 §4.26), PKCS#8 / X.509 for EC.
    const privDer = await material(priv);
    privateDers.push(privDer);
    const spki = createPublicKey({ key: await material(pub), format: 'der', type: rsa ? 'pkcs1' : 'spki' });
    const pk = createPrivateKey({ key: privDer, format: 'der', type: rsa ? 'pkcs1' : 'pkcs8' });
    expect(createPublicKey(pk).export({ format: 'der', type: 'spki' }).equals(spki.export({ format: 'der', type: 'spki' }))).toBe(true);

    const cp = rsa ? [struct(Tag.CryptographicParameters, [enm(Tag.PaddingMethod, PaddingMethod.PKCS1V1_5), enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256)])] : [];
    const signed = ok(await send(Operation.Sign, [text(Tag.UniqueIdentifier, priv), ...cp, bytes(Tag.Data, DATA)]));
    const sig = Buffer.from(child(signed.payload!, Tag.SignatureData)!.value as Uint8Array);
    expect(nodeVerify('sha256', DATA, spki, sig)).toBe(true);
    expect(await verify(pub, sig, cp)).toBe(ValidityIndicator.Valid);
    expect(await verify(pub, nodeSign('sha256', DATA, pk), cp)).toBe(ValidityIndicator.Valid);
    sig[sig.length - 3] = (sig[sig.length - 3] as number) ^ 0x40;
    expect(await verify(pub, sig, cp)).toBe(ValidityIndicator.Invalid);

    // Verify with the private key's uid is the wrong object type; Sign with the public key too.
    const wrong = await send(Operation.SignatureVerify, [text(Tag.UniqueIdentifier, priv), bytes(Tag.Data, DATA), bytes(Tag.SignatureData, sig)]);
    expect(wrong.reason).toBe(v[0] >= 2 ? ResultReason.InvalidObjectType : ResultReason.IllegalOperation);

    // Revoke (Deactivated): Sign refused, Verify still allowed (KMIP 2.1 §4.57).
    ok(await send(Operation.Revoke, [text(Tag.UniqueIdentifier, priv), struct(Tag.RevocationReason, [enm(Tag.RevocationReasonCode, RevocationReasonCode.CessationOfOperation)])]));
    ok(await send(Operation.Revoke, [text(Tag.UniqueIdentifier, pub), struct(Tag.RevocationReason, [enm(Tag.RevocationReasonCode, RevocationReasonCode.CessationOfOperation)])]));
    const after = await send(Operation.Sign, [text(Tag.UniqueIdentifier, priv), ...cp, bytes(Tag.Data, DATA)]);
    expect(after.status).toBe(ResultStatus.OperationFailed);
    expect(await verify(pub, nodeSign('sha256', DATA, pk), cp)).toBe(ValidityIndicator.Valid);
    ok(await send(Operation.Destroy, [text(Tag.UniqueIdentifier, priv)]));
    ok(await send(Operation.Destroy, [text(Tag.UniqueIdentifier, pub)]));
  }, 60_000);

  it('a non-extractable EC pair stays in the HSM: signs, Get refused, Destroy removes it', async () => {
    const common: [string, TtlvNode][] = [
      ['Cryptographic Algorithm', enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.EC)],
      ['Cryptographic Length', int(Tag.CryptographicLength, 256)],
    ];
    const r = ok(
      await send(
        Operation.CreateKeyPair,
        pairPayload(v, common, [usage(CryptographicUsageMask.Sign), activeNow(), ['Extractable', bool(Tag.Extractable, false)]], [usage(CryptographicUsageMask.Verify)]),
      ),
    );
    const priv = payloadText(r, Tag.PrivateKeyUniqueIdentifier)!;
    const signed = ok(await send(Operation.Sign, [text(Tag.UniqueIdentifier, priv), bytes(Tag.Data, DATA)]));
    expect(child(signed.payload!, Tag.SignatureData)).toBeDefined();
    const g = await send(Operation.Get, [text(Tag.UniqueIdentifier, priv)]);
    expect(g.reason).toBe(v[0] >= 2 ? ResultReason.NotExtractable : ResultReason.PermissionDenied);
    ok(await send(Operation.Revoke, [text(Tag.UniqueIdentifier, priv), struct(Tag.RevocationReason, [enm(Tag.RevocationReasonCode, RevocationReasonCode.Unspecified)])]));
    ok(await send(Operation.Destroy, [text(Tag.UniqueIdentifier, priv)]));
  }, 60_000);
});

describe('storage', () => {
  it('keeps no private key in the clear in LevelDB', () => {
    const dir = join(live.dataDir, 'store');
    for (const f of readdirSync(dir)) {
      const content = readFileSync(join(dir, f));
      for (const der of privateDers) {
        // The private key DER minus its header: any 64-byte window of the secret part must not appear.
        expect(content.includes(der.subarray(der.length - 64)), `${f} holds a private key in the clear`).toBe(false);
      }
    }
  });
});
