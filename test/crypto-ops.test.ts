/**
 * Encrypt, Decrypt, MAC, MAC Verify, Hash, RNG Retrieve and RNG Seed in process (dispatcher, memory
 * store, fake crypto provider), with keys registered from known bytes: NIST SP 800-38A (ECB, CBC,
 * CTR), McGrew-Viega GCM test cases 2-4, RFC 4231 HMAC, SP 800-38B CMAC, FIPS 180-4 hashes.
 * The same answers from SoftHSM2 are checked in src/crypto/pkcs11/cipher.test.ts and over TLS in
 * test/crypto-live.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../src/dispatch/dispatcher.js';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  HashingAlgorithm,
  KeyFormatType,
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
import { type ItemResult, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';

const peer = { principal: 'alice', connId: 'c1' };
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const V21: [number, number] = [2, 1];
const V12: [number, number] = [1, 2];
const ENC_DEC = 0x0c;
const MAC_BITS = 0x180;

let d: Dispatcher;
beforeEach(() => {
  d = testDispatcher();
});

async function one(version: [number, number], operation: number, payload: TtlvNode[]): Promise<ItemResult> {
  return parseResponse(await d.handle(request(version, [{ operation, payload }]), peer)).items[0]!;
}

function ok(r: ItemResult): ItemResult {
  expect({ status: r.status, reason: r.reason, message: r.message }).toEqual({ status: ResultStatus.Success, reason: undefined, message: undefined });
  return r;
}

function failed(r: ItemResult, reason: number): void {
  expect({ status: r.status, reason: r.reason }).toEqual({ status: ResultStatus.OperationFailed, reason });
}

const out = (r: ItemResult, tag: number): Buffer | undefined => {
  const n = r.payload && child(r.payload, tag);
  return n?.type === 'ByteString' ? Buffer.from(n.value) : undefined;
};

interface KeyOpts {
  mask?: number;
  active?: boolean;
  params?: TtlvNode[];
  extra?: TtlvNode[];
}

/** Registers a symmetric key from known bytes (KMIP 2.1 Register, Raw). */
async function register(alg: number, material: Buffer, o: KeyOpts = {}): Promise<string> {
  const now = BigInt(Math.floor(Date.now() / 1000));
  const attrs: TtlvNode[] = [int(Tag.CryptographicUsageMask, o.mask ?? ENC_DEC)];
  if (o.active !== false) attrs.push(dateTime(Tag.ActivationDate, now - 3600n));
  if (o.params) attrs.push(struct(Tag.CryptographicParameters, o.params));
  attrs.push(...(o.extra ?? []));
  const r = ok(
    await one(V21, Operation.Register, [
      enm(Tag.ObjectType, ObjectType.SymmetricKey),
      struct(Tag.Attributes, attrs),
      struct(Tag.SymmetricKey, [
        struct(Tag.KeyBlock, [
          enm(Tag.KeyFormatType, KeyFormatType.Raw),
          struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, material)]),
          enm(Tag.CryptographicAlgorithm, alg),
          int(Tag.CryptographicLength, alg === CryptographicAlgorithm.DES3 ? 168 : material.length * 8),
        ]),
      ]),
    ]),
  );
  return payloadText(r, Tag.UniqueIdentifier)!;
}

const params = (mode: number, extra: TtlvNode[] = []): TtlvNode => struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, mode), ...extra]);
const uidNode = (uid: string): TtlvNode => text(Tag.UniqueIdentifier, uid);

const K128 = hex('2b7e151628aed2a6abf7158809cf4f3c');
const P = hex('6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51');

