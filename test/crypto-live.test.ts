/**
 * The cryptographic services live: mutual TLS, SoftHSM2 (keys unwrapped into HSM session objects)
 * and LevelDB, at KMIP 1.2 and 2.1. Known answers: NIST SP 800-38A (CBC, CTR), McGrew-Viega GCM
 * test case 4, RFC 4231 HMAC test case 6, SP 800-38B CMAC, FIPS 180-4 SHA-256.
 */
import { describe, expect, it } from 'vitest';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  HashingAlgorithm,
  KeyFormatType,
  ObjectType,
  Operation,
  ResultReason,
  ResultStatus,
  Tag,
  ValidityIndicator,
} from '../src/kmip/generated/index.js';
import { bytes, child, dateTime, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, payloadText } from './helpers/kmip-request.js';
import { useLiveKmipd } from './helpers/live.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const live = useLiveKmipd('crypto-live');

const one = live.one;
function ok(r: ItemResult): ItemResult {
  expect(r.status, r.message).toBe(ResultStatus.Success);
  return r;
}
const out = (r: ItemResult, tag: number): string | undefined => {
  const n = r.payload && child(r.payload, tag);
  return n?.type === 'ByteString' ? Buffer.from(n.value).toString('hex') : undefined;
};

async function register(alg: number, material: Buffer, mask: number): Promise<string> {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const r = ok(
    await one([2, 1], Operation.Register, [
      enm(Tag.ObjectType, ObjectType.SymmetricKey),
      struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, mask), dateTime(Tag.ActivationDate, now - 60n)]),
      struct(Tag.SymmetricKey, [
        struct(Tag.KeyBlock, [
          enm(Tag.KeyFormatType, KeyFormatType.Raw),
          struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, material)]),
          enm(Tag.CryptographicAlgorithm, alg),
          int(Tag.CryptographicLength, material.length * 8),
        ]),
      ]),
    ]),
  );
  return payloadText(r, Tag.UniqueIdentifier)!;
}

const mode = (m: number, extra: TtlvNode[] = []): TtlvNode => struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, m), ...extra]);
const P = hex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51');

