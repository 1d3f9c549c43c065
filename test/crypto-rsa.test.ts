/**
 * Encrypt / Decrypt with RSA keys, live: mutual TLS, SoftHSM2 (private keys used as HSM session
 * objects) and LevelDB. Known answers: the OASIS CS-AC-M-OAEP-2/4/6/8-14 vectors (registered
 * PKCS#1 private keys, recorded ciphertexts, recorded plaintexts). Round trips against node:crypto
 * (an independent OAEP / PKCS#1 v1.5 implementation) with registered keys, and through the HSM
 * with Create Key Pair keys (wrapped and resident). Errors: wrong padding or hash, oversized data,
 * wrong object type, usage mask, lifecycle (Decrypt allowed when Deactivated, Encrypt not).
 * Sign / Signature Verify over Digested Data: PKCS#1 v1.5 byte-exact against node:crypto, PSS
 * and ECDSA verified by node:crypto over the message.
 */
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateDecrypt,
  publicDecrypt,
  publicEncrypt,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  HashingAlgorithm,
  KeyFormatType,
  MaskGenerator,
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
import { useLiveKmipd } from './helpers/live.js';
import { OASIS_DIR } from './helpers/oasis.js';

type V = [number, number];
const V21: V = [2, 1];
const V14: V = [1, 4];
const live = useLiveKmipd('crypto-rsa');

const one = live.one;
function ok(r: ItemResult): ItemResult {
  expect(r.status, r.message).toBe(ResultStatus.Success);
  return r;
}
function failed(r: ItemResult, reason: number): void {
  expect(r.status, r.message).toBe(ResultStatus.OperationFailed);
  expect(r.reason, r.message).toBe(reason);
}
const data = (r: ItemResult): Buffer => Buffer.from(child(r.payload!, Tag.Data)!.value as Uint8Array);
const uidNode = (uid: string): TtlvNode => text(Tag.UniqueIdentifier, uid);
const oaep = (hash: number, mgfHash?: number, extra: TtlvNode[] = []): TtlvNode[] => [
  enm(Tag.PaddingMethod, PaddingMethod.OAEP),
  enm(Tag.HashingAlgorithm, hash),
  ...(mgfHash !== undefined ? [enm(Tag.MaskGenerator, MaskGenerator.MGF1), enm(Tag.MaskGeneratorHashingAlgorithm, mgfHash)] : []),
  ...extra,
];
const params = (fields: TtlvNode[]): TtlvNode => struct(Tag.CryptographicParameters, fields);
const pkcs1v15 = [enm(Tag.PaddingMethod, PaddingMethod.PKCS1V1_5)];
const now = (): bigint => BigInt(Math.floor(Date.now() / 1000));

/** Registers an RSA key (2.1 Attributes) with the given usage and, optionally, Cryptographic Parameters. */
async function registerRsa(type: 'private' | 'public', material: Buffer, format: number, mask: number, cp?: TtlvNode[]): Promise<string> {
  const objectTag = type === 'private' ? Tag.PrivateKey : Tag.PublicKey;
  const r = ok(
    await one(V21, Operation.Register, [
      enm(Tag.ObjectType, type === 'private' ? ObjectType.PrivateKey : ObjectType.PublicKey),
      struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, mask), dateTime(Tag.ActivationDate, now() - 60n), ...(cp ? [params(cp)] : [])]),
      struct(objectTag, [
        struct(Tag.KeyBlock, [
          enm(Tag.KeyFormatType, format),
          struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, material)]),
          enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.RSA),
          int(Tag.CryptographicLength, 2048),
        ]),
      ]),
    ]),
  );
  return payloadText(r, Tag.UniqueIdentifier)!;
}

/** The registered key, the ciphertext and the plaintext of an OASIS CS-AC-M-OAEP Decrypt case. */
function oasisDecryptCase(n: number): { key: Buffer; ciphertext: Buffer; plaintext: Buffer } {
  const xml = readFileSync(join(OASIS_DIR, 'profiles', 'v1.4', 'mandatory', `CS-AC-M-OAEP-${n}-14.xml`), 'utf8');
  const key = /<KeyMaterial type="ByteString" value="([0-9a-f]+)"/.exec(xml)![1]!;
  const datas = [...xml.matchAll(/<Data type="ByteString" value="([0-9a-f]+)"/g)].map((m) => m[1]!);
  return { key: Buffer.from(key, 'hex'), ciphertext: Buffer.from(datas[0]!, 'hex'), plaintext: Buffer.from(datas[1]!, 'hex') };
}

