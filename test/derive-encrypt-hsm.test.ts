/**
 * Which path Derive Key by ENCRYPT takes, with the real parts behind the dispatcher (operations,
 * SoftHSM2 via src/crypto/pkcs11, the object store): where the HSM can make the exact bytes
 * (CKM_*_CBC_ENCRYPT_DATA, pkcs11/encrypt-derive.ts) the derived key is made and wrapped there and
 * C_Encrypt (the provider's encrypt) is never called; an ECB key longer than one block, a CBC
 * request without an IV and a resident base key still go through encrypt. Each derived key is
 * checked against its NIST SP 800-38A known answer by Get, and its Digest against the value; the
 * key made in the HSM also encrypts as that value does.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { type MockInstance, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WrappedDerivedKey } from '../src/crypto/asymmetric.js';
import type { Pkcs11CryptoProvider } from '../src/crypto/pkcs11/provider.js';
import { Dispatcher } from '../src/dispatch/dispatcher.js';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  DerivationMethod,
  KeyFormatType,
  ObjectType,
  Operation,
  ResultStatus,
  Tag,
} from '../src/kmip/generated/index.js';
import { bool, bytes, child, children, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, parseResponse, payloadText, request } from './helpers/kmip-request.js';
import { testDispatcher } from './helpers/dispatcher.js';
import { useSoftHsmProvider } from './helpers/softhsm.js';

const V: [number, number] = [2, 1];
const peer = { principal: 'alice', connId: 'c1' };
const fixture = useSoftHsmProvider('kmipd-derive-encrypt-hsm-');
let hsm: Pkcs11CryptoProvider;
let d: Dispatcher;

beforeAll(() => {
  hsm = fixture.hsm;
  d = testDispatcher({ crypto: hsm });
});

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// NIST SP 800-38A F.1.5 / F.2.5 (AES-256 ECB / CBC).
const KEY = hex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
const IV = hex('000102030405060708090a0b0c0d0e0f');
const PT = hex('6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51');
const CBC = 'f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d';
const ECB = 'f3eed1bdb5d2a03c064b5a7e3db181f8591ccb10d410ed26dc5ba74a31362870';

async function one(operation: number, payload: TtlvNode[]): Promise<ItemResult> {
  return parseResponse(await d.handle(request(V, [{ operation, payload }]), peer)).items[0]!;
}

function ok(r: ItemResult): ItemResult {
  expect(r.status, r.message).toBe(ResultStatus.Success);
  return r;
}

async function registerKey(): Promise<string> {
  const r = await one(Operation.Register, [
    enm(Tag.ObjectType, ObjectType.SymmetricKey),
    struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.DeriveKey)]),
    struct(Tag.SymmetricKey, [
      struct(Tag.KeyBlock, [
        enm(Tag.KeyFormatType, KeyFormatType.Raw),
        struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, KEY)]),
        enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
        int(Tag.CryptographicLength, 256),
      ]),
    ]),
  ]);
  return payloadText(ok(r), Tag.UniqueIdentifier)!;
}

async function derive(base: string, params: TtlvNode[]): Promise<string> {
  const r = await one(Operation.DeriveKey, [
    enm(Tag.ObjectType, ObjectType.SymmetricKey),
    text(Tag.UniqueIdentifier, base),
    enm(Tag.DerivationMethod, DerivationMethod.ENCRYPT),
    struct(Tag.DerivationParameters, params),
    struct(Tag.Attributes, [
      enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
      int(Tag.CryptographicLength, 256),
      int(Tag.CryptographicUsageMask, CryptographicUsageMask.Encrypt),
    ]),
  ]);
  return payloadText(ok(r), Tag.UniqueIdentifier)!;
}

function keyMaterial(node: TtlvNode | undefined): Uint8Array | undefined {
  if (node === undefined) return undefined;
  if (node.tag === Tag.KeyMaterial && node.type === 'ByteString') return node.value;
  if (node.type !== 'Structure') return undefined;
  for (const c of node.value) {
    const found = keyMaterial(c);
    if (found) return found;
  }
  return undefined;
}

async function valueOf(uid: string): Promise<string> {
  const r = ok(await one(Operation.Get, [text(Tag.UniqueIdentifier, uid)]));
  return Buffer.from(keyMaterial(r.payload)!).toString('hex');
}

/** The SHA-256 Digest Value the derived object carries. */
async function digestOf(uid: string): Promise<string | undefined> {
  const r = ok(await one(Operation.GetAttributes, [text(Tag.UniqueIdentifier, uid)]));
  const attrs = child(r.payload!, Tag.Attributes)!;
  for (const dg of children(attrs, Tag.Digest)) {
    const v = child(dg, Tag.DigestValue);
    if (v?.type === 'ByteString') return Buffer.from(v.value).toString('hex');
  }
  return undefined;
}

