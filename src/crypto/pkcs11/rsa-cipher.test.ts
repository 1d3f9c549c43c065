/**
 * EME-OAEP encoding and decoding (RFC 8017 §7.1), the part kmipd does itself when the module
 * offers OAEP only with SHA-1: against node:crypto's OAEP (OpenSSL) both ways, and every kind of
 * defect in a decoded block rejected alike.
 */
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import type { SignatureHash } from '../asymmetric.js';
import { oaepDecode, oaepEncode } from './rsa-cipher.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const K = 256;
const M = Buffer.from('attack at dawn');
const NODE: Record<SignatureHash, string> = { 'SHA-1': 'sha1', 'SHA-224': 'sha224', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
const HASHES = Object.keys(NODE) as SignatureHash[];

/** The EM block of an OpenSSL OAEP encryption, recovered with raw RSA. */
function nodeEm(hash: SignatureHash, label?: Buffer): Buffer {
  const ct = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: NODE[hash], ...(label ? { oaepLabel: label } : {}) }, M);
  return privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, ct);
}

describe('EME-OAEP', () => {
  it.each(HASHES)('%s: decodes OpenSSL blocks; OpenSSL decrypts ours', (hash) => {
    expect(oaepDecode(nodeEm(hash), hash, hash)).toEqual(M);
    const em = oaepEncode(M, K, hash, hash);
    expect(em.length).toBe(K);
    const ct = publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, em);
    expect(privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: NODE[hash] }, ct)).toEqual(M);
  });

  it('labels and a separate MGF1 hash round-trip; a wrong label or hash is rejected', () => {
    const label = Buffer.from('context');
    expect(oaepDecode(nodeEm('SHA-256', label), 'SHA-256', 'SHA-256', label)).toEqual(M);
    expect(oaepDecode(nodeEm('SHA-256', label), 'SHA-256', 'SHA-256')).toBeUndefined();
    const em = oaepEncode(M, K, 'SHA-384', 'SHA-1', label);
    expect(oaepDecode(em, 'SHA-384', 'SHA-1', label)).toEqual(M);
    expect(oaepDecode(em, 'SHA-384', 'SHA-384', label)).toBeUndefined();
    expect(oaepDecode(em, 'SHA-256', 'SHA-1', label)).toBeUndefined();
    // The largest message: k - 2 hLen - 2 bytes, and the empty one.
    const big = Buffer.alloc(K - 2 * 48 - 2, 7);
    expect(oaepDecode(oaepEncode(big, K, 'SHA-384', 'SHA-384'), 'SHA-384', 'SHA-384')).toEqual(big);
    expect(oaepDecode(oaepEncode(Buffer.alloc(0), K, 'SHA-1', 'SHA-1'), 'SHA-1', 'SHA-1')).toEqual(Buffer.alloc(0));
  });

  it('a non-zero first byte, a flipped bit anywhere, or a too-short block decodes to nothing', () => {
    const em = oaepEncode(M, K, 'SHA-256', 'SHA-256');
    const first = Buffer.from(em);
    first[0] = 1;
    expect(oaepDecode(first, 'SHA-256', 'SHA-256')).toBeUndefined();
    for (const i of [1, 20, 33, 100, 200, K - 1]) {
      const b = Buffer.from(em);
      b[i] = (b[i] as number) ^ 0x01;
      expect(oaepDecode(b, 'SHA-256', 'SHA-256')).toBeUndefined();
    }
    expect(oaepDecode(Buffer.alloc(2 * 32 + 1), 'SHA-256', 'SHA-256')).toBeUndefined();
    expect(oaepDecode(Buffer.alloc(K), 'SHA-256', 'SHA-256')).toBeUndefined();
  });
});