describe('RSA Decrypt: known answers (OASIS CS-AC-M-OAEP vectors)', () => {
  it.each([
    [2, HashingAlgorithm.SHA_256, HashingAlgorithm.SHA_256],
    [4, HashingAlgorithm.SHA_384, HashingAlgorithm.SHA_384],
    [6, HashingAlgorithm.SHA_512, HashingAlgorithm.SHA_512],
    [8, HashingAlgorithm.SHA_384, HashingAlgorithm.SHA_256],
  ])('CS-AC-M-OAEP-%i: OAEP hash %i, MGF1 hash %i, parameters from the request and from the key', async (n, hash, mgf) => {
    const c = oasisDecryptCase(n);
    // Parameters in the key's attribute (as the vector registers them).
    const withAttr = await registerRsa('private', c.key, KeyFormatType.PKCS_1, CryptographicUsageMask.Decrypt, oaep(hash, mgf));
    expect(data(ok(await one(V21, Operation.Decrypt, [uidNode(withAttr), bytes(Tag.Data, c.ciphertext)])))).toEqual(c.plaintext);
    // Parameters in the request, key without any.
    const bare = await registerRsa('private', c.key, KeyFormatType.PKCS_1, CryptographicUsageMask.Decrypt);
    expect(data(ok(await one(V14, Operation.Decrypt, [uidNode(bare), params(oaep(hash, mgf)), bytes(Tag.Data, c.ciphertext)])))).toEqual(c.plaintext);
    // The wrong hash, the wrong MGF1 hash or the wrong padding do not decrypt: Cryptographic Failure.
    const wrongHash = hash === HashingAlgorithm.SHA_256 ? HashingAlgorithm.SHA_1 : HashingAlgorithm.SHA_256;
    failed(await one(V21, Operation.Decrypt, [uidNode(bare), params(oaep(wrongHash, mgf)), bytes(Tag.Data, c.ciphertext)]), ResultReason.CryptographicFailure);
    failed(await one(V21, Operation.Decrypt, [uidNode(bare), params(oaep(hash, HashingAlgorithm.SHA_1)), bytes(Tag.Data, c.ciphertext)]), ResultReason.CryptographicFailure);
    failed(await one(V21, Operation.Decrypt, [uidNode(bare), params(pkcs1v15), bytes(Tag.Data, c.ciphertext)]), ResultReason.CryptographicFailure);
    // A flipped ciphertext bit and a truncated ciphertext are decryption errors too.
    const flipped = Buffer.from(c.ciphertext);
    flipped[100] = (flipped[100] as number) ^ 1;
    failed(await one(V21, Operation.Decrypt, [uidNode(withAttr), bytes(Tag.Data, flipped)]), ResultReason.CryptographicFailure);
    failed(await one(V21, Operation.Decrypt, [uidNode(withAttr), bytes(Tag.Data, c.ciphertext.subarray(1))]), ResultReason.CryptographicFailure);
  }, 60_000);
});

