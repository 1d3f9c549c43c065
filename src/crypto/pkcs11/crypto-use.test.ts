/**
 * withUnwrappedKey(): keys unwrapped into sensitive session objects compute the same results as
 * the exported key bytes in node:crypto, across pool sessions, via the handle cache.
 */
import { createCipheriv, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { KeyRef, SymmetricAlgorithm } from '../provider.js';
import type { Pkcs11Config } from './config.js';
import { openPkcs11Provider, type Pkcs11CryptoProvider } from './provider.js';
import { ensureSoftHsmToken } from './softhsm.js';

const dataDir = mkdtempSync(join(tmpdir(), 'kmipd-p11-use-'));
const logged: string[] = [];
const log = {
  debug: (o: object, m?: string) => logged.push(JSON.stringify([o, m])),
  info: (o: object, m?: string) => logged.push(JSON.stringify([o, m])),
  warn: (o: object, m?: string) => logged.push(JSON.stringify([o, m])),
  error: (o: object, m?: string) => logged.push(JSON.stringify([o, m])),
};
let cfg: Pkcs11Config;
let hsm: Pkcs11CryptoProvider;

beforeAll(async () => {
  cfg = await ensureSoftHsmToken(dataDir);
  hsm = await openPkcs11Provider({ ...cfg, sessionPoolSize: 3 }, { log, keyCacheSize: 2 });
});
afterAll(async () => {
  await hsm?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const IV = Buffer.alloc(16, 0x42);
const DATA = Buffer.alloc(64, 0x17);

async function hsmCbc(ref: KeyRef): Promise<Buffer> {
  return hsm.withUnwrappedKey(ref, 'AES', async ({ mod, session, handle }) => {
    mod.C_EncryptInit(session, { mechanism: pkcs11js.CKM_AES_CBC, parameter: IV }, handle);
    return Buffer.from(await mod.C_EncryptAsync(session, DATA, Buffer.alloc(DATA.length)));
  });
}

async function hsmHmac(ref: KeyRef, alg: SymmetricAlgorithm, mechanism: number): Promise<Buffer> {
  return hsm.withUnwrappedKey(ref, alg, async ({ mod, session, handle }) => {
    mod.C_SignInit(session, { mechanism }, handle);
    return Buffer.from(await mod.C_SignAsync(session, DATA, Buffer.alloc(64)));
  });
}

describe('withUnwrappedKey', () => {
  it('logs what it probed, never the PIN', () => {
    expect(logged.some((l) => l.includes('"unwrapKeepsPadding":true'))).toBe(true);
    expect(logged.join('\n')).not.toContain(cfg.pin);
  });

  it('AES: the HSM object encrypts like the exported key, concurrently across sessions', async () => {
    const ref = await hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true });
    const key = Buffer.from(await hsm.exportKeyMaterial(ref, 'AES'));
    const c = createCipheriv('aes-256-cbc', key, IV).setAutoPadding(false);
    const expected = Buffer.concat([c.update(DATA), c.final()]);
    const results = await Promise.all(Array.from({ length: 8 }, () => hsmCbc(ref)));
    for (const r of results) expect(r).toEqual(expected);
  });

  it('HMAC keys, including odd lengths beyond the block size, sign like node:crypto', async () => {
    const cases: Array<[SymmetricAlgorithm, number, string, number]> = [
      ['HMAC-SHA1', 20, 'sha1', pkcs11js.CKM_SHA_1_HMAC],
      ['HMAC-SHA256', 33, 'sha256', pkcs11js.CKM_SHA256_HMAC],
      ['HMAC-SHA256', 67, 'sha256', pkcs11js.CKM_SHA256_HMAC],
      ['HMAC-SHA512', 131, 'sha512', pkcs11js.CKM_SHA512_HMAC],
    ];
    for (const [alg, n, hash, mech] of cases) {
      const material = Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + 1) & 0xff));
      const ref = await hsm.importSymmetricKey(alg, material);
      expect(await hsmHmac(ref, alg, mech)).toEqual(createHmac(hash, material).update(DATA).digest());
    }
  });

  it('evicted entries are re-unwrapped transparently (cache of 2, 4 keys, 3 rounds)', async () => {
    const refs = await Promise.all(
      Array.from({ length: 4 }, () => hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 128, extractable: true })),
    );
    const first = await Promise.all(refs.map((r) => hsmCbcAny(r)));
    for (let round = 0; round < 3; round++) {
      expect(await Promise.all(refs.map((r) => hsmCbcAny(r)))).toEqual(first);
    }
  });

  it('resident keys are used in place', async () => {
    const ref = await hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 128, extractable: false });
    const ct = await hsmCbcAny(ref);
    const pt = await hsm.withUnwrappedKey(ref, 'AES', async ({ mod, session, handle }) => {
      mod.C_DecryptInit(session, { mechanism: pkcs11js.CKM_AES_CBC, parameter: IV }, handle);
      return Buffer.from(await mod.C_DecryptAsync(session, ct, Buffer.alloc(ct.length)));
    });
    expect(pt).toEqual(DATA);
    await hsm.destroyKey(ref);
  });

  it('a resident key destroyed by another provider is looked up again, not used stale', async () => {
    const other = await openPkcs11Provider(cfg);
    try {
      const ref = await other.generateSymmetricKey({ algorithm: 'AES', lengthBits: 128, extractable: false });
      const params = { mode: 'CBC', iv: IV } as const;
      await hsm.encrypt(ref, 'AES', params, DATA); // cached in hsm now
      await other.destroyKey(ref);
      await expect(hsm.encrypt(ref, 'AES', params, DATA)).rejects.toMatchObject({ code: 'BAD_KEY' });
      await expect(hsm.encrypt(ref, 'AES', params, DATA)).rejects.toMatchObject({
        code: 'BAD_KEY',
        message: 'resident key not found in the token',
      });
    } finally {
      await other.close();
    }
  });
});

async function hsmCbcAny(ref: KeyRef): Promise<Buffer> {
  return hsmCbc(ref);
}
