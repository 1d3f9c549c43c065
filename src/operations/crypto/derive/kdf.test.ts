/**
 * Known answers for the in-process key derivation functions: RFC 6070 (PBKDF2-HMAC-SHA1),
 * RFC 5869 Appendix A (HKDF), NIST CAVP KDFCTR (SP 800-108 counter mode, HMAC-SHA512,
 * counter before the fixed data, r = 32; the vector PyKMIP's interop suite uses), NIST CAVP
 * KDFFeedback (FeedbackModeNOzeroiv) and KDFDblPipeline (PipelineModewithCounter), HMAC-SHA256,
 * counter after the iteration variable, r = 32.
 */
import { describe, expect, it } from 'vitest';
import { hkdf, hmacPrf, kbkdfCounter, kbkdfDoublePipeline, kbkdfFeedback, pbkdf2Derive } from './kdf.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const toHex = (u: Uint8Array): string => Buffer.from(u).toString('hex');

describe('PBKDF2-HMAC-SHA1 (RFC 6070 §2)', () => {
  it.each([
    ['password', 'salt', 1, 20, '0c60c80f961f0e71f3a9b524af6012062fe037a6'],
    ['password', 'salt', 2, 20, 'ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957'],
    ['password', 'salt', 4096, 20, '4b007901b765489abead49d926f721d065a429c1'],
    ['passwordPASSWORDpassword', 'saltSALTsaltSALTsaltSALTsaltSALTsalt', 4096, 25, '3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038'],
    ['pass\0word', 'sa\0lt', 4096, 16, '56fa6aa75548099dcc37d7f03425e0c3'],
  ])('P=%j S=%j c=%i dkLen=%i', async (p, s, c, len, dk) => {
    expect(toHex(await pbkdf2Derive('SHA-1', ascii(p), ascii(s), c, len))).toBe(dk);
  });
});

describe('HKDF (RFC 5869 Appendix A)', () => {
  it('test case 1 (SHA-256)', () => {
    const okm = hkdf('SHA-256', hex('0b'.repeat(22)), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42);
    expect(toHex(okm)).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });
  it('test case 3 (SHA-256, zero-length salt and info)', () => {
    const okm = hkdf('SHA-256', hex('0b'.repeat(22)), new Uint8Array(0), new Uint8Array(0), 42);
    expect(toHex(okm)).toBe('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
  });
  it('test case 4 (SHA-1)', () => {
    const okm = hkdf('SHA-1', hex('0b'.repeat(11)), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42);
    expect(toHex(okm)).toBe('085a01ea1b10f36933068b56efa5ad81a4f14b822f5b091568a9cdd4f155fda2c22e422478d305f3f896');
  });
  it('test case 7 (SHA-1, salt not provided)', () => {
    const okm = hkdf('SHA-1', hex('0c'.repeat(22)), undefined, new Uint8Array(0), 42);
    expect(toHex(okm)).toBe('2c91117204d745f3500d636a62f64f0ab3bae548aa53d423b0d1f27ebba6f5e5673a081d70cce7acfc48');
  });
  it('refuses more than 255 hash lengths', () => {
    expect(() => hkdf('SHA-1', hex('00'), undefined, new Uint8Array(0), 255 * 20 + 1)).toThrow(RangeError);
  });
});

describe('SP 800-108 counter mode (NIST CAVP KDFCTR, HMAC-SHA512, BEFORE_FIXED, RLEN 32)', () => {
  it('derives L = 128 bits', async () => {
    const ki = hex(
      'dd5dbd45593ee2ac139748e7645b450f223d2ff297b73fd71cbcebe71d41653c950b88500de5322d99ef18dfdd30428294c4b3094f4c954334e593bd982ec614',
    );
    const fixed = hex('b50b0c963c6b3034b8cf19cd3f5c4ebe4f4985af0c03e575db62e6fdf1ecfe4f28b95d7ce16df85843246e1557ce95bb26cc9a21974bbd2eb69e8355');
    expect(toHex(await kbkdfCounter(hmacPrf('SHA-512', ki), 64, fixed, 16))).toBe('e5993bf9bd2aa1c45746042e12598155');
  });
  it('counts blocks from 1 and concatenates them', async () => {
    const calls: number[] = [];
    const prf = (d: Uint8Array): Promise<Uint8Array> => {
      calls.push(Buffer.from(d).readUInt32BE(0));
      return Promise.resolve(new Uint8Array(4).fill(calls.length));
    };
    expect(toHex(await kbkdfCounter(prf, 4, hex('aa'), 10))).toBe('01010101020202020303');
    expect(calls).toEqual([1, 2, 3]);
  });
});

describe('SP 800-108 feedback mode (NIST CAVP KDFFeedback, HMAC-SHA256, AFTER_ITER, RLEN 32)', () => {
  it('COUNT=0: L = 512 bits with a 256-bit IV', async () => {
    const ki = hex('93f698e842eed75394d629d957e2e89c6e741f810b623c8b901e38376d068e7b');
    const iv = hex('9f575d9059d3e0c0803f08112f8a806de3c3471912cdf42b095388b14b33508e');
    const fixed = hex('53b89c18690e2057a1d167822e636de50be0018532c431f7f5e37f77139220d5e042599ebe266af5767ee18cd2c5c19a1f0f80');
    expect(toHex(await kbkdfFeedback(hmacPrf('SHA-256', ki), 32, iv, fixed, 64))).toBe(
      'bd1476f43a4e315747cf5918e0ea5bc0d98769457477c3ab18b742def0e079a933b756365afb5541f253fee43c6fd788a44041038509e9eeb68f7d65ffbb5f95',
    );
  });
  it('feeds each block into the next, after the IV', async () => {
    const seen: string[] = [];
    const prf = (d: Uint8Array): Promise<Uint8Array> => {
      seen.push(toHex(d));
      return Promise.resolve(new Uint8Array(2).fill(seen.length));
    };
    expect(toHex(await kbkdfFeedback(prf, 2, hex('ee'), hex('aa'), 3))).toBe('010102');
    expect(seen).toEqual(['ee00000001aa', '010100000002aa']);
  });
});

describe('SP 800-108 double-pipeline mode (NIST CAVP KDFDblPipeline, HMAC-SHA256, AFTER_ITER, RLEN 32)', () => {
  it('L = 512 bits (two blocks)', async () => {
    const ki = hex('02d36fa021c20ddbdee469f0579468bae5cb13b548b6c61cdf9d3ec419111de2');
    const fixed = hex('85abe38bf265fbdc6445ae5c71159f1548c73b7d526a623104904a0f8792070b3df9902b9669490425a385eadb0f9c76e46f0f');
    expect(toHex(await kbkdfDoublePipeline(hmacPrf('SHA-256', ki), 32, fixed, 64))).toBe(
      'd69f74f518c9f64f90a0beebab69f689b73b5c13eb0f860a95cad7d9814f8c506eb7b179a5c5b4466a9ec154c3bf1c13efd6ec0d82b02c29af2c690299edc453',
    );
  });
  it('L = 72 bits (a partial block)', async () => {
    const ki = hex('3d361a9f28aad722f68ebdc298439da1');
    const fixed = hex('405344b2a4b83164b06ebac5421bf10183dc4e0f8c2e58728472ddd5ccb10bdf');
    expect(toHex(await kbkdfDoublePipeline(hmacPrf('SHA-256', ki), 32, fixed, 9))).toBe('3422683b2d4bed1a05');
  });
});
