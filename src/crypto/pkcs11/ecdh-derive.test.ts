/**
 * ECDH whose result stays in SoftHSM2 (Pkcs11CryptoProvider.ecdhDeriveWrapped, KMIP Derive Key):
 * the wrapped ref exports to the RFC 5903 §8.1 known answer and to node:crypto's secp256k1 and
 * P-384 secrets, its HSM-computed SHA-256 matches, a length other than the field size is left to the
 * caller (SoftHSM2 keeps the trailing bytes for a shorter CKA_VALUE_LEN; see README.md), and a
 * peer on another curve is refused.
 */
import { createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PrivateKeySource } from '../asymmetric.js';
import { useSoftHsmProvider } from '../../../test/helpers/softhsm.js';

const p11 = useSoftHsmProvider('kmipd-p11-ecdh-');

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const b64u = (s: string): string => hex(s).toString('base64url');
// RFC 5903 §8.1 (256-bit random ECP group).
const RFC5903 = {
  i: 'C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433',
  gix: 'DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180',
  giy: '5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3',
  grx: 'D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63',
  gry: '56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB',
  girx: 'D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE',
};

function rfcKeys(): { source: PrivateKeySource; peer: Uint8Array } {
  const der = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64u(RFC5903.i), x: b64u(RFC5903.gix), y: b64u(RFC5903.giy) }, format: 'jwk' }).export({ format: 'der', type: 'pkcs8' });
  const peer = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(RFC5903.grx), y: b64u(RFC5903.gry) }, format: 'jwk' }).export({ format: 'der', type: 'spki' });
  return { source: { kind: 'der', der, format: 'pkcs8' }, peer };
}

describe('ECDH derived in the HSM and stored wrapped', () => {
  it('RFC 5903 §8.1: the wrapped key exports to the x-coordinate of g^ir, with its SHA-256', async () => {
    const { source, peer } = rfcKeys();
    const r = await p11.hsm.ecdhDeriveWrapped(source, peer, 32);
    expect(r).toBeDefined();
    expect(r!.length).toBe(32);
    expect(r!.ref.kind).toBe('wrapped');
    const value = Buffer.from(await p11.hsm.exportKeyMaterial(r!.ref, 'AES'));
    expect(value.toString('hex')).toBe(hex(RFC5903.girx).toString('hex'));
    expect(Buffer.from(r!.sha256).toString('hex')).toBe(createHash('sha256').update(value).digest('hex'));
    // The same bytes as the in-process path, which reads Z out of the HSM.
    expect(Buffer.from(await p11.hsm.ecdhSharedSecret(source, peer)).equals(value)).toBe(true);
  });

  it('secp256k1 and P-384 agree with node:crypto', async () => {
    for (const [curve, bytes] of [['secp256k1', 32], ['P-384', 48]] as const) {
      const a = generateKeyPairSync('ec', { namedCurve: curve });
      const b = generateKeyPairSync('ec', { namedCurve: curve });
      const der = a.privateKey.export({ format: 'der', type: 'pkcs8' });
      const r = await p11.hsm.ecdhDeriveWrapped({ kind: 'der', der, format: 'pkcs8' }, b.publicKey.export({ format: 'der', type: 'spki' }), bytes);
      const value = Buffer.from(await p11.hsm.exportKeyMaterial(r!.ref, 'HMAC-SHA256'));
      expect(value.equals(diffieHellman({ privateKey: b.privateKey, publicKey: a.publicKey }))).toBe(true);
    }
  });

  it('leaves a length other than the field size to the caller, and refuses a peer on another curve', async () => {
    const { source, peer } = rfcKeys();
    expect(await p11.hsm.ecdhDeriveWrapped(source, peer, 16)).toBeUndefined();
    expect(await p11.hsm.ecdhDeriveWrapped(source, peer, 48)).toBeUndefined();
    const other = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'der', type: 'spki' });
    await expect(p11.hsm.ecdhDeriveWrapped(source, other, 48)).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});
