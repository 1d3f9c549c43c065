/**
 * Token setup after partial failures, and several data directories used one after another in
 * one process (allowed once every provider on the previous one is closed).
 */
import { existsSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { openPkcs11Provider } from './provider.js';
import { ensureSoftHsmToken } from './softhsm.js';

const dirs: string[] = [];
function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kmipd-softhsm-rec-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('ensureSoftHsmToken recovery', () => {
  it('initialises the token with the stored PINs when the token store was lost', async () => {
    const dir = freshDir();
    const first = await ensureSoftHsmToken(dir);
    rmSync(join(dir, 'hsm', 'tokens'), { recursive: true });
    const second = await ensureSoftHsmToken(dir);
    expect(second.pin).toBe(first.pin);
    const p = await openPkcs11Provider(second);
    await p.close();
  });

  it('refuses an existing token whose PIN file is missing, naming the file', async () => {
    const dir = freshDir();
    await ensureSoftHsmToken(dir);
    unlinkSync(join(dir, 'hsm', 'pin'));
    await expect(ensureSoftHsmToken(dir)).rejects.toMatchObject({
      code: 'HSM_UNAVAILABLE',
      message: expect.stringContaining(join(dir, 'hsm', 'pin')),
    });
  });

  it('uses data directories one after another; keys of one do not unwrap in the other', async () => {
    const a = freshDir();
    const b = freshDir();
    const pa = await openPkcs11Provider(await ensureSoftHsmToken(a));
    const ref = await pa.generateSymmetricKey({ algorithm: 'AES', lengthBits: 128, extractable: true });
    const key = await pa.exportKeyMaterial(ref, 'AES');
    await pa.close();

    const pb = await openPkcs11Provider(await ensureSoftHsmToken(b));
    await expect(pb.exportKeyMaterial(ref, 'AES')).rejects.toMatchObject({ code: 'BAD_KEY' });
    await pb.close();
    expect(existsSync(join(b, 'hsm', 'pin'))).toBe(true);

    const pa2 = await openPkcs11Provider(await ensureSoftHsmToken(a));
    expect(Buffer.from(await pa2.exportKeyMaterial(ref, 'AES'))).toEqual(Buffer.from(key));
    await pa2.close();
  });
});
