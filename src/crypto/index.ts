/**
 * The crypto layer: the CryptoProvider interface and its PKCS#11 implementation. Importing this
 * module loads the pkcs11js native binding; unit tests that only need the in-memory fake import
 * './fake-provider.js' directly.
 */
export * from './provider.js';
export * from './pkcs11/index.js';
export {
  checkImportLength,
  generateLengthBytes,
  HMAC_GENERATE_MAX_BITS,
  HMAC_GENERATE_MIN_BITS,
  HMAC_IMPORT_MAX_BYTES,
  SYMMETRIC_ALGORITHMS,
} from './pkcs11/key-lengths.js';
