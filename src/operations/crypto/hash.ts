/**
 * Hash. KMIP 1.4 §4.37, 2.1 §6.1.23: Cryptographic Parameters with a Hashing Algorithm, and Data;
 * answers Data (the digest). Computed inside the HSM (C_Digest: SHA-1, SHA-224, SHA-256, SHA-384,
 * SHA-512), like every other cryptographic service, so a FIPS module's validated hash is used.
 */
import { Operation, Tag } from '../../kmip/generated/index.js';
import { bytes } from '../../ttlv/build.js';
import { defineOperation } from '../types.js';
import { cipherServices, refuseStreaming, requireData } from './common.js';
import { type CryptoParamFields, decodeCryptoParams, hashAlgorithm, withCipherErrors } from './params.js';

export default defineOperation<{ params: CryptoParamFields | undefined; data: Uint8Array }, { digest: Uint8Array }>({
  operation: Operation.Hash,
  decode(payload) {
    refuseStreaming(payload);
    return { params: decodeCryptoParams(payload), data: requireData(payload) };
  },
  async handle(ctx, req) {
    const services = cipherServices(ctx);
    const algorithm = hashAlgorithm(ctx.version, req.params);
    return { digest: await withCipherErrors(ctx.version, () => services.digest(algorithm, req.data)) };
  },
  encode(res) {
    return [bytes(Tag.Data, res.digest)];
  },
});
