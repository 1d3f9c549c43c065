/**
 * KMIP Derive Key by ENCRYPT inside SoftHSM2 (Pkcs11CryptoProvider.encryptDeriveWrapped,
 * encrypt-derive.ts): C_DeriveKey with CKM_AES_CBC_ENCRYPT_DATA / CKM_DES3_CBC_ENCRYPT_DATA into a
 * sensitive session object, wrapped under the master key. The wrapped refs export to NIST SP 800-38A
 * (AES CBC, ECB) and SP 800-67 (3DES ECB) known answers and to node:crypto for padded data and
 * 3DES CBC; a shorter key is the leading bytes; the HSM-computed SHA-256 matches; the cases the
 * module cannot make exactly (ECB beyond one block, an IV to draw, CTR/GCM, a resident base key,
 * a length beyond the ciphertext) answer undefined; bad parameters get encrypt()'s errors.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CipherParams } from '../cipher.js';
import type { KeyRef } from '../provider.js';
import { useSoftHsmProvider } from '../../../test/helpers/softhsm.js';

const p11 = useSoftHsmProvider('kmipd-p11-encdata-');

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
// NIST SP 800-38A appendix F: keys, IV and plaintext (F.1.1, F.1.5, F.2.1, F.2.5).
const AES128 = hex('2b7e151628aed2a6abf7158809cf4f3c');
const AES256 = hex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
const IV = hex('000102030405060708090a0b0c0d0e0f');
const PT = hex('6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710');
const CBC128 = '7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7';
const CBC256 = 'f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b';
const ECB128_1 = '3ad77bb40d7a3660a89ecaf32466ef97';
const ECB256_1 = 'f3eed1bdb5d2a03c064b5a7e3db181f8';
// NIST SP 800-67 Rev. 1 appendix B (TDEA ECB): three keys, "The quick brown fox jump".
const TDES = hex('0123456789abcdef 23456789abcdef01 456789abcdef0123');
const FOX = hex('5468652071756663 6b2062726f776e20 666f78206a756d70');
const FOX_ECB = 'a826fd8ce53b855fcce21c8112256fe668d5c05dd9b6b900';

async function derived(ref: KeyRef, algorithm: 'AES' | 'TDES', params: CipherParams, data: Buffer, length: number): Promise<string | undefined> {
  const r = await p11.hsm.encryptDeriveWrapped(ref, algorithm, { params, data, length });
  if (r === undefined) return undefined;
  expect(r.length).toBe(length);
  expect(r.ref.kind).toBe('wrapped');
  const value = Buffer.from(await p11.hsm.exportKeyMaterial(r.ref, 'GENERIC-SECRET'));
  expect(Buffer.from(r.sha256).toString('hex')).toBe(createHash('sha256').update(value).digest('hex'));
  return value.toString('hex');
}

function nodeEncrypt(cipher: string, key: Buffer, iv: Buffer | null, data: Buffer, pad: boolean): string {
  const c = createCipheriv(cipher, key, iv);
  c.setAutoPadding(pad);
  return Buffer.concat([c.update(data), c.final()]).toString('hex');
}

describe('Derive Key by ENCRYPT in the HSM', () => {
  it('AES CBC: SP 800-38A F.2.1 and F.2.5, whole and cut to leading bytes', async () => {
    const k128 = await p11.hsm.importSymmetricKey('AES', AES128);
    const k256 = await p11.hsm.importSymmetricKey('AES', AES256);
    const cbc: CipherParams = { mode: 'CBC', iv: IV };
    expect(await derived(k128, 'AES', cbc, PT, 64)).toBe(CBC128);
    expect(await derived(k128, 'AES', cbc, PT, 16)).toBe(CBC128.slice(0, 32));
    expect(await derived(k128, 'AES', cbc, PT, 24)).toBe(CBC128.slice(0, 48));
    expect(await derived(k128, 'AES', cbc, PT, 5)).toBe(CBC128.slice(0, 10));
    expect(await derived(k256, 'AES', cbc, PT, 32)).toBe(CBC256.slice(0, 64));
  });

  it('AES ECB: the first block (SP 800-38A F.1.1, F.1.5) as CBC under a zero IV; longer keys are left to C_Encrypt', async () => {
    const k128 = await p11.hsm.importSymmetricKey('AES', AES128);
    const k256 = await p11.hsm.importSymmetricKey('AES', AES256);
    expect(await derived(k128, 'AES', { mode: 'ECB' }, PT, 16)).toBe(ECB128_1);
    expect(await derived(k256, 'AES', { mode: 'ECB' }, PT.subarray(0, 16), 8)).toBe(ECB256_1.slice(0, 16));
    expect(await derived(k128, 'AES', { mode: 'ECB' }, PT, 32)).toBeUndefined();
  });

  it('PKCS#5 padding as Encrypt pads: ECB and CBC, the padding block included', async () => {
    const k = await p11.hsm.importSymmetricKey('AES', AES128);
    const short = PT.subarray(0, 10);
    expect(await derived(k, 'AES', { mode: 'ECB', padding: 'PKCS5' }, short, 16)).toBe(nodeEncrypt('aes-128-ecb', AES128, null, short, true));
    expect(await derived(k, 'AES', { mode: 'CBC', padding: 'PKCS5', iv: IV }, PT, 80)).toBe(nodeEncrypt('aes-128-cbc', AES128, IV, PT, true));
    expect(await derived(k, 'AES', { mode: 'CBC', padding: 'PKCS5', iv: IV }, Buffer.alloc(0), 16)).toBe(nodeEncrypt('aes-128-cbc', AES128, IV, Buffer.alloc(0), true));
  });

  it('3DES: SP 800-67 ECB first block, CBC against node:crypto; the value is not parity-adjusted', async () => {
    const k = await p11.hsm.importSymmetricKey('TDES', TDES);
    expect(await derived(k, 'TDES', { mode: 'ECB' }, FOX, 8)).toBe(FOX_ECB.slice(0, 16));
    const iv = IV.subarray(0, 8);
    const cbc = nodeEncrypt('des-ede3-cbc', TDES, iv, FOX, false);
    expect(await derived(k, 'TDES', { mode: 'CBC', iv }, FOX, 24)).toBe(cbc);
    expect(await derived(k, 'TDES', { mode: 'CBC', iv }, FOX, 16)).toBe(cbc.slice(0, 32));
    expect(await derived(k, 'TDES', { mode: 'ECB' }, FOX, 16)).toBeUndefined();
  });

  it('leaves to the caller what the module cannot make exactly', async () => {
    const k = await p11.hsm.importSymmetricKey('AES', AES128);
    // CBC without an IV: encrypt() would draw one at random.
    expect(await derived(k, 'AES', { mode: 'CBC' }, PT, 16)).toBeUndefined();
    expect(await derived(k, 'AES', { mode: 'CTR', iv: IV }, PT, 16)).toBeUndefined();
    expect(await derived(k, 'AES', { mode: 'GCM', iv: IV.subarray(0, 12) }, PT, 16)).toBeUndefined();
    // Longer than the ciphertext.
    expect(await derived(k, 'AES', { mode: 'CBC', iv: IV }, PT.subarray(0, 16), 32)).toBeUndefined();
    // A resident key has no CKA_DERIVE.
    const resident = await p11.hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 128, extractable: false });
    expect(resident.kind).toBe('resident');
    expect(await derived(resident, 'AES', { mode: 'ECB' }, PT, 16)).toBeUndefined();
  });

  it('refuses what encrypt() refuses, with its errors', async () => {
    const k = await p11.hsm.importSymmetricKey('AES', AES128);
    await expect(p11.hsm.encryptDeriveWrapped(k, 'AES', { params: { mode: 'CBC', iv: IV }, data: PT.subarray(0, 20), length: 16 })).rejects.toMatchObject({ problem: 'data-length' });
    await expect(p11.hsm.encryptDeriveWrapped(k, 'AES', { params: { mode: 'CBC', iv: IV.subarray(0, 8) }, data: PT, length: 16 })).rejects.toMatchObject({ problem: 'iv' });
    await expect(p11.hsm.encryptDeriveWrapped(k, 'AES', { params: { mode: 'ECB', iv: IV }, data: PT, length: 16 })).rejects.toMatchObject({ problem: 'iv' });
    await expect(p11.hsm.encrypt(k, 'AES', { mode: 'CBC', iv: IV }, PT.subarray(0, 20))).rejects.toMatchObject({ problem: 'data-length' });
  });
});
