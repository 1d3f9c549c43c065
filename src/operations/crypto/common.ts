/** Pieces shared by the cryptographic-service handlers. */
import { type CipherProvider, cipherProviderOf } from '../../crypto/cipher.js';
import type { CryptoProvider } from '../../crypto/provider.js';
import type { Fields } from '../../kmip/fields.js';
import { KmipError, featureNotSupported } from '../../kmip/errors.js';
import { ResultReason, Tag } from '../../kmip/generated/index.js';
import type { RequestContext } from '../types.js';

/** The provider's cipher services; Feature Not Supported when it has none. */
export function cipherServices(ctx: RequestContext): CryptoProvider & CipherProvider {
  const c = cipherProviderOf(ctx.crypto);
  if (c === undefined) throw featureNotSupported('The cryptographic module offers no cipher services');
  return c;
}

/**
 * Multi-part (streaming) requests: Correlation Value, or an Init or Final Indicator that does not
 * make the request a single whole part (KMIP 2.1 §6.1.18: Init Indicator and Final Indicator).
 * kmipd does each request in one part, so streaming is answered Feature Not Supported.
 */
export function refuseStreaming(payload: Fields | undefined): void {
  if (payload === undefined) return;
  const init = payload.bool(Tag.InitIndicator);
  const final = payload.bool(Tag.FinalIndicator);
  const corr = payload.bytes(Tag.CorrelationValue);
  if (corr !== undefined || init === true || final === true) {
    if (init === true && final === true && corr === undefined) return;
    throw new KmipError(ResultReason.FeatureNotSupported, 'Multi-part (streaming) cryptographic operations are not supported');
  }
}

/** The request's Data; KMIP requires it for single-part requests (2.1 §6.1.18). */
export function requireData(payload: Fields | undefined): Uint8Array {
  const d = payload?.bytes(Tag.Data);
  if (d === undefined) throw new KmipError(ResultReason.InvalidField, 'Data is required');
  return d;
}
