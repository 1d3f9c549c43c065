/**
 * RNG Retrieve and RNG Seed. KMIP 1.4 §4.35-4.36, 2.1 §6.1.44-6.1.45. Random bytes come from the
 * HSM (C_GenerateRandom), at most MAX_RANDOM_BYTES per request: the call runs on the event loop,
 * and a bound keeps one client from tying it up. Seed material goes to the HSM (C_SeedRandom);
 * it can only add entropy, so any client may give it, and the response's Data Length says how
 * much was used. A module that takes no seed answers Feature Not Supported.
 */
import { MAX_SEED_BYTES } from '../../crypto/cipher.js';
import { invalidField } from '../../kmip/errors.js';
import { Operation, Tag } from '../../kmip/generated/index.js';
import { bytes, int } from '../../ttlv/build.js';
import { defineOperation } from '../types.js';
import { cipherServices, requireData } from './common.js';

/** Largest RNG Retrieve; the PKCS#11 provider's own bound (pkcs11-provider.ts MAX_RANDOM_BYTES). */
export const MAX_RANDOM_BYTES = 65_536;

export const rngRetrieve = defineOperation<{ length: number }, { data: Uint8Array }>({
  operation: Operation.RNGRetrieve,
  decode(payload) {
    const length = payload?.int(Tag.DataLength);
    if (length === undefined) throw invalidField('Data Length is required');
    if (length < 1 || length > MAX_RANDOM_BYTES) throw invalidField(`Data Length must be 1..${MAX_RANDOM_BYTES}`);
    return { length };
  },
  async handle(ctx, req) {
    return { data: await ctx.crypto.randomBytes(req.length) };
  },
  encode(res) {
    return [bytes(Tag.Data, res.data)];
  },
});

export const rngSeed = defineOperation<{ seed: Uint8Array }, { used: number }>({
  operation: Operation.RNGSeed,
  decode(payload) {
    const seed = requireData(payload);
    if (seed.length > MAX_SEED_BYTES) throw invalidField(`Seed data must be at most ${MAX_SEED_BYTES} bytes`);
    return { seed };
  },
  async handle(ctx, req) {
    return { used: await cipherServices(ctx).seedRandom(req.seed) };
  },
  encode(res) {
    return [int(Tag.DataLength, res.used)];
  },
});
