/**
 * Encrypt/Decrypt/MAC inside SoftHSM2, checked against node:crypto with the exported key bytes.
 */
import { createCipheriv, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createFakeCryptoProvider } from '../fake-provider.js';
import { CryptoError, type KeyRef } from '../provider.js';
import type { CipherParams } from './cipher-params.js';
import { runsSynchronously, SYNC_MAX_BYTES } from './cipher.js';
import { openPkcs11Provider, type Pkcs11CryptoProvider } from './provider.js';
import { ensureSoftHsmToken } from './softhsm.js';

const dataDir = mkdtempSync(join(tmpdir(), 'kmipd-p11-cipher-'));
let hsm: Pkcs11CryptoProvider;
let aes: KeyRef;
let aesKey: Buffer;
let hmac: KeyRef;
let hmacKey: Buffer;

beforeAll(async () => {
  hsm = await openPkcs11Provider(await ensureSoftHsmToken(dataDir));
  aes = await hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true });
  aesKey = Buffer.from(await hsm.exportKeyMaterial(aes, 'AES'));
  hmacKey = Buffer.alloc(32, 0x2c);
  hmac = await hsm.importSymmetricKey('HMAC-SHA256', hmacKey);
});
afterAll(async () => {
  await hsm?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const BLOCKS = Buffer.from('00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210', 'hex');
const ODD = Buffer.from('not a multiple of the block size!'); // 33 bytes

function node(cipher: string, key: Buffer, iv: Buffer | null, data: Buffer, pad: boolean): Buffer {
  const c = createCipheriv(cipher, key, iv).setAutoPadding(pad);
  return Buffer.concat([c.update(data), c.final()]);
}

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(CryptoError);
    return (e as CryptoError).code;
  }
}