for (const version of [V12, [1, 4] as [number, number], [2, 0] as [number, number], V21]) {
  describe(`KMIP ${version.join('.')}`, () => {
    it('AES-128 ECB, CBC and CTR match NIST SP 800-38A F.1.1, F.2.1, F.5.1 and round-trip', async () => {
      const uid = await register(CryptographicAlgorithm.AES, K128);
      const enc = async (mode: number, iv?: Buffer) =>
        ok(await one(version, Operation.Encrypt, [uidNode(uid), params(mode), bytes(Tag.Data, P), ...(iv ? [bytes(Tag.IVCounterNonce, iv)] : [])]));
      const ecb = await enc(BlockCipherMode.ECB);
      expect(out(ecb, Tag.Data)!.toString('hex')).toBe('3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf');
      expect(out(ecb, Tag.IVCounterNonce)).toBeUndefined();
      const iv = hex('000102030405060708090a0b0c0d0e0f');
      const cbc = await enc(BlockCipherMode.CBC, iv);
      expect(out(cbc, Tag.Data)!.toString('hex')).toBe('7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2');
      // The client chose the IV, so it is not echoed (2.1 §6.1.18).
      expect(out(cbc, Tag.IVCounterNonce)).toBeUndefined();
      const ctrIv = hex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff');
      const ctr = await enc(BlockCipherMode.CTR, ctrIv);
      expect(out(ctr, Tag.Data)!.toString('hex')).toBe('874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff');
      for (const [mode, c, v] of [
        [BlockCipherMode.ECB, ecb, undefined],
        [BlockCipherMode.CBC, cbc, iv],
        [BlockCipherMode.CTR, ctr, ctrIv],
      ] as const) {
        const dec = ok(
          await one(version, Operation.Decrypt, [uidNode(uid), params(mode), bytes(Tag.Data, out(c, Tag.Data)!), ...(v ? [bytes(Tag.IVCounterNonce, v)] : [])]),
        );
        expect(out(dec, Tag.Data)).toEqual(P);
        expect(payloadText(dec, Tag.UniqueIdentifier)).toBe(uid);
      }
    });

    it('CBC with PKCS5 padding from the key attribute; the server generates and returns the IV', async () => {
      const uid = await register(CryptographicAlgorithm.AES, K128, {
        params: [enm(Tag.BlockCipherMode, BlockCipherMode.CBC), enm(Tag.PaddingMethod, PaddingMethod.PKCS5), bool(Tag.RandomIV, true)],
      });
      const msg = Buffer.from('thirty-three bytes of plaintext!!');
      const e = ok(await one(version, Operation.Encrypt, [uidNode(uid), bytes(Tag.Data, msg)]));
      const iv = out(e, Tag.IVCounterNonce)!;
      expect(iv).toHaveLength(16);
      expect(out(e, Tag.Data)).toHaveLength(48);
      // Decrypt without the IV: Invalid Message, as OASIS CS-BC-M-13 answers.
      failed(await one(version, Operation.Decrypt, [uidNode(uid), bytes(Tag.Data, out(e, Tag.Data)!)]), ResultReason.InvalidMessage);
      const dd = ok(await one(version, Operation.Decrypt, [uidNode(uid), bytes(Tag.Data, out(e, Tag.Data)!), bytes(Tag.IVCounterNonce, iv)]));
      expect(out(dd, Tag.Data)).toEqual(msg);
      // ECB with PKCS5 padding (CS-BC-M-8): one whole block of padding after a whole block.
      const ecb = ok(
        await one(version, Operation.Encrypt, [
          uidNode(uid),
          params(BlockCipherMode.ECB, [enm(Tag.PaddingMethod, PaddingMethod.PKCS5)]),
          bytes(Tag.Data, P.subarray(0, 16)),
        ]),
      );
      expect(out(ecb, Tag.Data)!.subarray(0, 16).toString('hex')).toBe('3ad77bb40d7a3660a89ecaf32466ef97');
      expect(out(ecb, Tag.Data)).toHaveLength(32);
    });

    it('3DES-CBC round-trips', async () => {
      const uid = await register(CryptographicAlgorithm.DES3, hex('0123456789abcdef23456789abcdef01456789abcdef0123'));
      const iv = hex('0001020304050607');
      const e = ok(await one(version, Operation.Encrypt, [uidNode(uid), params(BlockCipherMode.CBC), bytes(Tag.Data, P), bytes(Tag.IVCounterNonce, iv)]));
      const dd = ok(await one(version, Operation.Decrypt, [uidNode(uid), params(BlockCipherMode.CBC), bytes(Tag.Data, out(e, Tag.Data)!), bytes(Tag.IVCounterNonce, iv)]));
      expect(out(dd, Tag.Data)).toEqual(P);
    });

    it('HMAC (RFC 4231 case 1) and CMAC (SP 800-38B D.1): MAC, MAC Verify valid and invalid', async () => {
      const hk = await register(CryptographicAlgorithm.HMAC_SHA256, Buffer.alloc(20, 0x0b), { mask: MAC_BITS });
      const m = ok(await one(version, Operation.MAC, [uidNode(hk), bytes(Tag.Data, Buffer.from('Hi There'))]));
      expect(out(m, Tag.MACData)!.toString('hex')).toBe('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
      const verify = async (mac: Buffer) => {
        const r = ok(await one(version, Operation.MACVerify, [uidNode(hk), bytes(Tag.Data, Buffer.from('Hi There')), bytes(Tag.MACData, mac)]));
        return child(r.payload!, Tag.ValidityIndicator)!.value;
      };
      expect(await verify(out(m, Tag.MACData)!)).toBe(ValidityIndicator.Valid);
      const bad = Buffer.from(out(m, Tag.MACData)!);
      bad[0] = (bad[0] as number) ^ 1;
      expect(await verify(bad)).toBe(ValidityIndicator.Invalid);

      // An AES key used as an HMAC key by naming HMAC-SHA256 in the parameters (CS-AC-M-4).
      const ak = await register(CryptographicAlgorithm.AES, K128, {
        mask: MAC_BITS,
        params: [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.HMAC_SHA256)],
      });
      const am = ok(await one(version, Operation.MAC, [uidNode(ak), bytes(Tag.Data, P.subarray(0, 16))]));
      expect(out(am, Tag.MACData)).toHaveLength(32);
      // The same AES key without HMAC named computes a CMAC.
      const ck = await register(CryptographicAlgorithm.AES, K128, { mask: MAC_BITS });
      const cm = ok(await one(version, Operation.MAC, [uidNode(ck), bytes(Tag.Data, P.subarray(0, 16))]));
      expect(out(cm, Tag.MACData)!.toString('hex')).toBe('070a16b46b4d4144f79bdd9dd04a287c');
    });

    it('Hash SHA-256 and SHA-512 (CS-AC-M-7), RNG Retrieve, RNG Seed', async () => {
      const data = hex('01020304050607080910111213141516');
      const h = ok(await one(version, Operation.Hash, [struct(Tag.CryptographicParameters, [enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256)]), bytes(Tag.Data, data)]));
      expect(out(h, Tag.Data)!.toString('hex')).toMatch(/^ad41233d22cf9322e3a7ff49a13da434797abed3/);
      const h5 = ok(await one(version, Operation.Hash, [struct(Tag.CryptographicParameters, [enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_512)]), bytes(Tag.Data, data)]));
      expect(out(h5, Tag.Data)!.toString('hex')).toMatch(/^406a806f76c06b90c8aca278995d4271037f9112/);
      failed(await one(version, Operation.Hash, [bytes(Tag.Data, data)]), ResultReason.InvalidField);
      const r = ok(await one(version, Operation.RNGRetrieve, [int(Tag.DataLength, 32)]));
      expect(out(r, Tag.Data)).toHaveLength(32);
      failed(await one(version, Operation.RNGRetrieve, [int(Tag.DataLength, 0)]), ResultReason.InvalidField);
      failed(await one(version, Operation.RNGRetrieve, [int(Tag.DataLength, 1 << 20)]), ResultReason.InvalidField);
      const s = ok(await one(version, Operation.RNGSeed, [bytes(Tag.Data, Buffer.alloc(32, 9))]));
      expect(child(s.payload!, Tag.DataLength)!.value).toBe(32);
    });
  });
}

