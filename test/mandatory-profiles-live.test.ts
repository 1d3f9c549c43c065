/**
 * Result reasons the OASIS mandatory profile vectors fix per protocol version, through a live kmipd
 * (SoftHSM2, LevelDB, mutual TLS on loopback):
 *
 * - an operation the object's State forbids (AKLC-M-2 step 5 Destroy of an Active private key,
 *   AKLC-M-3 step 4 Modify Attribute of its Activation Date): Permission Denied at 1.x and 2.0
 *   (AKLC-M-2-13/-14/-20, AKLC-M-3-13/-14/-20), Wrong Key Lifecycle State at 2.1 (AKLC-M-2-21,
 *   AKLC-M-3-21).
 * - an unknown Unique Identifier, or another client's object (BL-M-4-21 step 5 Get of
 *   "AAABBBCCC"): Object Not Found at 2.1, Item Not Found before; at 2.1 Adjust Attribute and Create
 *   Split Key keep Item Not Found, the only reason their 2.1 error tables give.
 */
import { describe, it } from 'vitest';
import { AdjustmentType, CryptographicAlgorithm, CryptographicUsageMask, Operation, ResultReason, RevocationReasonCode, Tag } from '../src/kmip/generated/index.js';
import { bytes, dateTime, enm, int, interval, struct, text } from '../src/ttlv/build.js';
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
