/**
 * Derive Key live (mutual TLS, SoftHSM2, LevelDB) at KMIP 1.4 and 2.1: each method against a
 * known answer read back with Get (RFC 6070 PBKDF2, FIPS 180-4 SHA-256 of the OASIS key, RFC 4231
 * style HMAC-SHA256 as OASIS TC-DERIVEKEY-2 records it, RFC 5869 HKDF, NIST SP 800-38A AES ECB
 * and CBC and SP 800-67 3DES for ENCRYPT (in the HSM by *_CBC_ENCRYPT_DATA or by C_Encrypt), NIST
 * CAVP SP 800-108 counter, feedback and double-pipeline modes), the links between base and derived
 * objects, and the spec's errors.
 */
import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  DerivationMethod,
  HashingAlgorithm,
  KeyFormatType,
  LinkType,
  ObjectType,
  Operation,
  PaddingMethod,
  ResultReason,
  SecretDataType,
  Tag,
} from '../src/kmip/generated/index.js';
import { CryptographicUsageMask as M } from '../src/kmip/generated/masks.js';
import { bool, bytes, child, children, enm, int, struct, text } from '../src/ttlv/build.js';
import type { TtlvNode } from '../src/ttlv/types.js';
import { type ItemResult, payloadText } from './helpers/kmip-request.js';
import { activatedAMinuteAgo, expectFailure, expectSuccess, registerSymmetricKey, requestAttributes, useLiveKmipd } from './helpers/live.js';

type V = [number, number];
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const live = useLiveKmipd('derive-live');
const one = (v: V, operation: number, payload: TtlvNode[]): Promise<ItemResult> => live.one(v, operation, payload);
const ok = expectSuccess;
const fails = expectFailure;
const attrs = requestAttributes;
const active = activatedAMinuteAgo;

const registerKey = (v: V, alg: number, material: Buffer, mask: number, extra: TtlvNode[] = []): Promise<string> =>
  registerSymmetricKey(live, v, alg, material, mask, extra);

async function registerSecret(v: V, value: Buffer, mask: number, activate = true): Promise<string> {
  const r = ok(
    await one(v, Operation.Register, [
      enm(Tag.ObjectType, ObjectType.SecretData),
      attrs(v, [int(Tag.CryptographicUsageMask, mask), ...(activate ? [active()] : [])]),
      struct(Tag.SecretData, [
        enm(Tag.SecretDataType, SecretDataType.Password),
        struct(Tag.KeyBlock, [enm(Tag.KeyFormatType, KeyFormatType.Opaque), struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, value)])]),
      ]),
    ]),
  );
  return payloadText(r, Tag.UniqueIdentifier)!;
}

interface DeriveOpts {
  objectType?: number;
  method: number;
  params: TtlvNode[];
  alg?: number;
  bits?: number;
}
function derivePayload(v: V, base: string, o: DeriveOpts): TtlvNode[] {
  const objectType = o.objectType ?? ObjectType.SymmetricKey;
  const list: TtlvNode[] = [];
  if (objectType === ObjectType.SymmetricKey) list.push(enm(Tag.CryptographicAlgorithm, o.alg ?? CryptographicAlgorithm.AES));
  if (o.bits !== 0) list.push(int(Tag.CryptographicLength, o.bits ?? 128));
  list.push(int(Tag.CryptographicUsageMask, M.Encrypt | M.Decrypt));
  return [
    enm(Tag.ObjectType, objectType),
    text(Tag.UniqueIdentifier, base),
    enm(Tag.DerivationMethod, o.method),
    struct(Tag.DerivationParameters, o.params),
    attrs(v, list),
  ];
}
async function derive(v: V, base: string, o: DeriveOpts): Promise<ItemResult> {
  return one(v, Operation.DeriveKey, derivePayload(v, base, o));
}
/** The derived value, read back with Get. */
async function valueOf(v: V, uid: string): Promise<string> {
  const g = ok(await one(v, Operation.Get, [text(Tag.UniqueIdentifier, uid)]));
  const obj = child(g.payload!, Tag.SymmetricKey) ?? child(g.payload!, Tag.SecretData);
  const km = child(child(child(obj!, Tag.KeyBlock)!, Tag.KeyValue)!, Tag.KeyMaterial);
  return Buffer.from(km!.value as Uint8Array).toString('hex');
}
const hashParams = (h: number, extra: TtlvNode[] = []): TtlvNode[] => [struct(Tag.CryptographicParameters, [enm(Tag.HashingAlgorithm, h)]), ...extra];