describe('encrypt / decrypt', () => {
  it('inputs on both sides of SYNC_MAX_BYTES (synchronous and libuv-pool calls) give node:crypto\'s results; a bad tag fails either way', async () => {
    // SYNC_MAX_BYTES - 16 is the largest input answered without a promise hop (runsSynchronously).
    for (const n of [1, SYNC_MAX_BYTES - 16, SYNC_MAX_BYTES - 15, SYNC_MAX_BYTES, SYNC_MAX_BYTES + 1, 65_536]) {
      const data = Buffer.alloc(n, n & 0xff);
      const r = await hsm.encrypt(aes, 'AES', { mode: 'GCM' }, data);
      const c = createCipheriv('aes-256-gcm', aesKey, Buffer.from(r.iv!));
      expect(Buffer.from(r.data)).toEqual(Buffer.concat([c.update(data), c.final()]));
      expect(Buffer.from(r.tag!)).toEqual(c.getAuthTag());
      expect(Buffer.from(await hsm.decrypt(aes, 'AES', { mode: 'GCM', iv: r.iv! }, r.data, r.tag))).toEqual(data);
      const badTag = Buffer.from(r.tag!).map((b, i) => (i === 0 ? b ^ 1 : b));
      expect(await code(hsm.decrypt(aes, 'AES', { mode: 'GCM', iv: r.iv! }, r.data, badTag))).toBe('BAD_KEY');
      const mac = await hsm.mac(hmac, 'HMAC-SHA256', data);
      expect(Buffer.from(mac)).toEqual(createHmac('sha256', hmacKey).update(data).digest());
      expect(await hsm.macVerify(hmac, 'HMAC-SHA256', data, mac)).toBe(true);
      expect(await hsm.macVerify(hmac, 'HMAC-SHA256', data, Buffer.from(mac).map((b, i) => (i === 31 ? b ^ 1 : b)))).toBe(false);
    }
  });

  it('AES-ECB and AES-CBC match node:crypto and round-trip', async () => {
    const ecb = await hsm.encrypt(aes, 'AES', { mode: 'ECB' }, BLOCKS);
    expect(ecb.iv).toBeUndefined();
    expect(Buffer.from(ecb.data)).toEqual(node('aes-256-ecb', aesKey, null, BLOCKS, false));

    const cbc = await hsm.encrypt(aes, 'AES', { mode: 'CBC' }, BLOCKS);
    expect(cbc.iv).toHaveLength(16);
    expect(Buffer.from(cbc.data)).toEqual(node('aes-256-cbc', aesKey, Buffer.from(cbc.iv!), BLOCKS, false));
    expect(Buffer.from(await hsm.decrypt(aes, 'AES', { mode: 'CBC', iv: cbc.iv! }, cbc.data))).toEqual(BLOCKS);
  });

  it('AES-CBC with PKCS#5 padding takes any length', async () => {
    const iv = Buffer.alloc(16, 3);
    const r = await hsm.encrypt(aes, 'AES', { mode: 'CBC', padding: 'PKCS5', iv }, ODD);
    expect(Buffer.from(r.data)).toEqual(node('aes-256-cbc', aesKey, iv, ODD, true));
    expect(Buffer.from(await hsm.decrypt(aes, 'AES', { mode: 'CBC', padding: 'PKCS5', iv }, r.data))).toEqual(ODD);
  });

  it('AES-GCM returns ciphertext, tag and IV like node:crypto; a bad tag is BAD_KEY', async () => {
    const aad = Buffer.from('header');
    const r = await hsm.encrypt(aes, 'AES', { mode: 'GCM', aad }, ODD);
    expect(r.iv).toHaveLength(12);
    expect(r.tag).toHaveLength(16);
    const c = createCipheriv('aes-256-gcm', aesKey, Buffer.from(r.iv!));
    c.setAAD(aad);
    const ct = Buffer.concat([c.update(ODD), c.final()]);
    expect(Buffer.from(r.data)).toEqual(ct);
    expect(Buffer.from(r.tag!)).toEqual(c.getAuthTag());

    const ok = await hsm.decrypt(aes, 'AES', { mode: 'GCM', iv: r.iv!, aad }, r.data, r.tag);
    expect(Buffer.from(ok)).toEqual(ODD);
    const badTag = Uint8Array.from(r.tag!);
    badTag[0] = (badTag[0] as number) ^ 1;
    expect(await code(hsm.decrypt(aes, 'AES', { mode: 'GCM', iv: r.iv!, aad }, r.data, badTag))).toBe('BAD_KEY');
    // The session that saw the failure is still fine for the next request.
    expect(Buffer.from(await hsm.decrypt(aes, 'AES', { mode: 'GCM', iv: r.iv!, aad }, r.data, r.tag))).toEqual(ODD);
  });

  it('TDES-CBC matches node:crypto', async () => {
    const ref = await hsm.generateSymmetricKey({ algorithm: 'TDES', lengthBits: 168, extractable: true });
    const key = Buffer.from(await hsm.exportKeyMaterial(ref, 'TDES'));
    const iv = Buffer.alloc(8, 9);
    const r = await hsm.encrypt(ref, 'TDES', { mode: 'CBC', iv }, BLOCKS);
    expect(Buffer.from(r.data)).toEqual(node('des-ede3-cbc', key, iv, BLOCKS, false));
  });

  it('rejects what cannot work with UNSUPPORTED', async () => {
    expect(await code(hsm.encrypt(aes, 'AES', { mode: 'CTR', padding: 'PKCS5' }, ODD))).toBe('UNSUPPORTED');
    expect(await code(hsm.encrypt(aes, 'AES', { mode: 'CBC', iv: new Uint8Array(8) }, BLOCKS))).toBe('UNSUPPORTED');
    expect(await code(hsm.decrypt(aes, 'AES', { mode: 'CBC' }, BLOCKS))).toBe('UNSUPPORTED');
    expect(await code(hsm.decrypt(aes, 'AES', { mode: 'GCM', iv: new Uint8Array(12) }, BLOCKS))).toBe('UNSUPPORTED');
    expect(await code(hsm.encrypt(aes, 'AES', { mode: 'GCM', tagLength: 8 }, BLOCKS))).toBe('UNSUPPORTED');
    expect(await code(hsm.encrypt(aes, 'TDES', { mode: 'GCM' }, BLOCKS))).toBe('UNSUPPORTED');
    expect(await code(hsm.encrypt(aes, 'AES', { mode: 'CBC' }, ODD))).toBe('UNSUPPORTED');
    expect(await code(hsm.encrypt(aes, 'AES', { mode: 'ECB' }, ODD))).toBe('UNSUPPORTED');
    expect(await code(hsm.encrypt(aes, 'AES', { mode: 'CBC', aad: new Uint8Array(1) }, BLOCKS))).toBe('UNSUPPORTED');
  });

  it('the in-memory fake computes exactly what the HSM computes, and refuses the same', async () => {
    const fake = createFakeCryptoProvider();
    const material = Buffer.alloc(24, 0x33);
    const inHsm = await hsm.importSymmetricKey('AES', material);
    const inFake = await fake.importSymmetricKey('AES', material);
    const iv = new Uint8Array(16).fill(1);
    const cases: CipherParams[] = [
      { mode: 'ECB' },
      { mode: 'CBC', iv },
      { mode: 'CBC', iv, padding: 'PKCS5' },
      { mode: 'GCM', iv: iv.subarray(0, 12), aad: Uint8Array.from([1, 2]) },
      { mode: 'GCM', iv: iv.subarray(0, 12), tagLength: 12 },
      { mode: 'ECB', padding: 'PKCS5' },
      { mode: 'CTR', iv },
    ];
    for (const params of cases) {
      const data = params.padding || params.mode === 'CTR' ? ODD : BLOCKS;
      const a = await hsm.encrypt(inHsm, 'AES', params, data);
      const b = await fake.encrypt(inFake, 'AES', params, data);
      expect({ ...b, data: Buffer.from(b.data) }).toEqual({ ...a, data: Buffer.from(a.data) });
      expect(Buffer.from(await fake.decrypt(inFake, 'AES', params, a.data, a.tag))).toEqual(data);
    }
    const badTag = Uint8Array.from(Buffer.alloc(16));
    const gcm = { mode: 'GCM', iv: iv.subarray(0, 12) } as const;
    expect(await code(fake.decrypt(inFake, 'AES', gcm, BLOCKS, badTag))).toBe(await code(hsm.decrypt(inHsm, 'AES', gcm, BLOCKS, badTag)));
    expect(await code(fake.encrypt(inFake, 'AES', { mode: 'CBC' }, ODD))).toBe('UNSUPPORTED');

    const hmacKey = Buffer.alloc(48, 7);
    const h1 = await hsm.mac(await hsm.importSymmetricKey('HMAC-SHA384', hmacKey), 'HMAC-SHA384', ODD);
    const fakeRef = await fake.importSymmetricKey('HMAC-SHA384', hmacKey);
    expect(Buffer.from(await fake.mac(fakeRef, 'HMAC-SHA384', ODD))).toEqual(Buffer.from(h1));
    expect(await fake.macVerify(fakeRef, 'HMAC-SHA384', ODD, h1)).toBe(true);
    expect(await fake.macVerify(fakeRef, 'HMAC-SHA384', ODD, h1.subarray(1))).toBe(false);

    // CMAC with the AES key, every length class (empty, partial block, whole blocks).
    for (const data of [Buffer.alloc(0), ODD, BLOCKS]) {
      expect(Buffer.from(await fake.mac(inFake, 'AES', data))).toEqual(Buffer.from(await hsm.mac(inHsm, 'AES', data)));
    }
    for (const alg of ['SHA-1', 'SHA-224', 'SHA-256', 'SHA-384', 'SHA-512'] as const) {
      expect(Buffer.from(await fake.digest(alg, ODD))).toEqual(Buffer.from(await hsm.digest(alg, ODD)));
    }
  });
});

