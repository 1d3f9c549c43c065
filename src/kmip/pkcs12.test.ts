import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildPkcs12, pkcs12KdfAsync } from './pkcs12.js';

/**
 * The KDF's password input as bytes: OpenSSL's `kdf` command hands its `pass` to the KDF as given
 * (the BMPString conversion is the PFX writer's; test/pkcs12-live.test.ts has OpenSSL check the MAC).
 */
const raw = (s: string): Buffer => Buffer.from(s, 'utf8');
const hex = (s: string): string => s.replace(/:/g, '').toLowerCase();

describe('PKCS#12', () => {
  // Expected values from OpenSSL 3's own implementation: `openssl kdf -keylen N -kdfopt digest:SHA256
  // -kdfopt pass:P -kdfopt hexsalt:S -kdfopt iter:I -kdfopt id:D PKCS12KDF`.
  it('derives keys as OpenSSL\'s PKCS12KDF does (RFC 7292 Appendix B.2), in slices of 1,024 iterations', async () => {
    const salt = Buffer.from('0102030405060708', 'hex');
    expect((await pkcs12KdfAsync(raw('password'), salt, 3, 2048, 32, 'sha256')).toString('hex')).toBe(
      hex('15:50:DB:6D:54:47:52:EF:ED:F4:3C:B6:43:B1:20:EB:18:EC:7C:6F:C5:6C:C9:5C:40:12:18:36:CA:AA:2D:67'),
    );
    expect((await pkcs12KdfAsync(raw('s3cret'), Buffer.from('a1a2a3a4a5a6a7a8a9aaabacadaeafb0', 'hex'), 1, 3, 40, 'sha256')).toString('hex')).toBe(
      hex('89:70:83:95:82:29:F9:06:0E:3A:96:FA:00:DC:14:63:36:8D:73:05:0C:37:2F:A5:C9:CC:58:D8:A6:98:01:9D:70:98:21:86:7E:A3:D0:8B'),
    );
    // Two output blocks of SHA-1 over 3,000 iterations; one SHA-512 block just past a slice.
    expect((await pkcs12KdfAsync(raw('password'), salt, 1, 3000, 24, 'sha1')).toString('hex')).toBe(hex('C1:7B:53:2F:8E:20:48:DD:3B:6B:86:44:0F:F4:0F:33:F1:9C:B8:67:20:BD:C1:F3'));
    expect((await pkcs12KdfAsync(raw('password'), salt, 3, 1025, 64, 'sha512')).toString('hex')).toBe(
      hex('CF:86:0D:14:5E:24:81:22:8F:1F:1A:7A:5D:FD:9B:11:E0:3A:40:20:03:7A:1E:C3:C4:EB:C0:DF:35:91:2A:49:C2:DB:9D:7A:38:6E:A3:DA:FA:E7:FC:D3:C8:E2:08:00:8B:7C:FF:B8:1A:A6:00:19:6E:DE:4C:15:7A:6B:21:B8'),
    );
  });

  it('writes a PFX v3 whose MAC covers the authenticated safe', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pfx = await buildPkcs12({ key: privateKey, certificates: [], password: Buffer.from('pw') });
    expect(pfx[0]).toBe(0x30);
    expect(pfx.subarray(4, 7).toString('hex')).toBe('020103'); // version 3
    const other = await buildPkcs12({ key: privateKey, certificates: [], password: Buffer.from('pw') });
    expect(other.equals(pfx)).toBe(false); // fresh salts
  });
});