describe('GCM (McGrew-Viega test cases 2-4, as in OASIS CS-BC-M-GCM-1/2)', () => {
  it('tag, AAD, shorter tags, and a wrong tag, IV or ciphertext is Cryptographic Failure', async () => {
    const uid = await register(CryptographicAlgorithm.AES, Buffer.alloc(16));
    const gcm = (tagLen: number) => params(BlockCipherMode.GCM, [int(Tag.TagLength, tagLen)]);
    const iv = Buffer.alloc(12);
    const e = ok(await one(V21, Operation.Encrypt, [uidNode(uid), gcm(16), bytes(Tag.Data, Buffer.alloc(16)), bytes(Tag.IVCounterNonce, iv)]));
    expect(out(e, Tag.Data)!.toString('hex')).toBe('0388dace60b6a392f328c2b971b2fe78');
    expect(out(e, Tag.AuthenticatedEncryptionTag)!.toString('hex')).toBe('ab6e47d42cec13bdf53a67b21257bddf');
    expect(out(e, Tag.IVCounterNonce)).toBeUndefined();
    const dec = (ct: string, nonce: Buffer, tag: string, tagLen = 16) =>
      one(V21, Operation.Decrypt, [uidNode(uid), gcm(tagLen), bytes(Tag.Data, hex(ct)), bytes(Tag.IVCounterNonce, nonce), bytes(Tag.AuthenticatedEncryptionTag, hex(tag))]);
    expect(out(ok(await dec('0388dace60b6a392f328c2b971b2fe78', iv, 'ab6e47d42cec13bdf53a67b21257bddf')), Tag.Data)).toEqual(Buffer.alloc(16));
    failed(await dec('0388dace60b6a392f328c2b971b2fe78', iv, '006e47d42cec13bdf53a67b21257bddf'), ResultReason.CryptographicFailure);
    failed(await dec('0388dace60b6a392f328c2b971b2fe78', hex('ff0000000000000000000000'), 'ab6e47d42cec13bdf53a67b21257bddf'), ResultReason.CryptographicFailure);
    failed(await dec('ff88dace60b6a392f328c2b971b2fe78', iv, 'ab6e47d42cec13bdf53a67b21257bddf'), ResultReason.CryptographicFailure);
    expect(out(ok(await dec('0388dace60b6a392f328c2b971b2fe78', iv, 'ab6e47d42cec13bdf53a67b2', 12)), Tag.Data)).toEqual(Buffer.alloc(16));
    // Tag Length 1 and 32: General Failure, as CS-BC-M-GCM-1 answers.
    for (const t of [1, 32]) {
      failed(await one(V21, Operation.Encrypt, [uidNode(uid), gcm(t), bytes(Tag.Data, Buffer.alloc(16)), bytes(Tag.IVCounterNonce, iv)]), ResultReason.GeneralFailure);
    }
    // Empty plaintext and AAD: the tag alone (test case 1).
    const empty = ok(
      await one(V21, Operation.Encrypt, [uidNode(uid), gcm(16), bytes(Tag.Data, Buffer.alloc(0)), bytes(Tag.IVCounterNonce, iv), bytes(Tag.AuthenticatedEncryptionAdditionalData, Buffer.alloc(0))]),
    );
    expect(out(empty, Tag.AuthenticatedEncryptionTag)!.toString('hex')).toBe('58e2fccefa7e3061367f1d57a4e7455a');
    // Server-chosen 96-bit IV with Random IV, returned with the tag.
    const rnd = ok(await one(V21, Operation.Encrypt, [uidNode(uid), params(BlockCipherMode.GCM, [bool(Tag.RandomIV, true)]), bytes(Tag.Data, P)]));
    expect(out(rnd, Tag.IVCounterNonce)).toHaveLength(12);
    expect(out(rnd, Tag.AuthenticatedEncryptionTag)).toHaveLength(16);
    // IV Length (bits) sizes the IV the server chooses.
    const iv8 = ok(await one(V21, Operation.Encrypt, [uidNode(uid), params(BlockCipherMode.GCM, [int(Tag.IVLength, 64)]), bytes(Tag.Data, P)]));
    expect(out(iv8, Tag.IVCounterNonce)).toHaveLength(8);
    failed(await one(V21, Operation.Encrypt, [uidNode(uid), params(BlockCipherMode.CBC, [int(Tag.IVLength, 64)]), bytes(Tag.Data, P)]), ResultReason.BadCryptographicParameters);
    failed(
      await one(V21, Operation.Encrypt, [uidNode(uid), params(BlockCipherMode.CTR, [int(Tag.CounterLength, 32)]), bytes(Tag.Data, P), bytes(Tag.IVCounterNonce, Buffer.alloc(16))]),
      ResultReason.UnsupportedCryptographicParameters,
    );
  });
});

