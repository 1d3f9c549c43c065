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
import { openPkcs11Provider, type Pkcs11CryptoProvider } from './provider.js';
import { ensureSoftHsmToken } from './softhsm.js';

const dataDir = mkdtempSync(join(tmpdir(), 'kmipd-p11-cipher-'));
let hsm: Pkcs11CryptoProvider;
let aes: KeyRef;
let aesKey: Buffer;

beforeAll(async () => {
  hsm = await openPkcs11Provider(await ensureSoftHsmToken(dataDir));
  aes = await hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true });
  aesKey = Buffer.from(await hsm.exportKeyMaterial(aes, 'AES'));
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
    expect(await code(hsm.encrypt(aes, 'AES', { mode: 'ECB', padding: 'PKCS5' }, ODD))).toBe('UNSUPPORTED');
    expect(await code(hsm.encrypt(aes, 'AES', { mode: 'CBC', iv: new Uint8Array(8) }, BLOCKS))).toBe('UNSUPPORTED');
    expect(await code(hsm.decrypt(aes, 'AES', { mode: 'CBC' }, BLOCKS))).toBe('UNSUPPORTED');
    expect(await code(hsm.decrypt(aes, 'AES', { mode: 'GCM', iv: new Uint8Array(12) }, BLOCKS))).toBe('UNSUPPORTED');
    expect(await code(hsm.encrypt(aes, 'AES', { mode: 'GCM', tagLength: 8 }, BLOCKS))).toBe('UNSUPPORTED');
    expect(await code(hsm.mac(aes, 'AES', BLOCKS))).toBe('UNSUPPORTED');
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
    ];
    for (const params of cases) {
      const data = params.mode === 'CBC' && params.padding ? ODD : BLOCKS;
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
  });
});

describe('mac / macVerify', () => {
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
