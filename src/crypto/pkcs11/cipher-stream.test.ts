/**
 * Multi-part Encrypt/Decrypt held in SoftHSM2 sessions (cipher-stream.ts): known answers split
 * into parts any way give the single-shot answers (NIST SP 800-38A F.1.1 ECB, F.2.1 CBC, F.5.1
 * CTR; McGrew-Viega GCM test cases 4 and 5), each part releases what the mode allows, and every
 * end (final, abort, failure, close) gives the stream's session back to the module.
 */

import { beforeAll, describe, expect, it } from 'vitest';

import { type CipherParams, CipherParamError, type CipherStream } from '../cipher.js';
import { CryptoError, type KeyRef } from '../provider.js';
import { openPkcs11Provider } from './provider.js';
import { useSoftHsmProvider } from '../../../test/helpers/softhsm.js';

const p11 = useSoftHsmProvider('kmipd-p11-stream-', (cfg) => openPkcs11Provider({ ...cfg, sessionPoolSize: 2 }));
let aes: KeyRef;
let gcmKey: KeyRef;
let tdes: KeyRef;

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const P = hex(`6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
               30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710`);
const GCM_P = hex(`d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
                   1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39`);
const GCM_A = hex('feedfacedeadbeeffeedfacedeadbeefabaddad2');

beforeAll(async () => {
  aes = await p11.hsm.importSymmetricKey('AES', hex('2b7e151628aed2a6abf7158809cf4f3c'));
  gcmKey = await p11.hsm.importSymmetricKey('AES', hex('feffe9928665731c6d6a8f9467308308'));
  tdes = await p11.hsm.importSymmetricKey('TDES', hex('0123456789abcdef23456789abcdef01456789abcdef0123'));
}, 60_000);

/** Cuts `data` at the given lengths (the rest is the last part). */
function split(data: Buffer, sizes: number[]): Buffer[] {
  const parts: Buffer[] = [];
  let at = 0;
  for (const n of sizes) {
    parts.push(data.subarray(at, at + n));
    at += n;
  }
  parts.push(data.subarray(at));
  return parts;
}

/** Runs all parts but the last through update(), the last through final(). */
async function run(s: CipherStream, parts: Buffer[], tag?: Uint8Array): Promise<{ outs: Buffer[]; all: Buffer; tag?: Uint8Array }> {
  const outs: Buffer[] = [];
  for (const p of parts.slice(0, -1)) outs.push(Buffer.from(await s.update(p)));
  const r = await s.final(parts[parts.length - 1]!, tag);
  outs.push(Buffer.from(r.data));
  return { outs, all: Buffer.concat(outs), ...(r.tag !== undefined ? { tag: r.tag } : {}) };
}

const SPLITS = [[], [1, 15, 16, 17], [7, 0, 20], [16, 16, 16], [63]];