describe.each([
  ['1.2', [1, 2] as [number, number]],
  ['2.1', [2, 1] as [number, number]],
])('cryptographic services live at KMIP %s (TLS + SoftHSM2 + LevelDB)', (_label, v) => {
  it('AES CBC / CTR / GCM known answers and round trips in the HSM', async () => {
    const uid = await register(CryptographicAlgorithm.AES, hex('2b7e151628aed2a6abf7158809cf4f3c'), 0x0c);
    const u = text(Tag.UniqueIdentifier, uid);
    const iv = hex('000102030405060708090a0b0c0d0e0f');
    const cbc = ok(await one(v, Operation.Encrypt, [u, mode(BlockCipherMode.CBC), bytes(Tag.Data, P), bytes(Tag.IVCounterNonce, iv)]));
    expect(out(cbc, Tag.Data)).toBe('7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2');
    const back = ok(await one(v, Operation.Decrypt, [u, mode(BlockCipherMode.CBC), bytes(Tag.Data, hex(out(cbc, Tag.Data)!)), bytes(Tag.IVCounterNonce, iv)]));
    expect(out(back, Tag.Data)).toBe(P.toString('hex'));
    const ctr = ok(await one(v, Operation.Encrypt, [u, mode(BlockCipherMode.CTR), bytes(Tag.Data, P), bytes(Tag.IVCounterNonce, hex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff'))]));
    expect(out(ctr, Tag.Data)).toBe('874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff');
    // Server-generated IV comes back; GCM with a wrong tag is a Cryptographic Failure.
    const g = ok(await one(v, Operation.Encrypt, [u, mode(BlockCipherMode.GCM), bytes(Tag.Data, P), bytes(Tag.AuthenticatedEncryptionAdditionalData, hex('feedface'))]));
    const gIv = hex(out(g, Tag.IVCounterNonce)!);
    const tag = hex(out(g, Tag.AuthenticatedEncryptionTag)!);
    expect(gIv).toHaveLength(12);
    const dec = (t: Buffer) =>
      one(v, Operation.Decrypt, [
        u,
        mode(BlockCipherMode.GCM),
        bytes(Tag.Data, hex(out(g, Tag.Data)!)),
        bytes(Tag.IVCounterNonce, gIv),
        bytes(Tag.AuthenticatedEncryptionAdditionalData, hex('feedface')),
        bytes(Tag.AuthenticatedEncryptionTag, t),
      ]);
    expect(out(ok(await dec(tag)), Tag.Data)).toBe(P.toString('hex'));
    const bad = Buffer.from(tag);
    bad[3] = (bad[3] as number) ^ 0x10;
    const f = await dec(bad);
    expect([f.status, f.reason]).toEqual([ResultStatus.OperationFailed, ResultReason.CryptographicFailure]);
    // The HSM session that saw the failure serves the next request.
    expect(out(ok(await dec(tag)), Tag.Data)).toBe(P.toString('hex'));
  });

  it('GCM test case 4 (AES-128, AAD, 60-byte plaintext)', async () => {
    const uid = await register(CryptographicAlgorithm.AES, hex('feffe9928665731c6d6a8f9467308308'), 0x0c);
    const pt = hex('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39');
    const r = ok(
      await one(v, Operation.Encrypt, [
        text(Tag.UniqueIdentifier, uid),
        mode(BlockCipherMode.GCM, [int(Tag.TagLength, 16)]),
        bytes(Tag.Data, pt),
        bytes(Tag.IVCounterNonce, hex('cafebabefacedbaddecaf888')),
        bytes(Tag.AuthenticatedEncryptionAdditionalData, hex('feedfacedeadbeeffeedfacedeadbeefabaddad2')),
      ]),
    );
    expect(out(r, Tag.Data)).toBe('42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091');
    expect(out(r, Tag.AuthenticatedEncryptionTag)).toBe('5bc94fbc3221a5db94fae95ae7121a47');
    expect(out(r, Tag.IVCounterNonce)).toBeUndefined();
  });

  it('HMAC-SHA256 (RFC 4231 case 6), AES-CMAC, MAC Verify; Hash; RNG Retrieve and Seed', async () => {
    const hk = await register(CryptographicAlgorithm.HMAC_SHA256, Buffer.alloc(131, 0xaa), 0x180);
    const data = Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First');
    const m = ok(await one(v, Operation.MAC, [text(Tag.UniqueIdentifier, hk), bytes(Tag.Data, data)]));
    expect(out(m, Tag.MACData)).toBe('60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54');
    const verify = async (mac: string) =>
      child(ok(await one(v, Operation.MACVerify, [text(Tag.UniqueIdentifier, hk), bytes(Tag.Data, data), bytes(Tag.MACData, hex(mac))])).payload!, Tag.ValidityIndicator)!.value;
    expect(await verify(out(m, Tag.MACData)!)).toBe(ValidityIndicator.Valid);
    expect(await verify('00'.repeat(32))).toBe(ValidityIndicator.Invalid);

    const ck = await register(CryptographicAlgorithm.AES, hex('2b7e151628aed2a6abf7158809cf4f3c'), 0x180);
    const c = ok(await one(v, Operation.MAC, [text(Tag.UniqueIdentifier, ck), bytes(Tag.Data, P.subarray(0, 16))]));
    expect(out(c, Tag.MACData)).toBe('070a16b46b4d4144f79bdd9dd04a287c');

    const h = ok(await one(v, Operation.Hash, [struct(Tag.CryptographicParameters, [enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256)]), bytes(Tag.Data, Buffer.from('abc'))]));
    expect(out(h, Tag.Data)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const r1 = out(ok(await one(v, Operation.RNGRetrieve, [int(Tag.DataLength, 32)])), Tag.Data)!;
    const r2 = out(ok(await one(v, Operation.RNGRetrieve, [int(Tag.DataLength, 32)])), Tag.Data)!;
    expect(r1).toHaveLength(64);
    expect(r1).not.toBe(r2);
    const s = ok(await one(v, Operation.RNGSeed, [bytes(Tag.Data, Buffer.alloc(16, 7))]));
    expect(child(s.payload!, Tag.DataLength)!.value).toBe(16);
  });
});