const params = (mode: number, rest: TtlvNode[] = []): TtlvNode[] => [struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, mode)]), ...rest, bytes(Tag.DerivationData, PT)];

let encrypt: MockInstance<Pkcs11CryptoProvider['encrypt']>;
let inHsm: MockInstance<Pkcs11CryptoProvider['encryptDeriveWrapped']>;
beforeEach(() => {
  vi.restoreAllMocks();
  encrypt = vi.spyOn(hsm, 'encrypt');
  inHsm = vi.spyOn(hsm, 'encryptDeriveWrapped');
});

async function lastInHsmResult(): Promise<WrappedDerivedKey | undefined> {
  return (await inHsm.mock.results.at(-1)!.value) as WrappedDerivedKey | undefined;
}

describe('Derive Key by ENCRYPT: the path taken', () => {
  it('AES-256 CBC (SP 800-38A F.2.5): made and wrapped in the HSM, no C_Encrypt', async () => {
    const base = await registerKey();
    const uid = await derive(base, params(BlockCipherMode.CBC, [bytes(Tag.InitializationVector, IV)]));
    expect(inHsm).toHaveBeenCalledTimes(1);
    expect(await lastInHsmResult()).toBeDefined();
    expect(encrypt).not.toHaveBeenCalled();
    expect(await valueOf(uid)).toBe(CBC);
    expect(await digestOf(uid)).toBe(createHash('sha256').update(hex(CBC)).digest('hex'));
    // The key the HSM made is an AES key the HSM uses: Encrypt with it matches node:crypto.
    const block = hex('00112233445566778899aabbccddeeff');
    ok(await one(Operation.Activate, [text(Tag.UniqueIdentifier, uid)]));
    const enc = ok(
      await one(Operation.Encrypt, [
        text(Tag.UniqueIdentifier, uid),
        struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.ECB)]),
        bytes(Tag.Data, block),
      ]),
    );
    const data = child(enc.payload!, Tag.Data);
    const expected = createCipheriv('aes-256-ecb', hex(CBC), null).setAutoPadding(false).update(block);
    expect(data?.type === 'ByteString' ? Buffer.from(data.value).toString('hex') : undefined).toBe(expected.toString('hex'));
  });

  it('AES-256 ECB of two blocks (SP 800-38A F.1.5): through C_Encrypt, the same known answer', async () => {
    const base = await registerKey();
    const uid = await derive(base, params(BlockCipherMode.ECB));
    expect(await lastInHsmResult()).toBeUndefined();
    expect(encrypt).toHaveBeenCalledTimes(1);
    expect(await valueOf(uid)).toBe(ECB);
    expect(await digestOf(uid)).toBe(createHash('sha256').update(hex(ECB)).digest('hex'));
  });

  it('CBC without an IV (the server draws one) and a resident base key go through C_Encrypt', async () => {
    const base = await registerKey();
    await derive(base, params(BlockCipherMode.CBC));
    expect(await lastInHsmResult()).toBeUndefined();
    expect(encrypt).toHaveBeenCalledTimes(1);

    const created = await one(Operation.Create, [
      enm(Tag.ObjectType, ObjectType.SymmetricKey),
      struct(Tag.Attributes, [
        enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
        int(Tag.CryptographicLength, 256),
        int(Tag.CryptographicUsageMask, CryptographicUsageMask.DeriveKey),
        bool(Tag.Extractable, false),
      ]),
    ]);
    const resident = payloadText(ok(created), Tag.UniqueIdentifier)!;
    await derive(resident, params(BlockCipherMode.CBC, [bytes(Tag.InitializationVector, IV)]));
    expect(await lastInHsmResult()).toBeUndefined();
    expect(encrypt).toHaveBeenCalledTimes(2);
  });
});
