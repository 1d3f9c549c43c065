/**
 * The PKCS#11 crypto provider: public surface of src/crypto/pkcs11/.
 */
export { openPkcs11Provider, Pkcs11CryptoProvider, MAX_RANDOM_BYTES, type ProviderInfo, type UnwrappedKey } from './provider.js';
export { ensureSoftHsmToken, findSoftHsmModule, DEFAULT_TOKEN_LABEL } from './softhsm.js';
export {
  DEFAULT_MASTER_KEY_LABEL,
  DEFAULT_SESSION_POOL_SIZE,
  type Pkcs11Config,
  type Pkcs11ProviderOptions,
  type ProviderLogger,
} from './config.js';
export { ckrName, cryptoCodeFor } from './ckr.js';
export { MAX_CIPHER_INPUT_BYTES, type CipherMode, type CipherParams, type EncryptResult } from './cipher-params.js';