const OASIS_KEY = hex('00112233445566778899aabbccddeeff');
// NIST SP 800-38A appendix F: keys, IV, plaintext; ECB (F.1.1) and CBC (F.2.1, F.2.5) ciphertexts.
const SP800_38A = {
  key128: hex('2b7e151628aed2a6abf7158809cf4f3c'),
  key256: hex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4'),
  iv: hex('000102030405060708090a0b0c0d0e0f'),
  pt: hex('6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710'),
  ecb128: '3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4',
  cbc128: '7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7',
  cbc256: 'f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b',
};
function encryptHex(cipher: string, key: Buffer, iv: Buffer, data: Buffer, pad: boolean): string {
  const c = createCipheriv(cipher, key, iv);
  c.setAutoPadding(pad);
  return Buffer.concat([c.update(data), c.final()]).toString('hex');
}

describe.each([
  ['1.4', [1, 4] as V],
  ['2.1', [2, 1] as V],
])('Derive Key at KMIP %s', (_n, v) => {
  it('HASH: SHA-256 of the base key, truncated (OASIS TC-DERIVEKEY-1)', async () => {
    const base = await registerKey(v, CryptographicAlgorithm.AES, OASIS_KEY, M.DeriveKey);
    const uid = payloadText(ok(await derive(v, base, { method: DerivationMethod.HASH, params: hashParams(HashingAlgorithm.SHA_256) })), Tag.UniqueIdentifier)!;
    expect(await valueOf(v, uid)).toBe('a8faed6abbf35c12a4b26e40f6feb19d');
  });

  it('HMAC without Salt: HMAC-SHA256(base, data), in the HSM (OASIS TC-DERIVEKEY-2)', async () => {
    const base = await registerKey(v, CryptographicAlgorithm.AES, OASIS_KEY, M.DeriveKey);
    const r = ok(await derive(v, base, { method: DerivationMethod.HMAC, params: hashParams(HashingAlgorithm.SHA_256, [bytes(Tag.DerivationData, hex('0102'))]) }));
    expect(await valueOf(v, payloadText(r, Tag.UniqueIdentifier)!)).toBe('1e15c1f1da233629f770fb0a04a5020e');
  });

  it('HMAC with Salt is HKDF (RFC 5869 test case 4, SHA-1), into Secret Data', async () => {
    const base = await registerSecret(v, hex('0b'.repeat(11)), M.DeriveKey);
    const r = ok(
      await derive(v, base, {
        objectType: ObjectType.SecretData,
        method: DerivationMethod.HMAC,
        bits: 336,
        params: hashParams(HashingAlgorithm.SHA_1, [bytes(Tag.DerivationData, hex('f0f1f2f3f4f5f6f7f8f9')), bytes(Tag.Salt, hex('000102030405060708090a0b0c'))]),
      }),
    );
    expect(await valueOf(v, payloadText(r, Tag.UniqueIdentifier)!)).toBe('085a01ea1b10f36933068b56efa5ad81a4f14b822f5b091568a9cdd4f155fda2c22e422478d305f3f896');
  });

  it('PBKDF2 from a Secret Data password (RFC 6070: c = 4096, default SHA-1), 160-bit "AES" kept as a generic secret', async () => {
    const base = await registerSecret(v, Buffer.from('password'), M.DeriveKey);
    const r = ok(await derive(v, base, { method: DerivationMethod.PBKDF2, bits: 160, params: [bytes(Tag.Salt, Buffer.from('salt')), int(Tag.IterationCount, 4096)] }));
    expect(await valueOf(v, payloadText(r, Tag.UniqueIdentifier)!)).toBe('4b007901b765489abead49d926f721d065a429c1');
  });

  it('ENCRYPT: AES-128 ECB of the Derivation Data in the HSM (SP 800-38A F.1.1)', async () => {
    const base = await registerKey(v, CryptographicAlgorithm.AES, hex('2b7e151628aed2a6abf7158809cf4f3c'), M.DeriveKey);
    const r = ok(
      await derive(v, base, {
        method: DerivationMethod.ENCRYPT,
        params: [struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.ECB)]), bytes(Tag.DerivationData, hex('6bc1bee22e409f96e93d7e117393172a'))],
      }),
    );
    expect(await valueOf(v, payloadText(r, Tag.UniqueIdentifier)!)).toBe('3ad77bb40d7a3660a89ecaf32466ef97');
  });

  it('ENCRYPT in CBC, made inside the HSM (CKM_AES_CBC_ENCRYPT_DATA): SP 800-38A F.2.5 and F.2.1, whole and cut to the leading bytes', async () => {
    const cbc = [struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.CBC)]), bytes(Tag.InitializationVector, SP800_38A.iv), bytes(Tag.DerivationData, SP800_38A.pt)];
    const k256 = await registerKey(v, CryptographicAlgorithm.AES, SP800_38A.key256, M.DeriveKey);
    const a = ok(await derive(v, k256, { method: DerivationMethod.ENCRYPT, bits: 256, params: cbc }));
    expect(await valueOf(v, payloadText(a, Tag.UniqueIdentifier)!)).toBe(SP800_38A.cbc256.slice(0, 64));
    const k128 = await registerKey(v, CryptographicAlgorithm.AES, SP800_38A.key128, M.DeriveKey);
    const b = ok(await derive(v, k128, { method: DerivationMethod.ENCRYPT, bits: 128, params: cbc }));
    expect(await valueOf(v, payloadText(b, Tag.UniqueIdentifier)!)).toBe(SP800_38A.cbc128.slice(0, 32));
    const c = ok(await derive(v, k128, { objectType: ObjectType.SecretData, method: DerivationMethod.ENCRYPT, bits: 512, params: cbc }));
    expect(await valueOf(v, payloadText(c, Tag.UniqueIdentifier)!)).toBe(SP800_38A.cbc128);
  });

  it('ENCRYPT with PKCS#5 padding (CBC) and ECB beyond one block (C_Encrypt) give the same bytes as Encrypt', async () => {
    const k128 = await registerKey(v, CryptographicAlgorithm.AES, SP800_38A.key128, M.DeriveKey);
    const short = SP800_38A.pt.subarray(0, 10);
    const padded = [
      struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.CBC), enm(Tag.PaddingMethod, PaddingMethod.PKCS5)]),
      bytes(Tag.InitializationVector, SP800_38A.iv),
      bytes(Tag.DerivationData, short),
    ];
    const p = ok(await derive(v, k128, { method: DerivationMethod.ENCRYPT, bits: 128, params: padded }));
    expect(await valueOf(v, payloadText(p, Tag.UniqueIdentifier)!)).toBe(encryptHex('aes-128-cbc', SP800_38A.key128, SP800_38A.iv, short, true));
    const ecb = [struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.ECB)]), bytes(Tag.DerivationData, SP800_38A.pt)];
    const e = ok(await derive(v, k128, { method: DerivationMethod.ENCRYPT, bits: 256, params: ecb }));
    expect(await valueOf(v, payloadText(e, Tag.UniqueIdentifier)!)).toBe(SP800_38A.ecb128.slice(0, 64));
  });

  it('ENCRYPT with a 3DES key inside the HSM (CKM_DES3_CBC_ENCRYPT_DATA): SP 800-67 ECB first block, CBC against node:crypto', async () => {
    const key = hex('0123456789abcdef 23456789abcdef01 456789abcdef0123');
    const fox = hex('5468652071756663 6b2062726f776e20 666f78206a756d70');
    const base = await registerKey(v, CryptographicAlgorithm.DES3, key, M.DeriveKey);
    const ecb = [struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.ECB)]), bytes(Tag.DerivationData, fox)];
    const e = ok(await derive(v, base, { objectType: ObjectType.SecretData, method: DerivationMethod.ENCRYPT, bits: 64, params: ecb }));
    expect(await valueOf(v, payloadText(e, Tag.UniqueIdentifier)!)).toBe('a826fd8ce53b855f');
    const iv = hex('0001020304050607');
    const cbc = [struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.CBC)]), bytes(Tag.InitializationVector, iv), bytes(Tag.DerivationData, fox)];
    const c = ok(await derive(v, base, { alg: CryptographicAlgorithm.DES3, method: DerivationMethod.ENCRYPT, bits: 192, params: cbc }));
    expect(await valueOf(v, payloadText(c, Tag.UniqueIdentifier)!)).toBe(encryptHex('des-ede3-cbc', key, iv, fox, false));
  });

  it('ENCRYPT with a Blowfish key (kept as a generic secret), CBC + PKCS#5, in process (Eric Young\'s CBC vector, as PyKMIP uses it)', async () => {
    const base = await registerKey(v, CryptographicAlgorithm.Blowfish, hex('0123456789abcdeff0e1d2c3b4a59687'), M.DeriveKey);
    const params = [
      struct(Tag.CryptographicParameters, [
        enm(Tag.BlockCipherMode, BlockCipherMode.CBC),
        enm(Tag.PaddingMethod, PaddingMethod.PKCS5),
        enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.Blowfish),
      ]),
      bytes(Tag.InitializationVector, hex('fedcba9876543210')),
      bytes(Tag.DerivationData, hex('37363534333231204e6f77206973207468652074696d6520666f722000')),
    ];
    const r = ok(await derive(v, base, { objectType: ObjectType.SecretData, method: DerivationMethod.ENCRYPT, bits: 256, params }));
    expect(await valueOf(v, payloadText(r, Tag.UniqueIdentifier)!)).toBe('6b77b4d63006dee605b156e27403979358deb9e7154616d9749decbec05d264b');
    // Without padding, 29 bytes are not whole blocks.
    const noPad = [struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.CBC)]), ...params.slice(1)];
    fails(await derive(v, base, { objectType: ObjectType.SecretData, method: DerivationMethod.ENCRYPT, bits: 256, params: noPad }), ResultReason.InvalidField);
    // Only the blocks up to the requested length are encrypted (the rest cannot change them):
    // the same vector followed by a MiB of other data gives the same first 128 bits.
    const long = [...params.slice(0, 2), bytes(Tag.DerivationData, Buffer.concat([hex('37363534333231204e6f77206973207468652074696d6520666f722000'), Buffer.alloc(1 << 20, 0x5a)]))];
    const l = ok(await derive(v, base, { objectType: ObjectType.SecretData, method: DerivationMethod.ENCRYPT, bits: 128, params: long }));
    expect(await valueOf(v, payloadText(l, Tag.UniqueIdentifier)!)).toBe('6b77b4d63006dee605b156e274039793');
  });

  it('NIST800-108-C with HMAC-SHA512, from an HSM HMAC key and from a generic secret (NIST CAVP KDFCTR)', async () => {
    const ki = hex(
      'dd5dbd45593ee2ac139748e7645b450f223d2ff297b73fd71cbcebe71d41653c950b88500de5322d99ef18dfdd30428294c4b3094f4c954334e593bd982ec614',
    );
    const params = hashParams(HashingAlgorithm.SHA_512, [
      bytes(Tag.DerivationData, hex('b50b0c963c6b3034b8cf19cd3f5c4ebe4f4985af0c03e575db62e6fdf1ecfe4f28b95d7ce16df85843246e1557ce95bb26cc9a21974bbd2eb69e8355')),
    ]);
    for (const alg of [CryptographicAlgorithm.HMAC_SHA512, CryptographicAlgorithm.AES]) {
      const base = await registerKey(v, alg, ki, M.DeriveKey);
      const r = ok(await derive(v, base, { method: DerivationMethod.NIST800_108_C, params }));
      expect(await valueOf(v, payloadText(r, Tag.UniqueIdentifier)!)).toBe('e5993bf9bd2aa1c45746042e12598155');
    }
    // The PRF hashes the fixed input once per output block: 1 MiB of it for 1024 bytes of SHA-512
    // output (16 blocks) is exactly the bound; one block more (SHA-256: 32) is refused.
    const base = await registerKey(v, CryptographicAlgorithm.AES, ki.subarray(0, 32), M.DeriveKey);
    const mib = (hash: number) => hashParams(hash, [bytes(Tag.DerivationData, Buffer.alloc(1 << 20, 7))]);
    ok(await derive(v, base, { method: DerivationMethod.NIST800_108_C, params: mib(HashingAlgorithm.SHA_512), alg: CryptographicAlgorithm.HMAC_SHA512, bits: 8192 }));
    fails(await derive(v, base, { method: DerivationMethod.NIST800_108_C, params: mib(HashingAlgorithm.SHA_256), alg: CryptographicAlgorithm.HMAC_SHA256, bits: 8192 }), ResultReason.InvalidField);
  });

  it('NIST800-108-F and -DPI with HMAC-SHA256, in the HSM and in process (NIST CAVP KDFFeedback, KDFDblPipeline)', async () => {
    const fb = {
      ki: hex('93f698e842eed75394d629d957e2e89c6e741f810b623c8b901e38376d068e7b'),
      params: hashParams(HashingAlgorithm.SHA_256, [
        bytes(Tag.InitializationVector, hex('9f575d9059d3e0c0803f08112f8a806de3c3471912cdf42b095388b14b33508e')),
        bytes(Tag.DerivationData, hex('53b89c18690e2057a1d167822e636de50be0018532c431f7f5e37f77139220d5e042599ebe266af5767ee18cd2c5c19a1f0f80')),
      ]),
      ko: 'bd1476f43a4e315747cf5918e0ea5bc0d98769457477c3ab18b742def0e079a933b756365afb5541f253fee43c6fd788a44041038509e9eeb68f7d65ffbb5f95',
    };
    const dpi = {
      ki: hex('02d36fa021c20ddbdee469f0579468bae5cb13b548b6c61cdf9d3ec419111de2'),
      params: hashParams(HashingAlgorithm.SHA_256, [
        bytes(Tag.DerivationData, hex('85abe38bf265fbdc6445ae5c71159f1548c73b7d526a623104904a0f8792070b3df9902b9669490425a385eadb0f9c76e46f0f')),
      ]),
      ko: 'd69f74f518c9f64f90a0beebab69f689b73b5c13eb0f860a95cad7d9814f8c506eb7b179a5c5b4466a9ec154c3bf1c13efd6ec0d82b02c29af2c690299edc453',
    };
    for (const [method, t] of [
      [DerivationMethod.NIST800_108_F, fb],
      [DerivationMethod.NIST800_108_DPI, dpi],
    ] as const) {
      // An HMAC key the HSM holds (C_Sign), and the same bytes as Secret Data (HMAC in process).
      const bases = [await registerKey(v, CryptographicAlgorithm.HMAC_SHA256, t.ki, M.DeriveKey), await registerSecret(v, t.ki, M.DeriveKey)];
      for (const base of bases) {
        const r = ok(await derive(v, base, { objectType: ObjectType.SecretData, method, bits: 512, params: t.params }));
        expect(await valueOf(v, payloadText(r, Tag.UniqueIdentifier)!)).toBe(t.ko);
      }
    }
    const base = await registerSecret(v, dpi.ki, M.DeriveKey);
    // Double-pipeline takes no IV; both need the fixed input data.
    fails(await derive(v, base, { objectType: ObjectType.SecretData, method: DerivationMethod.NIST800_108_DPI, bits: 256, params: fb.params }), ResultReason.InvalidField);
    fails(await derive(v, base, { objectType: ObjectType.SecretData, method: DerivationMethod.NIST800_108_F, bits: 256, params: hashParams(HashingAlgorithm.SHA_256) }), ResultReason.InvalidField);
  });

  it('links the derived object to its base and back, and keeps the requested attributes', async () => {
    const base = await registerKey(v, CryptographicAlgorithm.AES, OASIS_KEY, M.DeriveKey);
    const uid = payloadText(ok(await derive(v, base, { method: DerivationMethod.HASH, params: hashParams(HashingAlgorithm.SHA_256) })), Tag.UniqueIdentifier)!;
    const linksOf = async (u: string): Promise<[number, string][]> => {
      const g = ok(await one([2, 1], Operation.GetAttributes, [text(Tag.UniqueIdentifier, u)]));
      return children(child(g.payload!, Tag.Attributes)!, Tag.Link).map((l) => [child(l, Tag.LinkType)!.value as number, child(l, Tag.LinkedObjectIdentifier)!.value as string]);
    };
    expect(await linksOf(uid)).toEqual([[LinkType.DerivationBaseObjectLink, base]]);
    expect(await linksOf(base)).toEqual([[LinkType.DerivedKeyLink, uid]]);
    const g = ok(await one([2, 1], Operation.GetAttributes, [text(Tag.UniqueIdentifier, uid)]));
    const a = child(g.payload!, Tag.Attributes)!;
    expect(child(a, Tag.CryptographicUsageMask)?.value).toBe(M.Encrypt | M.Decrypt);
    expect(child(a, Tag.CryptographicLength)?.value).toBe(128);
    expect(child(a, Tag.ObjectType)?.value).toBe(ObjectType.SymmetricKey);
  });

  it('ENCRYPT and HMAC run in the HSM from non-extractable keys; HASH from one answers Not Extractable', async () => {
    const create = async (alg: number, bits: number): Promise<string> => {
      const c = ok(
        await one(v, Operation.Create, [
          enm(Tag.ObjectType, ObjectType.SymmetricKey),
          attrs(v, [enm(Tag.CryptographicAlgorithm, alg), int(Tag.CryptographicLength, bits), int(Tag.CryptographicUsageMask, M.DeriveKey), bool(Tag.Extractable, false), active()]),
        ]),
      );
      return payloadText(c, Tag.UniqueIdentifier)!;
    };
    const aes = await create(CryptographicAlgorithm.AES, 256);
    const ecb = [struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.ECB)]), bytes(Tag.DerivationData, hex('00'.repeat(32)))];
    const a = payloadText(ok(await derive(v, aes, { method: DerivationMethod.ENCRYPT, bits: 256, params: ecb })), Tag.UniqueIdentifier)!;
    const b = payloadText(ok(await derive(v, aes, { method: DerivationMethod.ENCRYPT, bits: 256, params: ecb })), Tag.UniqueIdentifier)!;
    // Same key, same data: the same derived value; ECB of two equal blocks gives two equal halves.
    const va = await valueOf(v, a);
    expect(va).toBe(await valueOf(v, b));
    expect(va.slice(0, 32)).toBe(va.slice(32));
    const hm = await create(CryptographicAlgorithm.HMAC_SHA256, 256);
    ok(await derive(v, hm, { method: DerivationMethod.HMAC, params: hashParams(HashingAlgorithm.SHA_256, [bytes(Tag.DerivationData, hex('00'))]) }));
    ok(await derive(v, hm, { method: DerivationMethod.NIST800_108_C, bits: 512, params: hashParams(HashingAlgorithm.SHA_256, [bytes(Tag.DerivationData, hex('00'))]) }));
    const notExtractable = v[0] === 1 && v[1] < 4 ? ResultReason.PermissionDenied : ResultReason.NotExtractable;
    fails(await derive(v, aes, { method: DerivationMethod.HASH, params: hashParams(HashingAlgorithm.SHA_256) }), notExtractable);
    fails(await derive(v, hm, { method: DerivationMethod.PBKDF2, params: [bytes(Tag.Salt, hex('00')), int(Tag.IterationCount, 1)] }), notExtractable);
  });

  it('refuses a base without the Derive Key usage', async () => {
    const base = await registerKey(v, CryptographicAlgorithm.AES, OASIS_KEY, M.Encrypt);
    fails(
      await derive(v, base, { method: DerivationMethod.HASH, params: hashParams(HashingAlgorithm.SHA_256) }),
      v[0] >= 2 ? ResultReason.IncompatibleCryptographicUsageMask : ResultReason.PermissionDenied,
    );
  });

  it('refuses a revoked (Deactivated) base', async () => {
    const base = await registerKey(v, CryptographicAlgorithm.AES, OASIS_KEY, M.DeriveKey);
    ok(await one(v, Operation.Revoke, [text(Tag.UniqueIdentifier, base), struct(Tag.RevocationReason, [enm(Tag.RevocationReasonCode, 1)])]));
    fails(
      await derive(v, base, { method: DerivationMethod.HASH, params: hashParams(HashingAlgorithm.SHA_256) }),
      v[0] > 2 || (v[0] === 2 && v[1] >= 1) ? ResultReason.WrongKeyLifecycleState : ResultReason.PermissionDenied,
    );
  });

  it('answers the spec errors for bad requests', async () => {
    const base = await registerKey(v, CryptographicAlgorithm.AES, OASIS_KEY, M.DeriveKey);
    const sha = hashParams(HashingAlgorithm.SHA_256);
    // Methods not implemented.
    fails(await derive(v, base, { method: DerivationMethod.AWSSignatureVersion4, params: sha }), ResultReason.FeatureNotSupported);
    // Asymmetric Key (ECDH, test/derive-ecdh-live.test.ts) needs a private and a public key, not one symmetric base.
    fails(await derive(v, base, { method: DerivationMethod.AsymmetricKey, params: sha }), ResultReason.InvalidField);
    // Missing Cryptographic Length; not whole bytes; longer than the hash.
    fails(await derive(v, base, { method: DerivationMethod.HASH, params: sha, bits: 0 }), ResultReason.MissingData);
    fails(await derive(v, base, { method: DerivationMethod.HASH, params: sha, bits: 100 }), ResultReason.InvalidField);
    fails(await derive(v, base, { method: DerivationMethod.HASH, params: sha, bits: 512 }), ResultReason.InvalidField);
    // PBKDF2 without Salt or Iteration Count; HMAC without Derivation Data; no hash named.
    fails(await derive(v, base, { method: DerivationMethod.PBKDF2, params: [int(Tag.IterationCount, 2)] }), ResultReason.InvalidField);
    fails(await derive(v, base, { method: DerivationMethod.PBKDF2, params: [bytes(Tag.Salt, hex('00'))] }), ResultReason.InvalidField);
    // PBKDF2 beyond the work bound (4,000,000 HMAC pairs): 5,000,000 iterations of one block; 0 iterations.
    const secret1 = await registerSecret(v, Buffer.from('password'), M.DeriveKey);
    fails(await derive(v, secret1, { method: DerivationMethod.PBKDF2, params: [bytes(Tag.Salt, hex('00')), int(Tag.IterationCount, 5_000_000)] }), ResultReason.InvalidField);
    fails(await derive(v, secret1, { method: DerivationMethod.PBKDF2, params: [bytes(Tag.Salt, hex('00')), int(Tag.IterationCount, 0)] }), ResultReason.InvalidField);
    fails(await derive(v, base, { method: DerivationMethod.HMAC, params: sha }), ResultReason.InvalidField);
    fails(await derive(v, base, { method: DerivationMethod.HASH, params: [] }), ResultReason.InvalidField);
    // A Public Key cannot be derived.
    fails(await derive(v, base, { objectType: ObjectType.PublicKey, method: DerivationMethod.HASH, params: sha }), v[0] >= 2 ? ResultReason.InvalidObjectType : ResultReason.InvalidField);
    // Unknown base object.
    fails(await derive(v, 'no-such-object', { method: DerivationMethod.HASH, params: sha }), v[0] >= 2 ? ResultReason.ObjectNotFound : ResultReason.ItemNotFound);
    // ENCRYPT from a Secret Data (no HSM cipher key).
    const secret = await registerSecret(v, Buffer.from('password'), M.DeriveKey);
    fails(
      await derive(v, secret, { method: DerivationMethod.ENCRYPT, params: [struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.ECB)]), bytes(Tag.DerivationData, hex('00'.repeat(16)))] }),
      ResultReason.FeatureNotSupported,
    );
  });
});
