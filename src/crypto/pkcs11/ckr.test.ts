/**
 * CKR -> CryptoError mapping is by number, and messages carry names only.
 */
import pkcs11js from 'pkcs11js';
import { describe, expect, it } from 'vitest';

import { CryptoError } from '../provider.js';
import { ckrName, cryptoCodeFor, toCryptoError } from './ckr.js';

describe('CKR table', () => {
  it('maps return values by number', () => {
    expect(cryptoCodeFor(pkcs11js.CKR_PIN_INCORRECT, 'login')).toBe('HSM_UNAVAILABLE');
    expect(cryptoCodeFor(pkcs11js.CKR_KEY_UNEXTRACTABLE, 'wrap')).toBe('NOT_EXTRACTABLE');
    expect(cryptoCodeFor(pkcs11js.CKR_MECHANISM_INVALID, 'generate')).toBe('UNSUPPORTED');
    expect(cryptoCodeFor(pkcs11js.CKR_WRAPPED_KEY_INVALID, 'unwrap')).toBe('BAD_KEY');
    expect(cryptoCodeFor(pkcs11js.CKR_GENERAL_ERROR, 'unwrap')).toBe('BAD_KEY');
    expect(cryptoCodeFor(pkcs11js.CKR_GENERAL_ERROR, 'generate')).toBe('HSM_ERROR');
    expect(cryptoCodeFor(0x80000123, 'crypto')).toBe('HSM_ERROR');
  });

  it('names known and vendor codes', () => {
    expect(ckrName(0xa0)).toBe('CKR_PIN_INCORRECT');
    expect(ckrName(0x80000123)).toBe('CKR_0x80000123');
  });

  it('reads the code from a Pkcs11Error, not its text', () => {
    // The message claims another code: only the numeric code counts.
    const err = new pkcs11js.Pkcs11Error('something odd', pkcs11js.CKR_KEY_SIZE_RANGE, 'C_GenerateKey');
    const ce = toCryptoError(err, 'generate');
    expect(ce).toBeInstanceOf(CryptoError);
    expect(ce).toMatchObject({ code: 'UNSUPPORTED', ckr: pkcs11js.CKR_KEY_SIZE_RANGE });
    expect(ce.message).toBe('PKCS#11 generate failed: CKR_KEY_SIZE_RANGE');
  });

  it('wraps other failures without their text', () => {
    const ce = toCryptoError(new TypeError('secret-ish detail'), 'create');
    expect(ce).toMatchObject({ code: 'HSM_ERROR', ckr: undefined });
    expect(ce.message).not.toContain('secret-ish');
  });
});
