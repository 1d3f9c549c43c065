/**
 * KMIP Derive Key by ENCRYPT inside the module (see ../encrypt-derive.ts and README.md, "Derive
 * Key: what runs in the HSM"): C_DeriveKey with CKM_AES_CBC_ENCRYPT_DATA or
 * CKM_DES3_CBC_ENCRYPT_DATA from an unwrapped, derive-only copy of the base key into a transient,
 * sensitive generic secret, which is digested and wrapped under the master key and destroyed.
 *
 * What SoftHSM2 2.6.1 does (probed; the tests in encrypt-derive.test.ts hold it to it):
 * - *_CBC_ENCRYPT_DATA encrypts the data in CBC without padding; data that is not whole blocks is
 *   CKR_MECHANISM_PARAM_INVALID. CKA_VALUE_LEN is required and a shorter one keeps the LEADING
 *   bytes of the ciphertext (SP 800-38A F.2.1 data with 5, 8, 16, 24 and 32 bytes), which is what
 *   KMIP asks for. The derived object must be a generic secret: as CKK_DES3 the module sets the
 *   DES parity bits, changing the value.
 * - *_ECB_ENCRYPT_DATA takes a CK_KEY_DERIVATION_STRING_DATA (a pointer and a length), which
 *   pkcs11js 2.1 cannot pass (a Buffer parameter is copied as the raw parameter bytes; there is no
 *   CK_PARAMS_* type for it). ECB of the first block is CBC of that block under a zero IV, so a key
 *   of at most one block is derived that way; a longer ECB key is left to the caller (C_Encrypt).
 * PKCS#5 padding is added here, to the client's Derivation Data (not secret), as for ECB Encrypt.
 */
import pkcs11js from 'pkcs11js';
import type { AesCBC, DesCbcEncryptDataParams, Handle, Mechanism, PKCS11 } from 'pkcs11js';

import type { WrappedDerivedKey } from '../asymmetric.js';
import type { EncryptDeriveRequest } from '../encrypt-derive.js';
import { addPadding, resolveCipher } from './cipher-params.js';
import { p11Async } from './ckr.js';
import { derivedSecretTemplate, destroyQuietly } from './objects.js';
import type { MasterKeyWrapper } from './wrapping.js';

/**
 * The derive mechanism that gives exactly the leading `req.length` bytes of what encrypt() would
 * return for `req.params` and `req.data`, or undefined when there is none the module and pkcs11js
 * both take (a mode other than ECB and CBC, an IV the server would draw at random, a longer ECB
 * key, a length beyond the ciphertext). The parameters are checked as encrypt() checks them
 * (resolveCipher: the same CipherParamErrors), and PKCS#5 padding is applied here as prepareEncrypt
 * does for ECB.
 */
export function encryptDataMechanism(algorithm: 'AES' | 'TDES', req: EncryptDeriveRequest): Mechanism | undefined {
  const p = req.params;
  if (p.mode !== 'ECB' && p.mode !== 'CBC') return undefined;
  if (p.mode === 'CBC' && p.iv === undefined) return undefined;
  const c = resolveCipher(algorithm, p, req.data, 'encrypt');
  const input = c.pad ? addPadding(req.data, c.blockSize) : Buffer.from(req.data);
  const { length } = req;
  if (input.length === 0 || length < 1 || length > input.length) return undefined;
  let iv: Buffer;
  let data: Buffer;
  if (c.mode === 'CBC') {
    iv = c.iv as Buffer;
    data = input;
  } else {
    // ECB's first block = CBC of that block under a zero IV; later blocks have no such form.
    if (length > c.blockSize) return undefined;
    iv = Buffer.alloc(c.blockSize);
    data = input.subarray(0, c.blockSize);
  }
  // pkcs11js marshals CK_PARAMS_AES_CBC as CK_AES_CBC_ENCRYPT_DATA_PARAMS (iv[16], pData, length)
  // and CK_PARAMS_DES_CBC_ENCRYPT_DATA as CK_DES_CBC_ENCRYPT_DATA_PARAMS (iv[8], pData, length).
  if (algorithm === 'AES') {
    const parameter: AesCBC = { type: pkcs11js.CK_PARAMS_AES_CBC, iv, data };
    return { mechanism: pkcs11js.CKM_AES_CBC_ENCRYPT_DATA, parameter };
  }
  const parameter: DesCbcEncryptDataParams = { type: pkcs11js.CK_PARAMS_DES_CBC_ENCRYPT_DATA, iv, data };
  return { mechanism: pkcs11js.CKM_DES3_CBC_ENCRYPT_DATA, parameter };
}

/**
 * C_DeriveKey of `length` bytes with `mechanism` from `base` into a transient, private, sensitive
 * generic secret, stored by `wrapper.wrapDerived` (SHA-256 in the HSM, wrapped under the master
 * key) and destroyed. The value never leaves the module unwrapped.
 */
export async function encryptDeriveIn(mod: PKCS11, session: Handle, wrapper: MasterKeyWrapper, base: Handle, mechanism: Mechanism, length: number): Promise<WrappedDerivedKey> {
  const template = derivedSecretTemplate(length, [
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
  ]);
  const secret = await p11Async('crypto', () => mod.C_DeriveKeyAsync(session, mechanism, base, template));
  try {
    return await wrapper.wrapDerived(session, secret, length);
  } finally {
    destroyQuietly(mod, session, secret);
  }
}