describe('RSA Encrypt / Decrypt round trips', () => {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pkcs1 = pair.privateKey.export({ format: 'der', type: 'pkcs1' });
  const spki = pair.publicKey.export({ format: 'der', type: 'spki' });
  const M = Buffer.from('the quick brown fox jumps over the lazy dog');

  it.each([
    ['SHA-1', HashingAlgorithm.SHA_1, 'sha1'],
    ['SHA-256', HashingAlgorithm.SHA_256, 'sha256'],
    ['SHA-384', HashingAlgorithm.SHA_384, 'sha384'],
    ['SHA-512', HashingAlgorithm.SHA_512, 'sha512'],
  ])('OAEP %s agrees with node:crypto both ways', async (_n, hash, nodeHash) => {
    const pub = await registerRsa('public', spki, KeyFormatType.X_509, CryptographicUsageMask.Encrypt);
    const priv = await registerRsa('private', pkcs1, KeyFormatType.PKCS_1, CryptographicUsageMask.Decrypt);
    const ct = data(ok(await one(V21, Operation.Encrypt, [uidNode(pub), params(oaep(hash)), bytes(Tag.Data, M)])));
    expect(ct.length).toBe(256);
    expect(privateDecrypt({ key: pair.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: nodeHash }, ct)).toEqual(M);
    const theirs = publicEncrypt({ key: pair.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: nodeHash }, M);
    expect(data(ok(await one(V21, Operation.Decrypt, [uidNode(priv), params(oaep(hash)), bytes(Tag.Data, theirs)])))).toEqual(M);
    // OAEP is randomised: two encryptions differ.
    const ct2 = data(ok(await one(V21, Operation.Encrypt, [uidNode(pub), params(oaep(hash)), bytes(Tag.Data, M)])));
    expect(ct2.equals(ct)).toBe(false);
  }, 60_000);

  it('OAEP with a label (P Source) and a separate MGF1 hash; PKCS#1 v1.5 and None agree with node:crypto', async () => {
    const pub = await registerRsa('public', spki, KeyFormatType.X_509, CryptographicUsageMask.Encrypt);
    const priv = await registerRsa('private', pkcs1, KeyFormatType.PKCS_1, CryptographicUsageMask.Decrypt);
    const label = [bytes(Tag.PSource, Buffer.from('kmipd label'))];
    const cp = params(oaep(HashingAlgorithm.SHA_256, HashingAlgorithm.SHA_1, label));
    const ct = data(ok(await one(V21, Operation.Encrypt, [uidNode(pub), cp, bytes(Tag.Data, M)])));
    expect(data(ok(await one(V21, Operation.Decrypt, [uidNode(priv), cp, bytes(Tag.Data, ct)])))).toEqual(M);
    // node:crypto checks the label (MGF1 = OAEP hash there, so the SHA-256 / SHA-256 variant).
    const same = params(oaep(HashingAlgorithm.SHA_256, undefined, label));
    const ct3 = data(ok(await one(V21, Operation.Encrypt, [uidNode(pub), same, bytes(Tag.Data, M)])));
    expect(privateDecrypt({ key: pair.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from('kmipd label') }, ct3)).toEqual(M);
    // Without the label it does not decrypt.
    failed(await one(V21, Operation.Decrypt, [uidNode(priv), params(oaep(HashingAlgorithm.SHA_256)), bytes(Tag.Data, ct3)]), ResultReason.CryptographicFailure);

    const v15 = data(ok(await one(V21, Operation.Encrypt, [uidNode(pub), params(pkcs1v15), bytes(Tag.Data, M)])));
    // node:crypto no longer unpads PKCS#1 v1.5 on decryption (CVE-2023-46809): check EME-PKCS1-v1_5 by hand.
    const em = privateDecrypt({ key: pair.privateKey, padding: constants.RSA_NO_PADDING }, v15);
    const sep = em.indexOf(0, 2);
    expect([em[0], em[1]]).toEqual([0, 2]);
    expect(sep).toBeGreaterThanOrEqual(10);
    expect(em.subarray(sep + 1)).toEqual(M);
    expect(data(ok(await one(V21, Operation.Decrypt, [uidNode(priv), params(pkcs1v15), bytes(Tag.Data, v15)])))).toEqual(M);

    const raw = Buffer.concat([Buffer.alloc(1), Buffer.alloc(255, 0x5a)]);
    const none = params([enm(Tag.PaddingMethod, PaddingMethod.None)]);
    const rawCt = data(ok(await one(V21, Operation.Encrypt, [uidNode(pub), none, bytes(Tag.Data, raw)])));
    expect(rawCt).toEqual(publicEncrypt({ key: pair.publicKey, padding: constants.RSA_NO_PADDING }, raw));
    expect(data(ok(await one(V21, Operation.Decrypt, [uidNode(priv), none, bytes(Tag.Data, rawCt)])))).toEqual(raw);
  }, 60_000);

  it('keys from Create Key Pair (wrapped and resident) encrypt and decrypt in the HSM; lifecycle and usage rules', async () => {
    for (const extractable of [true, false]) {
      const r = ok(
        await one(V21, Operation.CreateKeyPair, [
          struct(Tag.CommonAttributes, [
            enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.RSA),
            int(Tag.CryptographicLength, 2048),
            dateTime(Tag.ActivationDate, now() - 60n),
            params(oaep(HashingAlgorithm.SHA_256)),
          ]),
          struct(Tag.PrivateKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Decrypt), bool(Tag.Extractable, extractable)]),
          struct(Tag.PublicKeyAttributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Encrypt)]),
        ]),
      );
      const priv = payloadText(r, Tag.PrivateKeyUniqueIdentifier)!;
      const pub = payloadText(r, Tag.PublicKeyUniqueIdentifier)!;
      const ct = data(ok(await one(V21, Operation.Encrypt, [uidNode(pub), bytes(Tag.Data, M)])));
      expect(data(ok(await one(V21, Operation.Decrypt, [uidNode(priv), bytes(Tag.Data, ct)])))).toEqual(M);

      // Wrong object types: Encrypt with the private key, Decrypt with the public key.
      failed(await one(V21, Operation.Encrypt, [uidNode(priv), bytes(Tag.Data, M)]), ResultReason.InvalidObjectType);
      failed(await one(V14, Operation.Decrypt, [uidNode(pub), bytes(Tag.Data, ct)]), ResultReason.IllegalOperation);

      // Revoked (Deactivated): Decrypt still allowed, Encrypt not (KMIP 2.1 §4.57).
      for (const uid of [priv, pub]) {
        ok(await one(V21, Operation.Revoke, [uidNode(uid), struct(Tag.RevocationReason, [enm(Tag.RevocationReasonCode, RevocationReasonCode.CessationOfOperation)])]));
      }
      expect(data(ok(await one(V21, Operation.Decrypt, [uidNode(priv), bytes(Tag.Data, ct)])))).toEqual(M);
      failed(await one(V21, Operation.Encrypt, [uidNode(pub), bytes(Tag.Data, M)]), ResultReason.WrongKeyLifecycleState);
      failed(await one(V14, Operation.Encrypt, [uidNode(pub), bytes(Tag.Data, M)]), ResultReason.PermissionDenied);
      ok(await one(V21, Operation.Destroy, [uidNode(priv)]));
      ok(await one(V21, Operation.Destroy, [uidNode(pub)]));
    }
  }, 120_000);

  it('bad parameters and data get the right KMIP errors', async () => {
    const pub = await registerRsa('public', spki, KeyFormatType.X_509, CryptographicUsageMask.Encrypt);
    const signOnly = await registerRsa('private', pkcs1, KeyFormatType.PKCS_1, CryptographicUsageMask.Sign);
    // No Padding Method anywhere: Bad Cryptographic Parameters (2.x) / Invalid Field (1.x).
    failed(await one(V21, Operation.Encrypt, [uidNode(pub), bytes(Tag.Data, M)]), ResultReason.BadCryptographicParameters);
    failed(await one(V14, Operation.Encrypt, [uidNode(pub), bytes(Tag.Data, M)]), ResultReason.InvalidField);
    // PSS is a signature padding: Unsupported Cryptographic Parameters (2.x) / Feature Not Supported (1.x).
    const pss = params([enm(Tag.PaddingMethod, PaddingMethod.PSS)]);
    failed(await one(V21, Operation.Encrypt, [uidNode(pub), pss, bytes(Tag.Data, M)]), ResultReason.UnsupportedCryptographicParameters);
    failed(await one(V14, Operation.Encrypt, [uidNode(pub), pss, bytes(Tag.Data, M)]), ResultReason.FeatureNotSupported);
    // An AES algorithm named for an RSA key.
    const aes = params([...oaep(HashingAlgorithm.SHA_1), enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES)]);
    failed(await one(V21, Operation.Encrypt, [uidNode(pub), aes, bytes(Tag.Data, M)]), ResultReason.BadCryptographicParameters);
    // A Block Cipher Mode does not apply to RSA and is ignored.
    const withMode = params([...oaep(HashingAlgorithm.SHA_1), enm(Tag.BlockCipherMode, BlockCipherMode.CBC)]);
    ok(await one(V21, Operation.Encrypt, [uidNode(pub), withMode, bytes(Tag.Data, M)]));
    // Data longer than the padding allows: OAEP SHA-256 takes 256 - 2*32 - 2 = 190 bytes.
    ok(await one(V21, Operation.Encrypt, [uidNode(pub), params(oaep(HashingAlgorithm.SHA_256)), bytes(Tag.Data, Buffer.alloc(190, 1))]));
    failed(await one(V21, Operation.Encrypt, [uidNode(pub), params(oaep(HashingAlgorithm.SHA_256)), bytes(Tag.Data, Buffer.alloc(191, 1))]), ResultReason.InvalidField);
    failed(await one(V21, Operation.Encrypt, [uidNode(pub), params(pkcs1v15), bytes(Tag.Data, Buffer.alloc(246, 1))]), ResultReason.InvalidField);
    // A private key without the Decrypt bit.
    const ct = publicEncrypt({ key: pair.publicKey, padding: constants.RSA_PKCS1_PADDING }, M);
    failed(await one(V21, Operation.Decrypt, [uidNode(signOnly), params(pkcs1v15), bytes(Tag.Data, ct)]), ResultReason.IncompatibleCryptographicUsageMask);
    failed(await one(V14, Operation.Decrypt, [uidNode(signOnly), params(pkcs1v15), bytes(Tag.Data, ct)]), ResultReason.PermissionDenied);
  }, 60_000);

  it('the node:crypto private key and the registered public key match (fixture sanity)', () => {
    expect(createPublicKey(createPrivateKey({ key: pkcs1, format: 'der', type: 'pkcs1' })).export({ format: 'der', type: 'spki' })).toEqual(spki);
  });
});

