/**
 * Encryption on the cipher worker (cipherInWorker): the same results as node:crypto and as the
 * event-loop path, for every mode, concurrently; module errors mapped as on the event loop; a
 * crashed worker fails its jobs and the next ones start a new one; close() lets jobs finish.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

import { beforeAll, describe, expect, it } from 'vitest';

import { CryptoError, type KeyRef } from '../provider.js';
import { SYNC_MAX_BYTES } from './cipher.js';
import { openPkcs11Provider, type Pkcs11CryptoProvider } from './provider.js';
import { useSoftHsmProvider } from '../../../test/helpers/softhsm.js';

const p11 = useSoftHsmProvider('kmipd-p11-cipher-worker-', (cfg) => openPkcs11Provider(cfg, { cipherInWorker: true }));
let aes: KeyRef;
let aesKey: Buffer;

beforeAll(async () => {
  aes = await p11.hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true });
  aesKey = Buffer.from(await p11.hsm.exportKeyMaterial(aes, 'AES'));
});

function batches(p: Pkcs11CryptoProvider): number {
  return p.cipherWorkerForTests?.batches ?? -1;
}

describe('cipher worker', () => {
  it('GCM (with and without AAD), CBC-PAD, CTR and ECB on the worker give node:crypto\'s results; the first use and large inputs stay on the event loop', async () => {
    const fresh = await p11.hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true });
    const key = Buffer.from(await p11.hsm.exportKeyMaterial(fresh, 'AES'));
    const before = batches(p11.hsm);
    await p11.hsm.encrypt(fresh, 'AES', { mode: 'GCM' }, Buffer.alloc(16)); // unwraps: event loop
    expect(batches(p11.hsm)).toBe(before);
    for (const n of [1, 64, SYNC_MAX_BYTES - 16]) {
      const data = Buffer.alloc(n, n & 0xff);
      const aad = Buffer.from('header');
      const sent = batches(p11.hsm);
      const g = await p11.hsm.encrypt(fresh, 'AES', { mode: 'GCM', aad }, data);
      expect(batches(p11.hsm)).toBe(sent + 1);
      const gc = createCipheriv('aes-256-gcm', key, Buffer.from(g.iv!)).setAAD(aad);
      expect(Buffer.from(g.data)).toEqual(Buffer.concat([gc.update(data), gc.final()]));
      expect(Buffer.from(g.tag!)).toEqual(gc.getAuthTag());
      expect(g.iv).toHaveLength(12);
      expect(Buffer.from(await p11.hsm.decrypt(fresh, 'AES', { mode: 'GCM', iv: g.iv!, aad }, g.data, g.tag))).toEqual(data);

      const cbc = await p11.hsm.encrypt(fresh, 'AES', { mode: 'CBC', padding: 'PKCS5' }, data);
      const cc = createCipheriv('aes-256-cbc', key, Buffer.from(cbc.iv!));
      expect(Buffer.from(cbc.data)).toEqual(Buffer.concat([cc.update(data), cc.final()]));

      const ctr = await p11.hsm.encrypt(fresh, 'AES', { mode: 'CTR' }, data);
      const tc = createCipheriv('aes-256-ctr', key, Buffer.from(ctr.iv!));
      expect(Buffer.from(ctr.data)).toEqual(Buffer.concat([tc.update(data), tc.final()]));

      const ecb = await p11.hsm.encrypt(fresh, 'AES', { mode: 'ECB', padding: 'PKCS5' }, data);
      const ec = createDecipheriv('aes-256-ecb', key, null);
      expect(Buffer.concat([ec.update(Buffer.from(ecb.data)), ec.final()])).toEqual(data);
    }
    // Too large for the immediate path (and empty input): the event loop, as before.
    const sent = batches(p11.hsm);
    for (const n of [0, SYNC_MAX_BYTES - 15, 65_536]) {
      const data = Buffer.alloc(n, 3);
      const g = await p11.hsm.encrypt(fresh, 'AES', { mode: 'GCM' }, data);
      const gc = createCipheriv('aes-256-gcm', key, Buffer.from(g.iv!));
      expect(Buffer.from(g.data)).toEqual(Buffer.concat([gc.update(data), gc.final()]));
      expect(Buffer.from(g.tag!)).toEqual(gc.getAuthTag());
    }
    expect(batches(p11.hsm)).toBe(sent);
  });

  it('many concurrent encryptions share batches and each gets its own IV and result', async () => {
    await p11.hsm.encrypt(aes, 'AES', { mode: 'GCM' }, Buffer.alloc(1));
    const sent = batches(p11.hsm);
    const inputs = Array.from({ length: 200 }, (_, i) => Buffer.alloc(1 + (i % 100), i & 0xff));
    const results = await Promise.all(inputs.map((d) => p11.hsm.encrypt(aes, 'AES', { mode: 'GCM' }, d)));
    expect(batches(p11.hsm) - sent).toBeLessThan(200);
    expect(new Set(results.map((r) => Buffer.from(r.iv!).toString('hex'))).size).toBe(200);
    results.forEach((r, i) => {
      const c = createCipheriv('aes-256-gcm', aesKey, Buffer.from(r.iv!));
      expect(Buffer.from(r.data)).toEqual(Buffer.concat([c.update(inputs[i]!), c.final()]));
      expect(Buffer.from(r.tag!)).toEqual(c.getAuthTag());
    });
  });

  it('refuses bad parameters before the worker, maps module errors like the event loop, and survives a crashed worker', async () => {
    await expect(p11.hsm.encrypt(aes, 'AES', { mode: 'CBC' }, Buffer.alloc(5))).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    // TDES-CBC through the worker too.
    const tdes = await p11.hsm.importSymmetricKey('TDES', Buffer.alloc(24, 0x4b));
    await p11.hsm.encrypt(tdes, 'TDES', { mode: 'ECB' }, Buffer.alloc(8)); // cached now
    const w = p11.hsm.cipherWorkerForTests!;
    const sent = w.batches;
    const r = await p11.hsm.encrypt(tdes, 'TDES', { mode: 'CBC' }, Buffer.alloc(16));
    expect(w.batches).toBe(sent + 1);
    const c = createCipheriv('des-ede3-cbc', Buffer.alloc(24, 0x4b), Buffer.from(r.iv!)).setAutoPadding(false);
    expect(Buffer.from(r.data)).toEqual(Buffer.concat([c.update(Buffer.alloc(16)), c.final()]));

    // Crash with jobs out: they fail with HSM_ERROR; later jobs start a new thread.
    const pending = Array.from({ length: 5 }, () =>
      p11.hsm.encrypt(aes, 'AES', { mode: 'GCM' }, Buffer.alloc(64)).then(
        () => 'ok',
        (e: unknown) => (e as CryptoError).code,
      ),
    );
    await new Promise((res) => setImmediate(res));
    await w.kill();
    const outcomes = await Promise.all(pending);
    for (const o of outcomes) expect(['ok', 'HSM_ERROR']).toContain(o);
    const again = await p11.hsm.encrypt(aes, 'AES', { mode: 'GCM' }, Buffer.alloc(64));
    expect(again.data).toHaveLength(64);
  });

  it('a destroyed resident key is refused and forgotten; close() lets queued jobs finish', async () => {
    const p = await openPkcs11Provider(p11.cfg, { cipherInWorker: true });
    const ref = await p.generateSymmetricKey({ algorithm: 'AES', lengthBits: 128, extractable: false });
    await p.encrypt(ref, 'AES', { mode: 'GCM' }, Buffer.alloc(16)); // found and cached
    expect(p.cachedObjects.symmetric).toBe(1);
    // Destroyed behind the cache's back (another process, say): the worker's CKR evicts the handle.
    const other = await openPkcs11Provider(p11.cfg);
    await other.destroyKey(ref);
    await other.close();
    const err = await p.encrypt(ref, 'AES', { mode: 'GCM' }, Buffer.alloc(16)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CryptoError);
    expect(p.cachedObjects.symmetric).toBe(0);
    await expect(p.encrypt(ref, 'AES', { mode: 'GCM' }, Buffer.alloc(16))).rejects.toMatchObject({ code: 'BAD_KEY' });

    const live = await p.generateSymmetricKey({ algorithm: 'AES', lengthBits: 128, extractable: true });
    await p.encrypt(live, 'AES', { mode: 'GCM' }, Buffer.alloc(16));
    const queued = Array.from({ length: 8 }, () => p.encrypt(live, 'AES', { mode: 'GCM' }, Buffer.alloc(32)));
    await p.close();
    for (const r of await Promise.all(queued)) expect(r.data).toHaveLength(32);
    await expect(p.encrypt(live, 'AES', { mode: 'GCM' }, Buffer.alloc(16))).rejects.toMatchObject({ code: 'HSM_UNAVAILABLE' });
  });
});