describe('mac / macVerify', () => {
  it('HMAC keys shorter than SoftHSM2 allows (RFC 4231 cases 1 and 2, an AES key as HMAC key) give the RFC answers', async () => {
    const cases = [
      [Buffer.alloc(20, 0x0b), Buffer.from('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
      [Buffer.from('Jefe'), Buffer.from('what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    ] as const;
    for (const [key, data, want] of cases) {
      const ref = await hsm.importSymmetricKey('HMAC-SHA256', key);
      expect(Buffer.from(await hsm.mac(ref, 'HMAC-SHA256', data)).toString('hex')).toBe(want);
      expect(await hsm.macVerify(ref, 'HMAC-SHA256', data, Buffer.from(want, 'hex'))).toBe(true);
    }
    const aesAsHmac = await hsm.importSymmetricKey('AES', Buffer.alloc(16, 0x0b));
    const k16 = createHmac('sha256', Buffer.alloc(16, 0x0b)).update(ODD).digest();
    expect(Buffer.from(await hsm.mac(aesAsHmac, 'HMAC-SHA256', ODD))).toEqual(k16);
    const sha512 = await hsm.importSymmetricKey('HMAC-SHA512', Buffer.from('Jefe'));
    expect(Buffer.from(await hsm.mac(sha512, 'HMAC-SHA512', Buffer.from('what do ya want for nothing?'))).toString('hex')).toBe(
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
    );
  });


  it('a cached key answers at once when a session is free, and waits for one when none is: same results either way', async () => {
    expect(runsSynchronously(SYNC_MAX_BYTES - 16)).toBe(true);
    expect(runsSynchronously(SYNC_MAX_BYTES - 15)).toBe(false);
    const one = await openPkcs11Provider({ ...(await ensureSoftHsmToken(dataDir)), sessionPoolSize: 1 });
    try {
      const ref = await one.generateSymmetricKey({ algorithm: 'AES', lengthBits: 128, extractable: true });
      const key = Buffer.from(await one.exportKeyMaterial(ref, 'AES'));
      const iv = Buffer.alloc(12, 9);
      const data = Buffer.from(ODD);
      const expected = node('aes-128-gcm', key, iv, data, false);
      // First use unwraps (the asynchronous path); the second finds the cached object.
      for (let i = 0; i < 2; i++) {
        expect(one.cachedObjects.symmetric).toBe(i);
        const r = await one.encrypt(ref, 'AES', { mode: 'GCM', iv }, data);
        expect(Buffer.from(r.data)).toEqual(expected);
      }
      // The only session is held: an Encrypt on the cached key queues and runs once it is back.
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const held = one.withUnwrappedKey(ref, 'AES', () => gate);
      let settled = false;
      const queued = one.encrypt(ref, 'AES', { mode: 'GCM', iv }, data).finally(() => (settled = true));
      await new Promise((r) => setImmediate(r));
      expect(settled).toBe(false);
      release();
      await held;
      const r = await queued;
      expect(Buffer.from(r.data)).toEqual(expected);
      // Refusals on the immediate path are rejections, and leave the pool usable.
      const badTag = Buffer.from(r.tag!).map((b, i) => (i === 0 ? b ^ 1 : b));
      expect(await code(one.decrypt(ref, 'AES', { mode: 'GCM', iv }, r.data, badTag))).toBe('BAD_KEY');
      expect(await code(one.encrypt(ref, 'AES', { mode: 'CBC' }, data))).toBe('UNSUPPORTED');
      expect(Buffer.from(await one.decrypt(ref, 'AES', { mode: 'GCM', iv }, r.data, r.tag))).toEqual(data);
    } finally {
      await one.close();
    }
  });

  it('HMAC-SHA256 matches node:crypto; verify accepts it and rejects a changed one', async () => {
    const material = Buffer.alloc(32, 0x5a);
    const ref = await hsm.importSymmetricKey('HMAC-SHA256', material);
    const mac = await hsm.mac(ref, 'HMAC-SHA256', ODD);
    expect(Buffer.from(mac)).toEqual(createHmac('sha256', material).update(ODD).digest());
    expect(await hsm.macVerify(ref, 'HMAC-SHA256', ODD, mac)).toBe(true);
    const wrong = Uint8Array.from(mac);
    wrong[5] = (wrong[5] as number) ^ 0x80;
    expect(await hsm.macVerify(ref, 'HMAC-SHA256', ODD, wrong)).toBe(false);
    expect(await hsm.macVerify(ref, 'HMAC-SHA256', ODD, mac.subarray(0, 10))).toBe(false);
    // The pool is healthy after a failed verify.
    expect(await hsm.macVerify(ref, 'HMAC-SHA256', ODD, mac)).toBe(true);
  });
});

describe('known answers (NIST SP 800-38A F.2.1/F.1.1/F.5.1, SP 800-38B D.1, McGrew-Viega GCM test case 3)', () => {
  const K128 = Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex');
  const P = Buffer.from('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51', 'hex');

  it('AES-128 ECB, CBC, CTR in the HSM', async () => {
    const ref = await hsm.importSymmetricKey('AES', K128);
    const ecb = await hsm.encrypt(ref, 'AES', { mode: 'ECB' }, P);
    expect(Buffer.from(ecb.data).toString('hex')).toBe('3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf');
    const iv = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    const cbc = await hsm.encrypt(ref, 'AES', { mode: 'CBC', iv }, P);
    expect(Buffer.from(cbc.data).toString('hex')).toBe('7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2');
    const ctrIv = Buffer.from('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff', 'hex');
    const ctr = await hsm.encrypt(ref, 'AES', { mode: 'CTR', iv: ctrIv }, P);
    expect(Buffer.from(ctr.data).toString('hex')).toBe('874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff');
    expect(Buffer.from(await hsm.decrypt(ref, 'AES', { mode: 'CTR', iv: ctrIv }, ctr.data))).toEqual(P);
  });

  it('AES-128 CMAC in the HSM and the fake', async () => {
    const ref = await hsm.importSymmetricKey('AES', K128);
    const fake = createFakeCryptoProvider();
    const fref = await fake.importSymmetricKey('AES', K128);
    const want = [
      [Buffer.alloc(0), 'bb1d6929e95937287fa37d129b756746'],
      [P.subarray(0, 16), '070a16b46b4d4144f79bdd9dd04a287c'],
    ] as const;
    for (const [m, tag] of want) {
      expect(Buffer.from(await hsm.mac(ref, 'AES', m)).toString('hex')).toBe(tag);
      expect(Buffer.from(await fake.mac(fref, 'AES', m)).toString('hex')).toBe(tag);
      expect(await hsm.macVerify(ref, 'AES', m, Buffer.from(tag, 'hex'))).toBe(true);
    }
  });

  it('AES-128 GCM with AAD', async () => {
    const key = Buffer.from('feffe9928665731c6d6a8f9467308308', 'hex');
    const ref = await hsm.importSymmetricKey('AES', key);
    const iv = Buffer.from('cafebabefacedbaddecaf888', 'hex');
    const pt = Buffer.from(
      'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
      'hex',
    );
    const aad = Buffer.from('feedfacedeadbeeffeedfacedeadbeefabaddad2', 'hex');
    const r = await hsm.encrypt(ref, 'AES', { mode: 'GCM', iv, aad }, pt);
    expect(Buffer.from(r.data).toString('hex')).toBe(
      '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091',
    );
    expect(Buffer.from(r.tag!).toString('hex')).toBe('5bc94fbc3221a5db94fae95ae7121a47');
    // Test case 1: zero key, empty plaintext, no AAD: the tag alone.
    const zero = await hsm.importSymmetricKey('AES', Buffer.alloc(16));
    const empty = await hsm.encrypt(zero, 'AES', { mode: 'GCM', iv: Buffer.alloc(12) }, Buffer.alloc(0));
    expect(empty.data).toHaveLength(0);
    expect(Buffer.from(empty.tag!).toString('hex')).toBe('58e2fccefa7e3061367f1d57a4e7455a');
    expect(await hsm.decrypt(zero, 'AES', { mode: 'GCM', iv: Buffer.alloc(12) }, Buffer.alloc(0), empty.tag)).toHaveLength(0);
  });

  it('Hash in the HSM (FIPS 180-4 "abc") and RNG seed', async () => {
    expect(Buffer.from(await hsm.digest('SHA-256', Buffer.from('abc'))).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(Buffer.from(await hsm.digest('SHA-1', Buffer.alloc(0))).toString('hex')).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
    expect(await hsm.seedRandom(Buffer.alloc(32, 1))).toBe(32);
    expect(await hsm.seedRandom(Buffer.alloc(0))).toBe(0);
  });
});
