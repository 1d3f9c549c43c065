/**
 * The PKCS#11 provider against the real SoftHSM2, in a temporary data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pkcs11js from 'pkcs11js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CryptoError, type KeyRef, type SymmetricAlgorithm } from '../provider.js';
import type { Pkcs11Config } from './config.js';
import { findObjects } from './objects.js';
import { openPkcs11Provider, type Pkcs11CryptoProvider } from './provider.js';
import { ensureSoftHsmToken } from './softhsm.js';

const dataDir = mkdtempSync(join(tmpdir(), 'kmipd-p11-'));
let cfg: Pkcs11Config;
let hsm: Pkcs11CryptoProvider;

beforeAll(async () => {
  cfg = await ensureSoftHsmToken(dataDir);
  hsm = await openPkcs11Provider(cfg);
});
afterAll(async () => {
  await hsm?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function wrapped(ref: KeyRef): KeyRef & { kind: 'wrapped' } {
  if (ref.kind !== 'wrapped') throw new Error('expected a wrapped ref');
  return ref;
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(CryptoError);
    return (e as CryptoError).code;
  }
}

describe('master key', () => {
  it('exists exactly once and never leaves the HSM', async () => {
    // Reopening must find, not create, the master key.
    const again = await openPkcs11Provider(cfg);
    await again.close();
    await hsm.withUnwrappedKey(await hsm.importSymmetricKey('AES', new Uint8Array(16)), 'AES', ({ mod, session }) => {
      const masters = findObjects(mod, session, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
        { type: pkcs11js.CKA_LABEL, value: 'kmipd-master' },
      ]);
      expect(masters).toHaveLength(1);
      const master = masters[0] as Buffer;
      const attrs = mod.C_GetAttributeValue(session, master, [
        { type: pkcs11js.CKA_EXTRACTABLE },
        { type: pkcs11js.CKA_SENSITIVE },
        { type: pkcs11js.CKA_ENCRYPT },
        { type: pkcs11js.CKA_WRAP },
        { type: pkcs11js.CKA_VALUE_LEN },
      ]);
      expect(attrs.map((a) => (a.value.length === 8 ? Number(a.value.readBigUInt64LE(0)) : a.value.readUIntLE(0, a.value.length)))).toEqual([
        0, 1, 0, 1, 32,
      ]);
      // Reading the value fails ...
      expect(() => mod.C_GetAttributeValue(session, master, [{ type: pkcs11js.CKA_VALUE }])).toThrow(
        /CKR_ATTRIBUTE_SENSITIVE/,
      );
      // ... and so does wrapping it under itself.
      expect(() =>
        mod.C_WrapKey(session, { mechanism: pkcs11js.CKM_AES_KEY_WRAP_PAD }, master, master, Buffer.alloc(64)),
      ).toThrow(/CKR_KEY_UNEXTRACTABLE/);
    });
  });

  it('wraps with RFC 5649 key wrap with padding', () => {
    expect(hsm.wrapMechanism).toBe('CKM_AES_KEY_WRAP_PAD');
  });
});

describe('generate and export', () => {
  for (const bits of [128, 192, 256]) {
    it(`AES-${bits}: export gives ${bits / 8} bytes, stable, and the blob is not the key`, async () => {
      const ref = wrapped(await hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: bits, extractable: true }));
      expect(ref).toMatchObject({ mechanism: 'CKM_AES_KEY_WRAP_PAD', masterKeyLabel: 'kmipd-master', valueLength: bits / 8 });
      const a = await hsm.exportKeyMaterial(ref, 'AES');
      const b = await hsm.exportKeyMaterial(ref, 'AES');
      expect(a).toHaveLength(bits / 8);
      expect(Buffer.from(b)).toEqual(Buffer.from(a));
      expect(Buffer.from(ref.blob).includes(Buffer.from(a))).toBe(false);
    });
  }

  it('two generated keys differ', async () => {
    const r1 = await hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true });
    const r2 = await hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true });
    const [k1, k2] = await Promise.all([hsm.exportKeyMaterial(r1, 'AES'), hsm.exportKeyMaterial(r2, 'AES')]);
    expect(Buffer.from(k1)).not.toEqual(Buffer.from(k2));
  });

  it('TDES 168 and 192 give a 24-byte key; other lengths are unsupported', async () => {
    for (const bits of [168, 192]) {
      const ref = await hsm.generateSymmetricKey({ algorithm: 'TDES', lengthBits: bits, extractable: true });
      expect(await hsm.exportKeyMaterial(ref, 'TDES')).toHaveLength(24);
    }
    expect(await codeOf(hsm.generateSymmetricKey({ algorithm: 'TDES', lengthBits: 112, extractable: true }))).toBe('UNSUPPORTED');
  });

  it('HMAC keys from the hash length up to 4096 bits, including sizes SoftHSM2 pads on unwrap', async () => {
    for (const [alg, bits] of [['HMAC-SHA1', 160], ['HMAC-SHA256', 264], ['HMAC-SHA384', 392], ['HMAC-SHA512', 4096]] as const) {
      const ref = await hsm.generateSymmetricKey({ algorithm: alg, lengthBits: bits, extractable: true });
      expect(await hsm.exportKeyMaterial(ref, alg)).toHaveLength(bits / 8);
    }
    // Below the hash output length, not whole bytes, beyond 4096 bits.
    for (const bits of [0, 128, 248, 260, 4104]) {
      expect(await codeOf(hsm.generateSymmetricKey({ algorithm: 'HMAC-SHA256', lengthBits: bits, extractable: true }))).toBe(
        'UNSUPPORTED',
      );
    }
  });

  it('unsupported lengths and algorithms are UNSUPPORTED, before touching the HSM', async () => {
    expect(await codeOf(hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 512, extractable: true }))).toBe('UNSUPPORTED');
    expect(await codeOf(hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 127.5, extractable: true }))).toBe('UNSUPPORTED');
    expect(
      await codeOf(hsm.generateSymmetricKey({ algorithm: 'RC4' as SymmetricAlgorithm, lengthBits: 128, extractable: true })),
    ).toBe('UNSUPPORTED');
  });
});

describe('import', () => {
  it('round-trips client key material exactly', async () => {
    const cases: Array<[SymmetricAlgorithm, number]> = [['AES', 16], ['AES', 24], ['AES', 32], ['TDES', 24], ['HMAC-SHA256', 4], ['HMAC-SHA256', 20], ['HMAC-SHA384', 131]];
    for (const [alg, n] of cases) {
      const material = new Uint8Array(n).map((_, i) => (i * 37 + n) & 0xff);
      const ref = wrapped(await hsm.importSymmetricKey(alg, material));
      expect(Buffer.from(ref.blob).includes(Buffer.from(material))).toBe(false);
      expect(Buffer.from(await hsm.exportKeyMaterial(ref, alg))).toEqual(Buffer.from(material));
    }
  });

  it('rejects material of the wrong length for the algorithm', async () => {
    expect(await codeOf(hsm.importSymmetricKey('AES', new Uint8Array(20)))).toBe('UNSUPPORTED');
    expect(await codeOf(hsm.importSymmetricKey('TDES', new Uint8Array(16)))).toBe('UNSUPPORTED');
    expect(await codeOf(hsm.importSymmetricKey('HMAC-SHA1', new Uint8Array(0)))).toBe('UNSUPPORTED');
  });
});

describe('non-extractable keys', () => {
  it('stay resident: export is NOT_EXTRACTABLE, destroy removes them', async () => {
    const ref = await hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: false });
    expect(ref.kind).toBe('resident');
    expect(await codeOf(hsm.exportKeyMaterial(ref, 'AES'))).toBe('NOT_EXTRACTABLE');
    // It is usable inside the HSM.
    await hsm.withUnwrappedKey(ref, 'AES', ({ handle }) => expect(handle).toBeInstanceOf(Buffer));
    await hsm.destroyKey(ref);
    expect(await codeOf(hsm.withUnwrappedKey(ref, 'AES', () => 0))).toBe('BAD_KEY');
    await hsm.destroyKey(ref); // idempotent
  });
});

describe('bad blobs', () => {
  it('a corrupted blob is BAD_KEY, not a crash', async () => {
    const ref = wrapped(await hsm.generateSymmetricKey({ algorithm: 'AES', lengthBits: 256, extractable: true }));
    const blob = Uint8Array.from(ref.blob);
    blob[9] = (blob[9] as number) ^ 0x01;
    expect(await codeOf(hsm.exportKeyMaterial({ ...ref, blob }, 'AES'))).toBe('BAD_KEY');
    expect(await codeOf(hsm.exportKeyMaterial({ ...ref, blob: ref.blob.subarray(0, 13) }, 'AES'))).toBe('BAD_KEY');
    expect(await codeOf(hsm.exportKeyMaterial({ ...ref, masterKeyLabel: 'no-such-master' }, 'AES'))).toBe('BAD_KEY');
    expect(await codeOf(hsm.exportKeyMaterial({ ...ref, mechanism: 'CKM_ROT13' }, 'AES'))).toBe('UNSUPPORTED');
    // A valid blob of a 32-byte key read back as TDES has the wrong length for TDES.
    expect(await codeOf(hsm.exportKeyMaterial(ref, 'TDES'))).toBe('BAD_KEY');
    // The provider still works afterwards.
    expect(await hsm.exportKeyMaterial(ref, 'AES')).toHaveLength(32);
  });
});

describe('random, describe, concurrency', () => {
  it('randomBytes is bounded', async () => {
    expect(await hsm.randomBytes(32)).toHaveLength(32);
    expect(await hsm.randomBytes(0)).toHaveLength(0);
    expect(await codeOf(hsm.randomBytes(-1))).toBe('UNSUPPORTED');
    expect(await codeOf(hsm.randomBytes(1 << 20))).toBe('UNSUPPORTED');
  });

  it('describe() names module and token, never the PIN', () => {
    const d = hsm.describe();
    expect(d).toEqual({ module: cfg.module, tokenLabel: 'kmipd', manufacturer: 'SoftHSM project', model: 'SoftHSM v2' });
    expect(JSON.stringify(d)).not.toContain(cfg.pin);
  });

  it('keeps the event loop ticking while 20 keys are generated', async () => {
    // Were the PKCS#11 calls synchronous, every promise below would settle in microtasks and
    // no timer could fire before the batch ends. Batches repeat until 20 ms have passed, so a
    // fast machine cannot finish inside one timer period.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = Date.now();
    try {
      do {
        const refs = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            hsm.generateSymmetricKey({ algorithm: i % 2 ? 'AES' : 'HMAC-SHA256', lengthBits: 256, extractable: true }),
          ),
        );
        expect(new Set(refs.map((r) => Buffer.from(wrapped(r).blob).toString('hex'))).size).toBe(20);
        if (ticks > 0) break;
      } while (Date.now() - started < 20);
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('restart', () => {
  it('a reopened provider exports previously wrapped keys identically; close is idempotent', async () => {
    const material = Uint8Array.from({ length: 32 }, (_, i) => i);
    const imported = await hsm.importSymmetricKey('AES', material);
    const generated = await hsm.generateSymmetricKey({ algorithm: 'HMAC-SHA1', lengthBits: 160, extractable: true });
    const before = await hsm.exportKeyMaterial(generated, 'HMAC-SHA1');
    await hsm.close();
    await hsm.close();
    expect(await codeOf(hsm.randomBytes(4))).toBe('HSM_UNAVAILABLE');

    hsm = await openPkcs11Provider(await ensureSoftHsmToken(dataDir));
    expect(Buffer.from(await hsm.exportKeyMaterial(imported, 'AES'))).toEqual(Buffer.from(material));
    expect(Buffer.from(await hsm.exportKeyMaterial(generated, 'HMAC-SHA1'))).toEqual(Buffer.from(before));
  });
});
