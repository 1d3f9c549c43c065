/**
 * Key export on the worker thread (export-worker.ts) against the real SoftHSM2: the same values
 * and the same CryptoError codes as the export on the event loop, and a failed worker costs the
 * jobs it held, not the provider.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CryptoError, type KeyRef, type SymmetricAlgorithm } from '../provider.js';
import type { Pkcs11Config } from './config.js';
import { openPkcs11Provider, type Pkcs11CryptoProvider } from './provider.js';
import { ensureSoftHsmToken } from './softhsm.js';

const dataDir = mkdtempSync(join(tmpdir(), 'kmipd-p11-worker-'));
let cfg: Pkcs11Config;
let inWorker: Pkcs11CryptoProvider;
let onLoop: Pkcs11CryptoProvider;

beforeAll(async () => {
  cfg = await ensureSoftHsmToken(dataDir);
  inWorker = await openPkcs11Provider(cfg, { exportInWorker: true });
  onLoop = await openPkcs11Provider(cfg, { exportInWorker: false });
});
afterAll(async () => {
  await inWorker?.close();
  await onLoop?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function outcome(p: Promise<Uint8Array>): Promise<string> {
  try {
    return `ok:${Buffer.from(await p).toString('hex')}`;
  } catch (e) {
    expect(e).toBeInstanceOf(CryptoError);
    return `err:${(e as CryptoError).code}`;
  }
}

describe('export on the worker thread', () => {
  it('gives the same value as the export on the event loop, for every algorithm and odd lengths', async () => {
    const cases: Array<[SymmetricAlgorithm, Uint8Array]> = [
      ['AES', Uint8Array.from({ length: 32 }, (_, i) => i)],
      ['AES', Uint8Array.from({ length: 16 }, (_, i) => 255 - i)],
      ['HMAC-SHA1', Uint8Array.from({ length: 20 }, (_, i) => i * 3)], // not a multiple of 8: padding cut
      ['TDES', Uint8Array.from({ length: 24 }, (_, i) => 0x10 + i)],
    ];
    for (const [alg, material] of cases) {
      const ref = await inWorker.importSymmetricKey(alg, material);
      expect(Buffer.from(await inWorker.exportKeyMaterial(ref, alg))).toEqual(Buffer.from(material));
      expect(await outcome(inWorker.exportKeyMaterial(ref, alg))).toBe(await outcome(onLoop.exportKeyMaterial(ref, alg)));
    }
    const generated = await inWorker.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true });
    expect(await outcome(inWorker.exportKeyMaterial(generated, 'AES'))).toBe(await outcome(onLoop.exportKeyMaterial(generated, 'AES')));
  });

  it('maps failures to the same CryptoError codes as the export on the event loop', async () => {
    const ref = (await inWorker.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true })) as KeyRef & { kind: 'wrapped' };
    const flipped = Uint8Array.from(ref.blob);
    flipped[9] = (flipped[9] as number) ^ 0x01;
    const bad: Array<[KeyRef, SymmetricAlgorithm]> = [
      [{ ...ref, blob: flipped }, 'AES'], // integrity check fails in C_UnwrapKey
      [{ ...ref, masterKeyLabel: 'no-such-master' }, 'AES'],
      [ref, 'TDES'], // a 32-byte value is no TDES key
      [await inWorker.generateSymmetricKey({ algorithm: 'AES', lengthBits: 128, extractable: false }), 'AES'],
    ];
    const expected = ['err:BAD_KEY', 'err:BAD_KEY', 'err:BAD_KEY', 'err:NOT_EXTRACTABLE'];
    for (const [i, [r, alg]] of bad.entries()) {
      expect(await outcome(inWorker.exportKeyMaterial(r, alg))).toBe(expected[i]);
      expect(await outcome(onLoop.exportKeyMaterial(r, alg))).toBe(expected[i]);
    }
    // Still working afterwards, from many callers at once.
    const values = await Promise.all(Array.from({ length: 24 }, () => inWorker.exportKeyMaterial(ref, 'AES')));
    for (const v of values) expect(Buffer.from(v)).toEqual(Buffer.from(values[0]!));
  });

  it('a worker thread that dies is replaced by the next export; a closed provider refuses exports', async () => {
    const p = await openPkcs11Provider(cfg, { exportInWorker: true });
    try {
      const ref = await p.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true });
      const before = Buffer.from(await p.exportKeyMaterial(ref, 'AES'));
      // Kill every export thread behind the provider's back (tests only).
      const threads = (p as unknown as { exportWorker: { threads: Array<{ kill(): Promise<void> }> } }).exportWorker.threads;
      await Promise.all(threads.map((t) => t.kill()));
      expect(Buffer.from(await p.exportKeyMaterial(ref, 'AES'))).toEqual(before);
    } finally {
      await p.close();
    }
    await expect(p.exportKeyMaterial(await onLoop.generateSymmetricKey({ algorithm: 'AES', lengthBits: 128, extractable: true }), 'AES')).rejects.toMatchObject({
      code: 'HSM_UNAVAILABLE',
    });
  });
});
