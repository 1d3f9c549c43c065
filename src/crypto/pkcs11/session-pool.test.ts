/**
 * The session pool on a real token: more operations than sessions queue up and all finish;
 * close() waits for running operations and refuses new ones.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CryptoError } from '../provider.js';
import type { Pkcs11Config } from './config.js';
import { openPkcs11Provider } from './provider.js';
import { MAX_QUEUED_CALLERS } from './session-pool.js';
import { ensureSoftHsmToken } from './softhsm.js';

const dataDir = mkdtempSync(join(tmpdir(), 'kmipd-p11-pool-'));
let cfg: Pkcs11Config;

beforeAll(async () => {
  cfg = await ensureSoftHsmToken(dataDir);
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('session pool', () => {
  it('runs 12 operations through one session, in turn', async () => {
    const hsm = await openPkcs11Provider({ ...cfg, sessionPoolSize: 1 });
    try {
      const refs = await Promise.all(
        Array.from({ length: 12 }, () => hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true })),
      );
      const keys = await Promise.all(refs.map((r) => hsm.exportKeyMaterial(r, 'AES')));
      expect(new Set(keys.map((k) => Buffer.from(k).toString('hex'))).size).toBe(12);
    } finally {
      await hsm.close();
    }
  });

  it('close() lets running operations finish and refuses queued and later ones', async () => {
    const hsm = await openPkcs11Provider({ ...cfg, sessionPoolSize: 1 });
    const running = hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 128, extractable: true });
    const queued = hsm.randomBytes(8).then(
      () => undefined,
      (e: unknown) => e,
    );
    const closed = hsm.close();
    await expect(running).resolves.toMatchObject({ kind: 'wrapped' });
    expect(await queued).toBeInstanceOf(CryptoError);
    await closed;
    await expect(hsm.randomBytes(8)).rejects.toMatchObject({ code: 'HSM_UNAVAILABLE' });
  });

  it('replaces a session left with an unfinished operation', async () => {
    // Encryptions in the pool's sessions (the cipher worker would use its own session).
    const hsm = await openPkcs11Provider({ ...cfg, sessionPoolSize: 1 }, { cipherInWorker: false });
    try {
      const ref = await hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 128, extractable: true });
      const params = { mode: 'ECB' } as const;
      // A careless caller begins an operation and throws before finishing it.
      await expect(
        hsm.withUnwrappedKey(ref, 'AES', ({ mod, session, handle }) => {
          mod.C_EncryptInit(session, { mechanism: pkcs11js.CKM_AES_ECB }, handle);
          throw new Error('caller bug');
        }),
      ).rejects.toThrow('caller bug');
      // The next request trips over it once; the pool then replaces the session and recovers.
      const first = await hsm.encrypt(ref, 'AES', params, new Uint8Array(16)).then(
        () => 'ok',
        (e: unknown) => (e as CryptoError).code,
      );
      expect(first).toBe('HSM_ERROR');
      expect((await hsm.encrypt(ref, 'AES', params, new Uint8Array(16))).data).toHaveLength(16);
    } finally {
      await hsm.close();
    }
  });

  it('fails fast once too many callers wait for a session', async () => {
    const hsm = await openPkcs11Provider({ ...cfg, sessionPoolSize: 1 });
    try {
      const results = await Promise.all(
        Array.from({ length: MAX_QUEUED_CALLERS + 5 }, () =>
          hsm.randomBytes(1).then(
            () => 'ok',
            (e: unknown) => (e as CryptoError).code,
          ),
        ),
      );
      // One runs, MAX_QUEUED_CALLERS wait, the rest are refused.
      expect(results.filter((r) => r === 'ok')).toHaveLength(MAX_QUEUED_CALLERS + 1);
      expect(results.filter((r) => r === 'HSM_UNAVAILABLE')).toHaveLength(4);
    } finally {
      await hsm.close();
    }
  });

  it('rejects a pool size out of bounds', async () => {
    await expect(openPkcs11Provider({ ...cfg, sessionPoolSize: 0 })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await expect(openPkcs11Provider({ ...cfg, sessionPoolSize: 1000 })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('two providers on one token share the login; closing one leaves the other working', async () => {
    const a = await openPkcs11Provider(cfg);
    const b = await openPkcs11Provider(cfg);
    await a.close();
    const ref = await b.generateSymmetricKey({ algorithm: 'AES', lengthBits: 128, extractable: false });
    await b.destroyKey(ref);
    await b.close();
  });
});
