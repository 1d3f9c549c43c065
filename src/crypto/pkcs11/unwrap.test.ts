/**
 * fitValue(): cutting SoftHSM2's RFC 5649 padding back off an unwrapped value, and nothing else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { CryptoError, type KeyRef } from '../provider.js';
import { checkBlob, fitValue } from './unwrap.js';

const ref = (valueLength?: number, blobLength = 24): KeyRef & { kind: 'wrapped' } => ({
  kind: 'wrapped',
  mechanism: 'CKM_AES_KEY_WRAP_PAD',
  masterKeyLabel: 'm',
  blob: new Uint8Array(blobLength),
  ...(valueLength === undefined ? {} : { valueLength }),
});

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(CryptoError);
    return (e as CryptoError).code;
  }
}

describe('fitValue', () => {
  it('recovers any HMAC key from its zero-padded form', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 512 }), (key) => {
        const padded = Buffer.concat([key, Buffer.alloc((8 - (key.length % 8)) % 8)]);
        expect(fitValue(padded, ref(key.length), 'HMAC-SHA256')).toEqual(Buffer.from(key));
        expect(fitValue(Buffer.from(key), ref(key.length), 'HMAC-SHA256')).toEqual(Buffer.from(key));
      }),
    );
  });

  it('refuses padding that is not zero, too long, or a value shorter than recorded', () => {
    expect(code(() => fitValue(Buffer.from([1, 2, 3, 9, 0, 0, 0, 0]), ref(3), 'HMAC-SHA1'))).toBe('BAD_KEY');
    expect(code(() => fitValue(Buffer.alloc(16), ref(3), 'HMAC-SHA1'))).toBe('BAD_KEY');
    expect(code(() => fitValue(Buffer.alloc(2), ref(3), 'HMAC-SHA1'))).toBe('BAD_KEY');
  });

  it('checks the length against the algorithm, with or without a recorded length', () => {
    expect(fitValue(Buffer.alloc(32, 1), ref(), 'AES')).toHaveLength(32);
    expect(code(() => fitValue(Buffer.alloc(24, 1), ref(), 'AES'))).toBeUndefined();
    expect(code(() => fitValue(Buffer.alloc(20, 1), ref(), 'AES'))).toBe('BAD_KEY');
    expect(code(() => fitValue(Buffer.alloc(32, 1), ref(), 'TDES'))).toBe('BAD_KEY');
    expect(code(() => fitValue(Buffer.alloc(24, 1), ref(20), 'AES'))).toBe('BAD_KEY');
  });
});

describe('checkBlob', () => {
  it('accepts only lengths RFC 3394/5649 can produce', () => {
    expect(code(() => checkBlob(ref(16, 24)))).toBeUndefined();
    for (const n of [0, 8, 15, 23, 1 << 20]) expect(code(() => checkBlob(ref(16, n)))).toBe('BAD_KEY');
  });
});
