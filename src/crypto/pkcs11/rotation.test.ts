/**
 * Master key rotation: a provider opened with a new master key label still reads keys wrapped
 * under the old one, and rewrapKey() moves them under the new one with identical key bytes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import type { KeyRef, SymmetricAlgorithm } from '../provider.js';
import { openPkcs11Provider } from './provider.js';
import { ensureSoftHsmToken } from './softhsm.js';

const dataDir = mkdtempSync(join(tmpdir(), 'kmipd-p11-rot-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('master key rotation', () => {
  it('rewraps old refs under the new master key without changing the keys', async () => {
    const cfg = await ensureSoftHsmToken(dataDir);
    const old = await openPkcs11Provider({ ...cfg, masterKeyLabel: 'master-2025' });
    const keys: Array<[SymmetricAlgorithm, KeyRef]> = [
      ['AES', await old.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true })],
      ['HMAC-SHA1', await old.generateSymmetricKey({ algorithm: 'HMAC-SHA1', lengthBits: 160, extractable: true })],
      ['HMAC-SHA256', await old.importSymmetricKey('HMAC-SHA256', Uint8Array.from({ length: 37 }, (_, i) => i + 1))],
      ['AES', await old.generateSymmetricKey({ algorithm: 'AES', lengthBits: 128, extractable: false })],
    ];
    const before = await Promise.all(keys.map(([alg, ref]) => (ref.kind === 'wrapped' ? old.exportKeyMaterial(ref, alg) : null)));
    await old.close();

    const cur = await openPkcs11Provider({ ...cfg, masterKeyLabel: 'master-2026' });
    try {
      for (const [i, [alg, ref]] of keys.entries()) {
        const moved = await cur.rewrapKey(ref, alg);
        if (ref.kind === 'resident') {
          expect(moved).toBe(ref);
          continue;
        }
        expect(moved).toMatchObject({ kind: 'wrapped', masterKeyLabel: 'master-2026', valueLength: ref.valueLength });
        // Old and new blobs both export the same bytes.
        expect(Buffer.from(await cur.exportKeyMaterial(ref, alg))).toEqual(Buffer.from(before[i] as Uint8Array));
        expect(Buffer.from(await cur.exportKeyMaterial(moved, alg))).toEqual(Buffer.from(before[i] as Uint8Array));
        // Already current: unchanged.
        expect(await cur.rewrapKey(moved, alg)).toBe(moved);
      }
      // A ref naming a master key that is not in the token is a bad key.
      const [, aes] = keys[0] as [SymmetricAlgorithm, KeyRef & { kind: 'wrapped' }];
      await expect(cur.rewrapKey({ ...aes, masterKeyLabel: 'master-1999' }, 'AES')).rejects.toMatchObject({ code: 'BAD_KEY' });
    } finally {
      await cur.close();
    }
  });
});
