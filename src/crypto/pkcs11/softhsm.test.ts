/**
 * Embedded SoftHSM2 token setup, against the real SoftHSM2 (one data directory per file: one
 * process, one SoftHSM2 configuration).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { CryptoError } from '../provider.js';
import { openPkcs11Provider } from './provider.js';
import { ensureSoftHsmToken, findSoftHsmModule } from './softhsm.js';

const dataDir = mkdtempSync(join(tmpdir(), 'kmipd-softhsm-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('ensureSoftHsmToken', () => {
  it('finds the SoftHSM2 library', () => {
    expect(findSoftHsmModule()).toMatch(/libsofthsm2\.so$/);
  });

  it('initialises a token once and reuses it and its PIN afterwards', async () => {
    const first = await ensureSoftHsmToken(dataDir, { tokenLabel: 'kmipd-test' });
    expect(first.tokenLabel).toBe('kmipd-test');
    expect(first.pin.length).toBeGreaterThanOrEqual(16);
    expect(process.env['SOFTHSM2_CONF']).toBe(join(dataDir, 'hsm', 'softhsm2.conf'));
    expect(readFileSync(join(dataDir, 'hsm', 'softhsm2.conf'), 'utf8')).toContain(
      `directories.tokendir = ${join(dataDir, 'hsm', 'tokens')}`,
    );

    const pinFile = join(dataDir, 'hsm', 'pin');
    expect(statSync(pinFile).mode & 0o777).toBe(0o600);

    const second = await ensureSoftHsmToken(dataDir, { tokenLabel: 'kmipd-test' });
    expect(second).toEqual(first);
    // Still exactly one initialised token directory (SoftHSM2 makes one per token).
    const provider = await openPkcs11Provider(second);
    try {
      expect(provider.describe()).toMatchObject({ tokenLabel: 'kmipd-test', manufacturer: 'SoftHSM project' });
      expect(JSON.stringify(provider.describe())).not.toContain(first.pin);
    } finally {
      await provider.close();
    }
  });

  it('refuses a PIN file written for another token label', async () => {
    await expect(ensureSoftHsmToken(dataDir, { tokenLabel: 'other' })).rejects.toBeInstanceOf(CryptoError);
  });

  it('rejects a wrong PIN with a clear error that does not contain the PIN', async () => {
    const cfg = await ensureSoftHsmToken(dataDir, { tokenLabel: 'kmipd-test' });
    const wrongPin = 'wrong-pin-value-1234';
    const err = await openPkcs11Provider({ ...cfg, pin: wrongPin }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CryptoError);
    const ce = err as CryptoError;
    expect(ce.code).toBe('HSM_UNAVAILABLE');
    expect(ce.message).toContain('CKR_PIN_INCORRECT');
    expect(ce.message).not.toContain(wrongPin);
    expect(ce.message).not.toContain(cfg.pin);
    expect(String(ce.stack)).not.toContain(wrongPin);
    // The failed open released everything: the right PIN still works afterwards, and the
    // token's failed-attempt flag is reported to the operator.
    const warnings: string[] = [];
    const log = { debug() {}, info() {}, error() {}, warn: (_o: object, m?: string) => warnings.push(String(m)) };
    const ok = await openPkcs11Provider(cfg, { log });
    await ok.close();
    expect(warnings).toEqual(['the token reports failed user PIN attempts']);
  });

  it('reports a missing token clearly', async () => {
    const cfg = await ensureSoftHsmToken(dataDir, { tokenLabel: 'kmipd-test' });
    await expect(openPkcs11Provider({ ...cfg, tokenLabel: 'no-such-token' })).rejects.toMatchObject({
      code: 'HSM_UNAVAILABLE',
    });
  });

  it('refuses a second data directory while SoftHSM2 is open in this process', async () => {
    const cfg = await ensureSoftHsmToken(dataDir, { tokenLabel: 'kmipd-test' });
    const provider = await openPkcs11Provider(cfg);
    const other = mkdtempSync(join(tmpdir(), 'kmipd-softhsm-other-'));
    try {
      await expect(ensureSoftHsmToken(other)).rejects.toMatchObject({ code: 'HSM_UNAVAILABLE' });
    } finally {
      await provider.close();
      rmSync(other, { recursive: true, force: true });
    }
  });
});
