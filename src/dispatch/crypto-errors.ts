/**
 * CryptoError -> KMIP Result Reason. The crypto provider already classified the PKCS#11 return
 * code (by number, never by message text); this picks the reason the client's version has.
 */
import type { CryptoError } from '../crypto/provider.js';
import { ResultReason } from '../kmip/generated/index.js';
import { type ProtocolVersion, atLeast, is2x } from '../kmip/protocol-version.js';

export function mapCryptoError(err: CryptoError, v: ProtocolVersion): { reason: number; message: string } {
  switch (err.code) {
    case 'NOT_EXTRACTABLE':
      return { reason: atLeast(v, 1, 4) ? ResultReason.NotExtractable : ResultReason.PermissionDenied, message: 'The key is not extractable' };
    case 'UNSUPPORTED':
      return { reason: ResultReason.FeatureNotSupported, message: 'Not supported by the cryptographic module' };
    case 'BAD_KEY':
      return { reason: ResultReason.CryptographicFailure, message: 'Cryptographic failure' };
    case 'HSM_UNAVAILABLE':
      return {
        reason: is2x(v) ? ResultReason.ProtectionStorageUnavailable : ResultReason.GeneralFailure,
        message: 'The cryptographic module is unavailable',
      };
    default:
      return { reason: ResultReason.CryptographicFailure, message: 'Cryptographic failure' };
  }
}