const VECTORS: Array<{ name: string; key: () => KeyRef; params: CipherParams; plain: Buffer; cipher: Buffer; tag?: string }> = [
  {
    name: 'SP 800-38A F.1.1 ECB-AES128',
    key: () => aes,
    params: { mode: 'ECB' },
    plain: P,
    cipher: hex(`3ad77bb40d7a3660a89ecaf32466ef97 f5d3d58503b9699de785895a96fdbaaf
                 43b1cd7f598ece23881b00e3ed030688 7b0c785e27e8ad3f8223207104725dd4`),
  },
  {
    name: 'SP 800-38A F.2.1 CBC-AES128',
    key: () => aes,
    params: { mode: 'CBC', iv: hex('000102030405060708090a0b0c0d0e0f') },
    plain: P,
    cipher: hex(`7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2
                 73bed6b8e3c1743b7116e69e22229516 3ff1caa1681fac09120eca307586e1a7`),
  },
  {
    name: 'SP 800-38A F.5.1 CTR-AES128',
    key: () => aes,
    params: { mode: 'CTR', iv: hex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff') },
    plain: P,
    cipher: hex(`874d6191b620e3261bef6864990db6ce 9806f66b7970fdff8617187bb9fffdff
                 5ae4df3edbd5d35e5b4f09020db03eab 1e031dda2fbe03d1792170a0f3009cee`),
  },
  {
    name: 'GCM test case 4 (96-bit IV)',
    key: () => gcmKey,
    params: { mode: 'GCM', iv: hex('cafebabefacedbaddecaf888'), aad: GCM_A },
    plain: GCM_P,
    cipher: hex(`42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e
                 21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091`),
    tag: '5bc94fbc3221a5db94fae95ae7121a47',
  },
  {
    name: 'GCM test case 5 (64-bit IV, OASIS CS-BC-M-GCM-3)',
    key: () => gcmKey,
    params: { mode: 'GCM', iv: hex('cafebabefacedbad'), aad: GCM_A, tagLength: 16 },
    plain: GCM_P,
    cipher: hex(`61353b4c2806934a777ff51fa22a4755699b2a714fcdc6f83766e5f97b6c7423
                 73806900e49f24b22b097544d4896b424989b5e1ebac0f07c23f4598`),
    tag: '3612d2e79e3b0785561be14aaca2fccb',
  },
];

describe('multi-part Encrypt/Decrypt in the HSM', () => {
  for (const v of VECTORS) {
    it(`${v.name}: any split gives the known answer, both ways`, async () => {
      for (const sizes of SPLITS) {
        const enc = await run(await p11.hsm.openCipherStream(v.key(), 'AES', v.params, 'encrypt'), split(v.plain, sizes));
        expect(enc.all.toString('hex'), `split ${sizes.join(',')}`).toBe(v.cipher.toString('hex'));
        if (v.tag !== undefined) expect(Buffer.from(enc.tag!).toString('hex')).toBe(v.tag);
        const dec = await run(await p11.hsm.openCipherStream(v.key(), 'AES', v.params, 'decrypt'), split(v.cipher, sizes), v.tag !== undefined ? hex(v.tag) : undefined);
        expect(dec.all.toString('hex')).toBe(v.plain.toString('hex'));
        if (v.params.mode === 'ECB' || v.params.mode === 'CBC') {
          // Whole blocks only, as soon as they are complete.
          let fed = 0;
          let released = 0;
          split(v.plain, sizes).forEach((p, i) => {
            fed += p.length;
            released += enc.outs[i]!.length;
            expect(released).toBe(fed - (fed % 16));
          });
        }
        if (v.params.mode === 'GCM') {
          // No plaintext before the tag is checked.
          expect(dec.outs.slice(0, -1).every((o) => o.length === 0)).toBe(true);
        }
      }
      expect(p11.hsm.cipherStreams.size).toBe(0);
      expect(p11.hsm.cipherStreams.sessions).toBe(0);
    });
  }

  it('PKCS#5 padding in parts: CBC (the module) and ECB (ours), TDES too; the last block held back while decrypting', async () => {
    for (const [key, alg, bs] of [
      [aes, 'AES', 16],
      [tdes, 'TDES', 8],
    ] as const) {
      for (const mode of ['CBC', 'ECB'] as const) {
        const params: CipherParams = { mode, padding: 'PKCS5', ...(mode === 'CBC' ? { iv: Buffer.alloc(bs, 7) } : {}) };
        const plain = P.subarray(0, 33);
        const whole = await p11.hsm.encrypt(key, alg, params, plain);
        const enc = await run(await p11.hsm.openCipherStream(key, alg, params, 'encrypt'), split(plain, [5, 11, 16]));
        expect(enc.all.toString('hex')).toBe(Buffer.from(whole.data).toString('hex'));
        const ct = Buffer.from(whole.data);
        const dec = await run(await p11.hsm.openCipherStream(key, alg, params, 'decrypt'), split(ct, [bs, bs]));
        expect(dec.outs[0]!.length).toBe(0); // the first block may yet be the padded one
        expect(dec.outs[1]!.length).toBe(bs);
        expect(dec.all.toString('hex')).toBe(plain.toString('hex'));
      }
    }
    expect(p11.hsm.cipherStreams.sessions).toBe(0);
  });

  it('a server-chosen IV is reported; the stream uses it', async () => {
    const s = await p11.hsm.openCipherStream(aes, 'AES', { mode: 'CBC' }, 'encrypt');
    expect(s.iv?.length).toBe(16);
    const iv = Buffer.from(s.iv!);
    const r = await run(s, split(P, [20]));
    expect(r.all.toString('hex')).toBe(Buffer.from((await p11.hsm.encrypt(aes, 'AES', { mode: 'CBC', iv }, P)).data).toString('hex'));
  });

  it('a GCM tag that does not verify fails the final part and releases the session', async () => {
    const v = VECTORS[3]!;
    const s = await p11.hsm.openCipherStream(gcmKey, 'AES', v.params, 'decrypt');
    await s.update(v.cipher.subarray(0, 20));
    const bad = hex(v.tag!);
    bad[0] = (bad[0] as number) ^ 1;
    const err = await s.final(v.cipher.subarray(20), bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CryptoError);
    expect((err as CryptoError).code).toBe('BAD_KEY');
    expect(p11.hsm.cipherStreams.sessions).toBe(0);
    // The stream is over.
    await expect(s.update(Buffer.alloc(1))).rejects.toThrow(/ended/);
  });

  it('refuses what a single-shot request refuses, and an incomplete block at the end', async () => {
    await expect(p11.hsm.openCipherStream(aes, 'AES', { mode: 'CBC', iv: Buffer.alloc(8) }, 'encrypt')).rejects.toBeInstanceOf(CipherParamError);
    await expect(p11.hsm.openCipherStream(tdes, 'TDES', { mode: 'GCM' }, 'encrypt')).rejects.toBeInstanceOf(CipherParamError);
    const s = await p11.hsm.openCipherStream(aes, 'AES', { mode: 'ECB' }, 'encrypt');
    await s.update(P.subarray(0, 10));
    const err = await s.final(Buffer.alloc(0)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CipherParamError);
    expect((err as CipherParamError).problem).toBe('data-length');
    expect(p11.hsm.cipherStreams.sessions).toBe(0);
  });

  it('abort is idempotent and gives the session back; close abandons what is open', async () => {
    const a = await p11.hsm.openCipherStream(aes, 'AES', { mode: 'ECB' }, 'encrypt');
    const b = await p11.hsm.openCipherStream(aes, 'AES', { mode: 'CTR', iv: Buffer.alloc(16) }, 'decrypt');
    expect(p11.hsm.cipherStreams.sessions).toBe(2);
    a.abort();
    a.abort();
    expect(p11.hsm.cipherStreams.sessions).toBe(1);
    // Streams do not hold pool sessions: single-shot requests still run (pool of 2).
    await Promise.all([p11.hsm.encrypt(aes, 'AES', { mode: 'ECB' }, P), p11.hsm.encrypt(aes, 'AES', { mode: 'ECB' }, P), p11.hsm.digest('SHA-256', P)]);
    b.abort();
    expect(p11.hsm.cipherStreams.size).toBe(0);
  });

  it('at most MAX_CIPHER_STREAMS at once', async () => {
    const open: CipherStream[] = [];
    try {
      for (let i = 0; i < 64; i++) open.push(await p11.hsm.openCipherStream(aes, 'AES', { mode: 'ECB' }, 'encrypt'));
      const err = await p11.hsm.openCipherStream(aes, 'AES', { mode: 'ECB' }, 'encrypt').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CryptoError);
      expect((err as CryptoError).code).toBe('HSM_UNAVAILABLE');
    } finally {
      for (const s of open) s.abort();
    }
    expect(p11.hsm.cipherStreams.sessions).toBe(0);
  });
});
