/**
 * The in-memory fake keeps the PKCS#11 provider's semantics, so unit tests built on it hold.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { createFakeCryptoProvider } from './fake-provider.js';
import { CryptoError, type KeyRef } from './provider.js';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(CryptoError);
    return (e as CryptoError).code;
  }
}

describe('createFakeCryptoProvider', () => {
  it('generates wrapped AES keys of the requested size, stable on export', async () => {
    const fake = createFakeCryptoProvider();
    for (const bits of [128, 192, 256]) {
      const ref = await fake.generateSymmetricKey({ algorithm: 'AES', lengthBits: bits, extractable: true });
      expect(ref).toMatchObject({ kind: 'wrapped', mechanism: 'CKM_AES_KEY_WRAP_PAD', masterKeyLabel: 'kmipd-master' });
      const a = await fake.exportKeyMaterial(ref, 'AES');
      expect(a).toHaveLength(bits / 8);
      expect(Buffer.from(await fake.exportKeyMaterial(ref, 'AES'))).toEqual(Buffer.from(a));
    }
  });

  it('round-trips imports, including odd HMAC lengths', async () => {
    const fake = createFakeCryptoProvider();
    const material = Uint8Array.from([1, 2, 3, 4, 5]);
    const ref = await fake.importSymmetricKey('HMAC-SHA256', material);
    expect(Buffer.from(await fake.exportKeyMaterial(ref, 'HMAC-SHA256'))).toEqual(Buffer.from(material));
  });

  it('applies the same errors: UNSUPPORTED, NOT_EXTRACTABLE, BAD_KEY, closed', async () => {
    const fake = createFakeCryptoProvider();
    expect(await codeOf(fake.generateSymmetricKey({ algorithm: 'AES', lengthBits: 100, extractable: true }))).toBe('UNSUPPORTED');
    expect(await codeOf(fake.importSymmetricKey('AES', new Uint8Array(15)))).toBe('UNSUPPORTED');

    const resident = await fake.generateSymmetricKey({ algorithm: 'TDES', lengthBits: 168, extractable: false });
    expect(resident.kind).toBe('resident');
    expect(fake.residentCount()).toBe(1);
    expect(await codeOf(fake.exportKeyMaterial(resident, 'TDES'))).toBe('NOT_EXTRACTABLE');
    await fake.destroyKey(resident);
    expect(fake.residentCount()).toBe(0);

    const ref = (await fake.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true })) as KeyRef & {
      kind: 'wrapped';
    };
    const blob = Uint8Array.from(ref.blob);
    blob[3] = (blob[3] as number) ^ 1;
    expect(await codeOf(fake.exportKeyMaterial({ ...ref, blob }, 'AES'))).toBe('BAD_KEY');
    // Another instance has another master key: its blobs do not unwrap here.
    expect(await codeOf(createFakeCryptoProvider().exportKeyMaterial(ref, 'AES'))).toBe('BAD_KEY');
    expect(await codeOf(fake.exportKeyMaterial(ref, 'TDES'))).toBe('BAD_KEY');

    expect(await fake.randomBytes(7)).toHaveLength(7);
    expect(await codeOf(fake.randomBytes(-1))).toBe('UNSUPPORTED');
    await fake.close();
    expect(fake.closed).toBe(true);
    expect(await codeOf(fake.randomBytes(1))).toBe('HSM_UNAVAILABLE');
  });

  it('round-trips any valid HMAC and AES material (property)', async () => {
    const fake = createFakeCryptoProvider();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 512 }).map((m) => ['HMAC-SHA512', m] as const),
          fc.constantFrom(16, 24, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }).map((m) => ['AES', m] as const)),
        ),
        async ([alg, material]) => {
          const ref = await fake.importSymmetricKey(alg, material);
          expect(Buffer.from(await fake.exportKeyMaterial(ref, alg))).toEqual(Buffer.from(material));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('generates TDES keys with odd parity', async () => {
    const fake = createFakeCryptoProvider();
    const key = await fake.exportKeyMaterial(await fake.generateSymmetricKey({ algorithm: 'TDES', lengthBits: 192, extractable: true }), 'TDES');
    expect(key).toHaveLength(24);
    for (const b of key) expect(b.toString(2).split('1').length - 1).toSatisfy((n: number) => n % 2 === 1);
  });
});
