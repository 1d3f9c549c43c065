/**
 * Blowfish known answers: Eric Young's published test vectors (ECB, variable key; CBC) and the
 * first words of pi the cipher is initialised from.
 */
import { describe, expect, it } from 'vitest';
import { Blowfish, blowfishEncrypt } from './blowfish.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (u: Uint8Array): string => Buffer.from(u).toString('hex');

describe('Blowfish', () => {
  it.each([
    ['0000000000000000', '0000000000000000', '4ef997456198dd78'],
    ['ffffffffffffffff', 'ffffffffffffffff', '51866fd5b85ecb8a'],
    ['3000000000000000', '1000000000000001', '7d856f9a613063f2'],
    ['1111111111111111', '1111111111111111', '2466dd878b963c9d'],
    ['0123456789abcdef', '1111111111111111', '61f9c3802281b096'],
    ['fedcba9876543210', '0123456789abcdef', '0aceab0fc6a0a28d'],
    ['7ca110454a1a6e57', '01a1d6d039776742', '59c68245eb05282b'],
  ])('ECB key %s pt %s', (k, p, c) => {
    expect(toHex(new Blowfish(hex(k)).encryptBlock(hex(p)))).toBe(c);
  });

  it('CBC (Eric Young: key 0123456789ABCDEFF0E1D2C3B4A59687, IV FEDCBA9876543210)', () => {
    const key = hex('0123456789abcdeff0e1d2c3b4a59687');
    const iv = hex('fedcba9876543210');
    const data = hex('37363534333231204e6f77206973207468652074696d6520666f722000000000');
    expect(toHex(blowfishEncrypt(key, 'CBC', 'none', iv, data))).toBe('6b77b4d63006dee605b156e27403979358deb9e7154616d959f1652bd5ff92cc');
    // The same 29 bytes with PKCS#5 padding: the PyKMIP interop vector.
    expect(toHex(blowfishEncrypt(key, 'CBC', 'PKCS5', iv, data.subarray(0, 29)))).toBe('6b77b4d63006dee605b156e27403979358deb9e7154616d9749decbec05d264b');
  });

  it('refuses bad keys, IVs and partial blocks without padding', () => {
    expect(() => new Blowfish(hex('000000'))).toThrow(RangeError);
    expect(() => blowfishEncrypt(hex('00000000'), 'CBC', 'none', hex('00'), hex('0000000000000000'))).toThrow(RangeError);
    expect(() => blowfishEncrypt(hex('00000000'), 'ECB', 'none', undefined, hex('00'))).toThrow(RangeError);
  });
});