describe('refusals', () => {
  it('wrong usage mask: Incompatible Cryptographic Usage Mask (2.x), Permission Denied (1.x)', async () => {
    const uid = await register(CryptographicAlgorithm.AES, K128, { mask: 0x08 }); // Decrypt only
    const req = [uidNode(uid), params(BlockCipherMode.ECB), bytes(Tag.Data, P)];
    failed(await one(V21, Operation.Encrypt, req), ResultReason.IncompatibleCryptographicUsageMask);
    failed(await one(V12, Operation.Encrypt, req), ResultReason.PermissionDenied);
    ok(await one(V21, Operation.Decrypt, req));
    failed(await one(V21, Operation.MAC, [uidNode(uid), bytes(Tag.Data, P)]), ResultReason.IncompatibleCryptographicUsageMask);
  });

  it('state: Pre-Active refuses everything; Deactivated still decrypts but no longer encrypts (CS-BC-M-14)', async () => {
    const pre = await register(CryptographicAlgorithm.AES, K128, { active: false });
    const req = (u: string) => [uidNode(u), params(BlockCipherMode.ECB), bytes(Tag.Data, P)];
    failed(await one(V21, Operation.Encrypt, req(pre)), ResultReason.WrongKeyLifecycleState);
    failed(await one(V12, Operation.Encrypt, req(pre)), ResultReason.PermissionDenied);
    failed(await one(V21, Operation.Decrypt, req(pre)), ResultReason.WrongKeyLifecycleState);

    const uid = await register(CryptographicAlgorithm.AES, K128);
    ok(await one(V21, Operation.Revoke, [uidNode(uid), struct(Tag.RevocationReason, [enm(Tag.RevocationReasonCode, RevocationReasonCode.CessationOfOperation)])]));
    failed(await one(V21, Operation.Encrypt, req(uid)), ResultReason.WrongKeyLifecycleState);
    ok(await one(V21, Operation.Decrypt, req(uid)));

    const now = BigInt(Math.floor(Date.now() / 1000));
    const dated = await register(CryptographicAlgorithm.AES, K128, {
      extra: [dateTime(Tag.ProcessStartDate, now + 3600n), dateTime(Tag.ProtectStopDate, now - 3600n)],
    });
    failed(await one(V21, Operation.Encrypt, req(dated)), ResultReason.WrongKeyLifecycleState);
    failed(await one(V21, Operation.Decrypt, req(dated)), ResultReason.WrongKeyLifecycleState);
    failed(await one([1, 4], Operation.Encrypt, req(dated)), ResultReason.PermissionDenied);
    failed(await one([2, 0], Operation.Encrypt, req(dated)), ResultReason.PermissionDenied); // CS-BC-M-14-20
  });

  it('bad parameters and data', async () => {
    const uid = await register(CryptographicAlgorithm.AES, K128);
    const enc = (p: TtlvNode[]) => one(V21, Operation.Encrypt, [uidNode(uid), ...p]);
    failed(await enc([params(BlockCipherMode.CBC), bytes(Tag.Data, P), bytes(Tag.IVCounterNonce, Buffer.alloc(8))]), ResultReason.BadCryptographicParameters);
    failed(await one(V12, Operation.Encrypt, [uidNode(uid), params(BlockCipherMode.CBC), bytes(Tag.Data, P), bytes(Tag.IVCounterNonce, Buffer.alloc(8))]), ResultReason.InvalidField);
    failed(await enc([params(BlockCipherMode.CBC), bytes(Tag.Data, P.subarray(0, 5))]), ResultReason.InvalidField);
    failed(await enc([params(BlockCipherMode.XTS), bytes(Tag.Data, P)]), ResultReason.UnsupportedCryptographicParameters);
    failed(await one(V12, Operation.Encrypt, [uidNode(uid), params(BlockCipherMode.XTS), bytes(Tag.Data, P)]), ResultReason.FeatureNotSupported);
    failed(await enc([params(BlockCipherMode.CBC, [enm(Tag.PaddingMethod, PaddingMethod.OAEP)]), bytes(Tag.Data, P)]), ResultReason.UnsupportedCryptographicParameters);
    failed(await enc([bytes(Tag.Data, P)]), ResultReason.BadCryptographicParameters); // no mode anywhere
    failed(await enc([params(BlockCipherMode.ECB)]), ResultReason.InvalidField); // no Data
    failed(await enc([params(BlockCipherMode.ECB), text(Tag.Data, 'x')]), ResultReason.InvalidField); // wrong type
    // Bad PKCS5 padding on decrypt is a cryptographic failure.
    failed(
      await one(V21, Operation.Decrypt, [uidNode(uid), params(BlockCipherMode.ECB, [enm(Tag.PaddingMethod, PaddingMethod.PKCS5)]), bytes(Tag.Data, P)]),
      ResultReason.CryptographicFailure,
    );
    // Streaming is not offered.
    failed(await enc([params(BlockCipherMode.ECB), bytes(Tag.Data, P), bool(Tag.InitIndicator, true)]), ResultReason.FeatureNotSupported);
  });

  it('unknown uid, another owner, and a destroyed key', async () => {
    const req = (u: string) => [uidNode(u), params(BlockCipherMode.ECB), bytes(Tag.Data, P)];
    failed(await one(V21, Operation.Encrypt, req('no-such-key')), ResultReason.ObjectNotFound);
    const uid = await register(CryptographicAlgorithm.AES, K128, { active: false });
    const bob = parseResponse(await d.handle(request(V21, [{ operation: Operation.Encrypt, payload: req(uid) }]), { principal: 'bob', connId: 'c2' }));
    failed(bob.items[0]!, ResultReason.ObjectNotFound);
    ok(await one(V21, Operation.Destroy, [uidNode(uid)]));
    failed(await one(V21, Operation.Decrypt, req(uid)), ResultReason.ObjectDestroyed);
    failed(await one(V12, Operation.Decrypt, req(uid)), ResultReason.ItemNotFound);
  });

  it('Usage Limits in bytes: the second 16-byte Encrypt is refused (CS-BC-M-7)', async () => {
    const uid = await register(CryptographicAlgorithm.AES, K128, {
      extra: [struct(Tag.UsageLimits, [{ tag: Tag.UsageLimitsTotal, type: 'LongInteger', value: 16n }, enm(Tag.UsageLimitsUnit, 1)])],
    });
    const req = [uidNode(uid), params(BlockCipherMode.ECB), bytes(Tag.Data, P.subarray(0, 16))];
    ok(await one(V21, Operation.Encrypt, req));
    failed(await one(V21, Operation.Encrypt, req), ResultReason.PermissionDenied);
    ok(await one(V21, Operation.Decrypt, req)); // decrypting is not charged
  });

  it('multi-part Hash, MAC and MAC Verify (TC-STREAM-HASH-1, TC-STREAM-MAC-1); unknown Correlation Value', async () => {
    const sha = struct(Tag.CryptographicParameters, [enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256)]);
    const corrOf = (r: ItemResult) => out(r, Tag.CorrelationValue)!;
    const a = ok(await one(V21, Operation.Hash, [sha, bytes(Tag.Data, Buffer.from('a')), bool(Tag.InitIndicator, true)]));
    expect(out(a, Tag.Data)).toBeUndefined();
    const b = ok(await one(V21, Operation.Hash, [sha, bytes(Tag.Data, Buffer.from('b')), bytes(Tag.CorrelationValue, corrOf(a))]));
    expect(corrOf(b)).toEqual(corrOf(a));
    const c = ok(await one(V21, Operation.Hash, [bytes(Tag.Data, Buffer.from('c')), bytes(Tag.CorrelationValue, corrOf(a)), bool(Tag.FinalIndicator, true)]));
    expect(out(c, Tag.Data)!.toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(out(c, Tag.CorrelationValue)).toBeUndefined();
    // The stream is closed now.
    failed(await one(V21, Operation.Hash, [sha, bytes(Tag.Data, Buffer.from('d')), bytes(Tag.CorrelationValue, corrOf(a))]), ResultReason.InvalidCorrelationValue);
    failed(await one(V12, Operation.Hash, [sha, bytes(Tag.Data, Buffer.from('d')), bytes(Tag.CorrelationValue, corrOf(a))]), ResultReason.InvalidField);

    const hk = await register(CryptographicAlgorithm.HMAC_SHA256, Buffer.alloc(20, 0x0b), { mask: MAC_BITS });
    const m1 = ok(await one(V21, Operation.MAC, [uidNode(hk), bytes(Tag.Data, Buffer.from('Hi ')), bool(Tag.InitIndicator, true)]));
    const m2 = ok(await one(V21, Operation.MAC, [uidNode(hk), bytes(Tag.Data, Buffer.from('There')), bytes(Tag.CorrelationValue, corrOf(m1)), bool(Tag.FinalIndicator, true)]));
    const want = 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7';
    expect(out(m2, Tag.MACData)!.toString('hex')).toBe(want);
    const v1 = ok(await one(V21, Operation.MACVerify, [uidNode(hk), bytes(Tag.Data, Buffer.from('Hi')), bytes(Tag.MACData, hex(want)), bool(Tag.InitIndicator, true)]));
    const v2 = ok(await one(V21, Operation.MACVerify, [uidNode(hk), bytes(Tag.Data, Buffer.from(' There')), bytes(Tag.CorrelationValue, corrOf(v1)), bool(Tag.FinalIndicator, true)]));
    expect(child(v2.payload!, Tag.ValidityIndicator)!.value).toBe(ValidityIndicator.Valid);
    // Another principal cannot continue alice's stream.
    const h = ok(await one(V21, Operation.Hash, [sha, bytes(Tag.Data, Buffer.from('a')), bool(Tag.InitIndicator, true)]));
    const bob = parseResponse(
      await d.handle(request(V21, [{ operation: Operation.Hash, payload: [sha, bytes(Tag.Data, Buffer.from('b')), bytes(Tag.CorrelationValue, corrOf(h))] }]), { principal: 'bob', connId: 'c2' }),
    );
    failed(bob.items[0]!, ResultReason.InvalidCorrelationValue);
  });

  it('ID Placeholder: Create then Encrypt and Decrypt in one batch without a Unique Identifier', async () => {
    const now = BigInt(Math.floor(Date.now() / 1000));
    const create = {
      operation: Operation.Create,
      payload: [
        enm(Tag.ObjectType, ObjectType.SymmetricKey),
        struct(Tag.Attributes, [
          enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
          int(Tag.CryptographicLength, 256),
          int(Tag.CryptographicUsageMask, ENC_DEC),
          dateTime(Tag.ActivationDate, now - 10n),
          struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.ECB)]),
        ]),
      ],
    };
    const r = parseResponse(await d.handle(request(V21, [create, { operation: Operation.Encrypt, payload: [bytes(Tag.Data, P)] }]), peer));
    expect(r.items.map((i) => i.status)).toEqual([ResultStatus.Success, ResultStatus.Success]);
    const uid = payloadText(r.items[0]!, Tag.UniqueIdentifier)!;
    expect(payloadText(r.items[1]!, Tag.UniqueIdentifier)).toBe(uid);
    const back = ok(await one(V21, Operation.Decrypt, [uidNode(uid), bytes(Tag.Data, out(r.items[1]!, Tag.Data)!)]));
    expect(out(back, Tag.Data)).toEqual(P);
  });
});