describe('Sign / Signature Verify over Digested Data', () => {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pkcs1 = pair.privateKey.export({ format: 'der', type: 'pkcs1' });
  const spki = pair.publicKey.export({ format: 'der', type: 'spki' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const M = Buffer.from('message whose digest the client computed');
  const sha = (alg: string): Buffer => createHash(alg).update(M).digest();
  const sig = (r: ItemResult): Buffer => Buffer.from(child(r.payload!, Tag.SignatureData)!.value as Uint8Array);
  const validity = (r: ItemResult): unknown => child(ok(r).payload!, Tag.ValidityIndicator)!.value;
  const pss = (hash: number): TtlvNode => params([enm(Tag.PaddingMethod, PaddingMethod.PSS), enm(Tag.HashingAlgorithm, hash)]);
  const v15 = (hash: number): TtlvNode => params([enm(Tag.PaddingMethod, PaddingMethod.PKCS1V1_5), enm(Tag.HashingAlgorithm, hash)]);

  it('RSA PKCS#1 v1.5: the DigestInfo for the named (or length-implied) hash; byte-exact against node:crypto', async () => {
    const priv = await registerRsa('private', pkcs1, KeyFormatType.PKCS_1, CryptographicUsageMask.Sign);
    const pub = await registerRsa('public', spki, KeyFormatType.X_509, CryptographicUsageMask.Verify);
    for (const [hash, alg] of [
      [HashingAlgorithm.SHA_1, 'sha1'],
      [HashingAlgorithm.SHA_256, 'sha256'],
      [HashingAlgorithm.SHA_384, 'sha384'],
      [HashingAlgorithm.SHA_512, 'sha512'],
    ] as const) {
      const expected = nodeSign(alg, M, pair.privateKey);
      expect(sig(ok(await one(V21, Operation.Sign, [uidNode(priv), v15(hash), bytes(Tag.DigestedData, sha(alg))])))).toEqual(expected);
      // No Hashing Algorithm named: the digest's length names it.
      expect(sig(ok(await one(V21, Operation.Sign, [uidNode(priv), bytes(Tag.DigestedData, sha(alg))])))).toEqual(expected);
      expect(validity(await one(V21, Operation.SignatureVerify, [uidNode(pub), v15(hash), bytes(Tag.DigestedData, sha(alg)), bytes(Tag.SignatureData, expected)]))).toBe(
        ValidityIndicator.Valid,
      );
      expect(validity(await one(V21, Operation.SignatureVerify, [uidNode(pub), v15(hash), bytes(Tag.Data, M), bytes(Tag.SignatureData, expected)]))).toBe(ValidityIndicator.Valid);
    }
    // A digest of the wrong length for the named hash.
    failed(await one(V21, Operation.Sign, [uidNode(priv), v15(HashingAlgorithm.SHA_256), bytes(Tag.DigestedData, sha('sha1'))]), ResultReason.BadCryptographicParameters);
  }, 60_000);

  it('RSA PKCS#1 v1.5 over Digested Data of no hash length and no hash named: signed as given (TC-RSA-SIGN-DIGESTEDDATA-1)', async () => {
    const priv = await registerRsa('private', pkcs1, KeyFormatType.PKCS_1, CryptographicUsageMask.Sign);
    const pub = await registerRsa('public', spki, KeyFormatType.X_509, CryptographicUsageMask.Verify);
    const d = Buffer.from('01020304050607080910111213141516', 'hex');
    const s = sig(ok(await one(V14, Operation.Sign, [uidNode(priv), bytes(Tag.DigestedData, d)])));
    expect(publicDecrypt({ key: pair.publicKey, padding: constants.RSA_PKCS1_PADDING }, s)).toEqual(d);
    expect(validity(await one(V14, Operation.SignatureVerify, [uidNode(pub), bytes(Tag.DigestedData, d), bytes(Tag.SignatureData, s)]))).toBe(ValidityIndicator.Valid);
    expect(validity(await one(V14, Operation.SignatureVerify, [uidNode(pub), pss(HashingAlgorithm.SHA_1), bytes(Tag.Data, d), bytes(Tag.SignatureData, s)]))).toBe(
      ValidityIndicator.Invalid,
    );
    // PSS needs the hash: a 16-byte digest names none.
    failed(await one(V21, Operation.Sign, [uidNode(priv), params([enm(Tag.PaddingMethod, PaddingMethod.PSS)]), bytes(Tag.DigestedData, d)]), ResultReason.BadCryptographicParameters);
  }, 60_000);

  it('RSA-PSS and ECDSA sign the digest directly; node:crypto verifies over the message', async () => {
    const priv = await registerRsa('private', pkcs1, KeyFormatType.PKCS_1, CryptographicUsageMask.Sign);
    const pub = await registerRsa('public', spki, KeyFormatType.X_509, CryptographicUsageMask.Verify);
    const s = sig(ok(await one(V21, Operation.Sign, [uidNode(priv), pss(HashingAlgorithm.SHA_256), bytes(Tag.DigestedData, sha('sha256'))])));
    expect(nodeVerify('sha256', M, { key: pair.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, s)).toBe(true);
    expect(validity(await one(V21, Operation.SignatureVerify, [uidNode(pub), pss(HashingAlgorithm.SHA_256), bytes(Tag.DigestedData, sha('sha256')), bytes(Tag.SignatureData, s)]))).toBe(
      ValidityIndicator.Valid,
    );

    const ecPriv = ok(
      await one(V21, Operation.Register, [
        enm(Tag.ObjectType, ObjectType.PrivateKey),
        struct(Tag.Attributes, [int(Tag.CryptographicUsageMask, CryptographicUsageMask.Sign), dateTime(Tag.ActivationDate, now() - 60n)]),
        struct(Tag.PrivateKey, [
          struct(Tag.KeyBlock, [
            enm(Tag.KeyFormatType, KeyFormatType.PKCS_8),
            struct(Tag.KeyValue, [bytes(Tag.KeyMaterial, ec.privateKey.export({ format: 'der', type: 'pkcs8' }))]),
            enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.EC),
            int(Tag.CryptographicLength, 256),
          ]),
        ]),
      ]),
    );
    const ecUid = payloadText(ecPriv, Tag.UniqueIdentifier)!;
    const es = sig(ok(await one(V21, Operation.Sign, [uidNode(ecUid), params([enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256)]), bytes(Tag.DigestedData, sha('sha256'))])));
    expect(nodeVerify('sha256', M, ec.publicKey, es)).toBe(true);
  }, 60_000);
});
