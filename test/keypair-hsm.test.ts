/**
 * The PKCS#11 provider's asymmetric half on SoftHSM2: key pairs generated in the token, private
 * keys wrapped under the master key (or resident), signatures made in the HSM checked by
 * node:crypto with the returned SubjectPublicKeyInfo, and the other way round.
 */
import { constants, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';

import { beforeAll, describe, expect, it } from 'vitest';

import type { GeneratedKeyPair } from '../src/crypto/asymmetric.js';
import { CryptoError } from '../src/crypto/provider.js';
import { openPkcs11Provider } from '../src/crypto/pkcs11/provider.js';
import { useSoftHsmProvider } from './helpers/softhsm.js';

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const p11 = useSoftHsmProvider('kmipd-keypair-hsm-', (cfg) => openPkcs11Provider({ ...cfg, sessionPoolSize: 2 }, { log: quiet }));
let rsa: GeneratedKeyPair;
const DATA = Buffer.from('01020304050607080910111213141516', 'hex');

beforeAll(async () => {
  rsa = await p11.hsm.generateKeyPair({ algorithm: 'RSA', bits: 2048, extractable: true });
}, 60_000);

describe('RSA key pair in SoftHSM2', () => {
  it('returns an SPKI public key and a private key wrapped with CKM_AES_KEY_WRAP_PAD', () => {
    const pub = createPublicKey({ key: Buffer.from(rsa.publicKey), format: 'der', type: 'spki' });
    expect(pub.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(rsa.privateKey.kind).toBe('wrapped');
    if (rsa.privateKey.kind === 'wrapped') expect(rsa.privateKey.mechanism).toBe('CKM_AES_KEY_WRAP_PAD');
  });

  it('exports the private key as PKCS#8 matching the public key', async () => {
    const der = await p11.hsm.exportPrivateKey(rsa.privateKey, 'RSA');
    const priv = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(priv).export({ format: 'der', type: 'spki' });
    expect(Buffer.from(spki).equals(Buffer.from(rsa.publicKey))).toBe(true);
  });

  it('PKCS#1 v1.5 and PSS signatures made in the HSM verify in node:crypto', async () => {
    const pub = createPublicKey({ key: Buffer.from(rsa.publicKey), format: 'der', type: 'spki' });
    const v15 = await p11.hsm.sign(rsa.privateKey, 'RSA', { scheme: 'PKCS1v15', hash: 'SHA-256' }, DATA);
    expect(nodeVerify('sha256', DATA, pub, v15)).toBe(true);
    const pss = await p11.hsm.sign(rsa.privateKey, 'RSA', { scheme: 'PSS', hash: 'SHA-384' }, DATA);
    expect(nodeVerify('sha384', DATA, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, pss)).toBe(true);
    // Digested Data signs the same as Data.
    const digest = createHash('sha256').update(DATA).digest();
    const v15d = await p11.hsm.sign(rsa.privateKey, 'RSA', { scheme: 'PKCS1v15', hash: 'SHA-256', digested: true }, digest);
    expect(Buffer.from(v15d).equals(Buffer.from(v15))).toBe(true);
    expect(await p11.hsm.verify(rsa.publicKey, 'RSA', { scheme: 'PSS', hash: 'SHA-384' }, DATA, pss)).toBe(true);
    expect(await p11.hsm.verify(rsa.publicKey, 'RSA', { scheme: 'PKCS1v15', hash: 'SHA-256', digested: true }, digest, v15)).toBe(true);
  });

  it('signatures made by node:crypto verify; a tampered one does not', async () => {
    const der = await p11.hsm.exportPrivateKey(rsa.privateKey, 'RSA');
    const priv = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
    const sig = nodeSign('sha256', DATA, { key: priv, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    expect(await p11.hsm.verify(rsa.publicKey, 'RSA', { scheme: 'PSS', hash: 'SHA-256' }, DATA, sig)).toBe(true);
    sig[0] = (sig[0] as number) ^ 1;
    expect(await p11.hsm.verify(rsa.publicKey, 'RSA', { scheme: 'PSS', hash: 'SHA-256' }, DATA, sig)).toBe(false);
    expect(await p11.hsm.verify(rsa.publicKey, 'RSA', { scheme: 'PSS', hash: 'SHA-256' }, DATA, Buffer.alloc(3))).toBe(false);
  });

  it('signs with a registered (DER) private key imported transiently', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const sec1 = privateKey.export({ format: 'der', type: 'sec1' });
    const sig = await p11.hsm.sign({ kind: 'der', der: sec1, format: 'sec1' }, 'EC', { scheme: 'ECDSA', hash: 'SHA-384' }, DATA);
    expect(nodeVerify('sha384', DATA, publicKey, sig)).toBe(true);
  });
});

describe('EC key pairs', () => {
  it.each(['P-256', 'P-384', 'P-521'] as const)('%s: DER ECDSA signatures verify both ways', async (curve) => {
    const kp = await p11.hsm.generateKeyPair({ algorithm: 'EC', curve, extractable: true });
    const pub = createPublicKey({ key: Buffer.from(kp.publicKey), format: 'der', type: 'spki' });
    const sig = await p11.hsm.sign(kp.privateKey, 'EC', { scheme: 'ECDSA', hash: 'SHA-256' }, DATA);
    expect(sig[0]).toBe(0x30);
    expect(nodeVerify('sha256', DATA, pub, sig)).toBe(true);
    const der = await p11.hsm.exportPrivateKey(kp.privateKey, 'EC');
    const priv = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
    const back = nodeSign('sha256', DATA, priv);
    expect(await p11.hsm.verify(kp.publicKey, 'EC', { scheme: 'ECDSA', hash: 'SHA-256' }, DATA, back)).toBe(true);
    const digest = createHash('sha256').update(DATA).digest();
    expect(await p11.hsm.verify(kp.publicKey, 'EC', { scheme: 'ECDSA', hash: 'SHA-256', digested: true }, digest, back)).toBe(true);
    digest[0] = (digest[0] as number) ^ 1;
    expect(await p11.hsm.verify(kp.publicKey, 'EC', { scheme: 'ECDSA', hash: 'SHA-256', digested: true }, digest, back)).toBe(false);
  });

  it('a wrapped private key is unwrapped once for many concurrent Signs, and forgotten when destroyed', async () => {
    const kp = await p11.hsm.generateKeyPair({ algorithm: 'EC', curve: 'P-256', extractable: true });
    const pub = createPublicKey({ key: Buffer.from(kp.publicKey), format: 'der', type: 'spki' });
    const before = p11.hsm.cachedObjects.private;
    const sigs = await Promise.all(Array.from({ length: 12 }, () => p11.hsm.sign(kp.privateKey, 'EC', { scheme: 'ECDSA', hash: 'SHA-256' }, DATA)));
    expect(sigs.every((sig) => nodeVerify('sha256', DATA, pub, sig))).toBe(true);
    expect(p11.hsm.cachedObjects.private).toBe(before + 1);
    await p11.hsm.destroyKey(kp.privateKey);
    expect(p11.hsm.cachedObjects.private).toBe(before);
  });

  it('a non-extractable pair stays resident: signs, refuses export, is destroyed', async () => {
    const kp = await p11.hsm.generateKeyPair({ algorithm: 'EC', curve: 'P-256', extractable: false });
    expect(kp.privateKey.kind).toBe('resident');
    const sig = await p11.hsm.sign(kp.privateKey, 'EC', { scheme: 'ECDSA', hash: 'SHA-256' }, DATA);
    expect(await p11.hsm.verify(kp.publicKey, 'EC', { scheme: 'ECDSA', hash: 'SHA-256' }, DATA, sig)).toBe(true);
    await expect(p11.hsm.exportPrivateKey(kp.privateKey, 'EC')).rejects.toMatchObject({ code: 'NOT_EXTRACTABLE' });
    await p11.hsm.destroyKey(kp.privateKey);
    await expect(p11.hsm.sign(kp.privateKey, 'EC', { scheme: 'ECDSA', hash: 'SHA-256' }, DATA)).rejects.toBeInstanceOf(CryptoError);
  });

  it('rejects unsupported sizes and curves', async () => {
    await expect(p11.hsm.generateKeyPair({ algorithm: 'RSA', bits: 1024, extractable: true })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await expect(p11.hsm.generateKeyPair({ algorithm: 'EC', curve: 'P-192' as 'P-256', extractable: true })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});

describe('registered keys on secp256k1 (OASIS TC-ECDSA vectors)', () => {
  it('signs Digested Data and verifies it in the HSM', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const sec1 = privateKey.export({ format: 'der', type: 'sec1' });
    const spki = publicKey.export({ format: 'der', type: 'spki' });
    const digest = Buffer.from('01020304050607080910111213141516', 'hex');
    const p = { scheme: 'ECDSA', hash: 'SHA-256', digested: true } as const;
    const sig = await p11.hsm.sign({ kind: 'der', der: sec1, format: 'sec1' }, 'EC', p, digest);
    expect(await p11.hsm.verify(spki, 'EC', p, digest, sig)).toBe(true);
    expect(await p11.hsm.verify(spki, 'EC', p, Buffer.alloc(16, 7), sig)).toBe(false);
  });
});
