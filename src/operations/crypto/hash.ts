/**
 * Hash. KMIP 1.4 §4.37, 2.1 §6.1.23: Cryptographic Parameters with a Hashing Algorithm, and Data;
 * answers Data (the digest). Computed inside the HSM (C_Digest: SHA-1, SHA-224, SHA-256, SHA-384,
 * SHA-512), like every other cryptographic service, so a FIPS module's validated hash is used.
 * Multi-part requests (Init Indicator / Correlation Value / Final Indicator) are collected by
 * streams.ts and hashed whole with the final part.
 */
import type { HashAlgorithm } from '../../crypto/cipher.js';
import { Operation, Tag } from '../../kmip/generated/index.js';
import { bytes } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { defineOperation } from '../types.js';
import { cipherServices, requireData } from './common.js';
import { type CryptoParamFields, decodeCryptoParams, hashAlgorithm, withCipherErrors } from './params.js';
import { type StreamStep, decodeStreamStep, streamStep } from './streams.js';

interface HashRequest {
  readonly params: CryptoParamFields | undefined;
  readonly data: Uint8Array | undefined;
  readonly step: StreamStep | undefined;
}

export default defineOperation<HashRequest, { digest?: Uint8Array; correlation?: Uint8Array }>({
  operation: Operation.Hash,
  decode(payload) {
    const step = decodeStreamStep(payload);
    // Data is required in a single-part request; a part of a stream may be empty or absent.
    const data = step === undefined ? requireData(payload) : payload?.bytes(Tag.Data);
    return { params: decodeCryptoParams(payload), data, step };
  },
  async handle(ctx, req) {
    const services = cipherServices(ctx);
    let algorithm: HashAlgorithm | undefined = req.params !== undefined || req.step === undefined ? hashAlgorithm(ctx.version, req.params) : undefined;
    let data = req.data ?? new Uint8Array(0);
    if (req.step !== undefined) {
      const r = streamStep(ctx, 'hash', algorithm, req.step, req.data);
      if ('correlation' in r) return { correlation: r.correlation };
      algorithm = r.binding as HashAlgorithm;
      data = r.whole;
    }
    const alg = algorithm as HashAlgorithm;
    return { digest: await withCipherErrors(ctx.version, () => services.digest(alg, data)) };
  },
  encode(res) {
    const out: TtlvNode[] = [];
    if (res.digest !== undefined) out.push(bytes(Tag.Data, res.digest));
    if (res.correlation !== undefined) out.push(bytes(Tag.CorrelationValue, res.correlation));
    return out;
  },
});
