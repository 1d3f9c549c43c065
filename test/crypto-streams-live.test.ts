/**
 * Multi-part (streaming) Encrypt and Decrypt over mutual TLS with SoftHSM2 (KMIP 2.1 §6.1.18,
 * §6.1.19): the parts' outputs concatenate to the single-shot answer (NIST SP 800-38A F.2.1,
 * AES-128-CBC), a stream belongs to the client that opened it, to its key and to its operation,
 * and a closed stream cannot be continued.
 */
import { describe, expect, it } from 'vitest';
import { BlockCipherMode, CryptographicAlgorithm, KeyFormatType, ObjectType, Operation, PaddingMethod, ResultReason, ResultStatus, Tag } from '../src/kmip/generated/index.js';
import { bool, bytes, child, dateTime, enm, int, struct } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, payloadText } from './helpers/kmip-request.js';
import { expectSuccess, useLiveKmipd } from './helpers/live.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const V21: [number, number] = [2, 1];
const live = useLiveKmipd('streams-live', ['alice', 'bob']);
const one = (as: 'alice' | 'bob', operation: number, payload: TtlvNode[]): Promise<ItemResult> => live.one(V21, operation, payload, as);
const ok = expectSuccess;
const out = (r: ItemResult, tag: number): Buffer => {
  const n = r.payload && child(r.payload, tag);
  return n?.type === 'ByteString' ? Buffer.from(n.value) : Buffer.alloc(0);
};

// NIST SP 800-38A F.2.1 / F.2.2 (CBC-AES128).
const KEY = hex('2b7e151628aed2a6abf7158809cf4f3c');
const IV = hex('000102030405060708090a0b0c0d0e0f');
const PT = hex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710');
const CT = hex('7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7');
const cbc = struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.CBC), enm(Tag.PaddingMethod, PaddingMethod.None)]);

async function registerAes(c: 'alice' | 'bob', material: Buffer): Promise<string> {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const r = ok(
    await one(c, Operation.Register, [
      enm(Tag.ObjectType, ObjectType.SymmetricKey),
      struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, 0x0c), dateTime(Tag.ActivationDate, now - 60n)]),
      struct(Tag.SymmetricKey, [
        struct(Tag.KeyBlock, [
          enm(Tag.KeyFormatType, KeyFormatType.Raw),
          struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, material)]),
          enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
          int(Tag.CryptographicLength, material.length * 8),
        ]),
      ]),
    ]),
  );
  return payloadText(r, Tag.UniqueIdentifier)!;
}

const uidNode = (uid: string): TtlvNode => ({ tag: Tag.UniqueIdentifier, type: 'TextString', value: uid });

describe('streaming Encrypt / Decrypt over TLS', () => {
  it('parts of 20, 30 and 14 bytes give the NIST ciphertext, and the ciphertext in parts decrypts back', async () => {
    const uid = await registerAes('alice', KEY);
    const e1 = ok(await one('alice', Operation.Encrypt, [uidNode(uid), cbc, bytes(Tag.Data, PT.subarray(0, 20)), bytes(Tag.IVCounterNonce, IV), bool(Tag.InitIndicator, true)]));
    const corr = out(e1, Tag.CorrelationValue);
    expect(corr.length).toBeGreaterThan(0);
    const e2 = ok(await one('alice', Operation.Encrypt, [uidNode(uid), cbc, bytes(Tag.Data, PT.subarray(20, 50)), bytes(Tag.CorrelationValue, corr)]));
    const e3 = ok(await one('alice', Operation.Encrypt, [uidNode(uid), cbc, bytes(Tag.Data, PT.subarray(50)), bytes(Tag.CorrelationValue, corr), bool(Tag.FinalIndicator, true)]));
    expect(Buffer.concat([out(e1, Tag.Data), out(e2, Tag.Data), out(e3, Tag.Data)])).toEqual(CT);
    // The stream is closed by its final part.
    const again = await one('alice', Operation.Encrypt, [uidNode(uid), cbc, bytes(Tag.Data, PT.subarray(0, 16)), bytes(Tag.CorrelationValue, corr)]);
    expect([again.status, again.reason]).toEqual([ResultStatus.OperationFailed, ResultReason.InvalidCorrelationValue]);

    const d1 = ok(await one('alice', Operation.Decrypt, [uidNode(uid), cbc, bytes(Tag.Data, CT.subarray(0, 33)), bytes(Tag.IVCounterNonce, IV), bool(Tag.InitIndicator, true)]));
    const dc = out(d1, Tag.CorrelationValue);
    const d2 = ok(await one('alice', Operation.Decrypt, [uidNode(uid), cbc, bytes(Tag.Data, CT.subarray(33)), bytes(Tag.CorrelationValue, dc), bool(Tag.FinalIndicator, true)]));
    expect(Buffer.concat([out(d1, Tag.Data), out(d2, Tag.Data)])).toEqual(PT);
  });

  it('another client cannot continue a stream; a part naming another key or the other operation is refused', async () => {
    const uid = await registerAes('alice', KEY);
    const other = await registerAes('alice', hex('000102030405060708090a0b0c0d0e0f'));
    const open = async (): Promise<Buffer> =>
      out(ok(await one('alice', Operation.Encrypt, [uidNode(uid), cbc, bytes(Tag.Data, PT.subarray(0, 16)), bytes(Tag.IVCounterNonce, IV), bool(Tag.InitIndicator, true)])), Tag.CorrelationValue);

    const c1 = await open();
    const byBob = await one('bob', Operation.Encrypt, [cbc, bytes(Tag.Data, PT.subarray(16, 32)), bytes(Tag.CorrelationValue, c1)]);
    expect(byBob.status).toBe(ResultStatus.OperationFailed);
    expect(byBob.reason).toBe(ResultReason.InvalidCorrelationValue);
    expect(byBob.message ?? '').not.toContain(KEY.toString('hex'));

    const c2 = await open();
    const wrongKey = await one('alice', Operation.Encrypt, [uidNode(other), cbc, bytes(Tag.Data, PT.subarray(16, 32)), bytes(Tag.CorrelationValue, c2)]);
    expect(wrongKey.status).toBe(ResultStatus.OperationFailed);

    const c3 = await open();
    const asDecrypt = await one('alice', Operation.Decrypt, [uidNode(uid), cbc, bytes(Tag.Data, CT.subarray(16, 32)), bytes(Tag.CorrelationValue, c3), bool(Tag.FinalIndicator, true)]);
    expect(asDecrypt.status).toBe(ResultStatus.OperationFailed);

    // The server is still serving alice normally afterwards.
    const whole = ok(await one('alice', Operation.Encrypt, [uidNode(uid), cbc, bytes(Tag.Data, PT), bytes(Tag.IVCounterNonce, IV)]));
    expect(out(whole, Tag.Data)).toEqual(CT);
  });
});
