/**
 * The 96-bit GCM IVs the server chooses when an Encrypt request brings none (KMIP 2.1 §6.1.18:
 * the server generates the IV and returns it).
 *
 * Construction: NIST SP 800-38D §8.2.1, deterministic: IV = fixed field (64 bits) || invocation
 * field (32-bit big-endian counter). The fixed field is drawn from the CSPRNG (node:crypto) when
 * the process starts and again whenever the counter has used all 2^32 values, so:
 * - within one fixed field, no IV can repeat: the counter never revisits a value (§8.2.1);
 * - across fixed fields (restarts, several kmipd processes on one HSM and store, counter
 *   roll-over) two IVs can only meet if two draws of 64 random bits are equal: about n²/2^65
 *   for n draws, e.g. below 2^-25 for a million restarts — far below the 2^-32 bound §8.3 sets
 *   for randomly chosen IVs, which a random 96-bit IV per call only meets up to 2^32
 *   encryptions per key.
 * One counter serves every key, which is stronger than the per-key uniqueness GCM needs.
 *
 * Why not a fresh random 96-bit IV per call, as before: it was correct but cost a CSPRNG call
 * per Encrypt on the event loop (~3.5% of the server's main thread at 16 connections, profiled
 * in BENCHMARKS.md), and its uniqueness is only probabilistic. Why not the HSM's RNG
 * (C_GenerateRandom): one more synchronous PKCS#11 call per Encrypt for no gain in uniqueness.
 * Nothing secret is derived from the IV; a GCM IV need be unique, not unpredictable (§8.2).
 * Its invocation field does reveal how many GCM encryptions this process has made since the
 * fixed field was drawn; CBC IVs, which must be unpredictable (SP 800-38A App. C), and other IV
 * lengths stay random.
 */
import { randomBytes } from 'node:crypto';

/** Length in bytes of the IVs made here: the 96 bits SP 800-38D §8.2 recommends. */
export const GCM_IV_BYTES = 12;

const FIXED_BYTES = 8;
const COUNTER_LIMIT = 2 ** 32;

/** A source of unique 96-bit GCM IVs (SP 800-38D §8.2.1). */
export class GcmIvSource {
  #fixed: Buffer = randomBytes(FIXED_BYTES);
  #counter: number;
  /** How many fixed fields this source has drawn (tests: the roll-over happens). */
  #draws = 1;

  /** @param startCounter @internal first invocation value, for tests of the roll-over. */
  constructor(startCounter = 0) {
    if (!Number.isInteger(startCounter) || startCounter < 0 || startCounter >= COUNTER_LIMIT) throw new RangeError('bad start counter');
    this.#counter = startCounter;
  }

  /** The next IV: never returned before by this source. */
  next(): Buffer {
    if (this.#counter >= COUNTER_LIMIT) {
      this.#fixed = randomBytes(FIXED_BYTES);
      this.#counter = 0;
      this.#draws += 1;
    }
    const iv = Buffer.alloc(GCM_IV_BYTES); // its own ArrayBuffer: cheap to hand to a worker thread
    this.#fixed.copy(iv, 0);
    iv.writeUInt32BE(this.#counter, FIXED_BYTES);
    this.#counter += 1;
    return iv;
  }

  /** @internal Fixed fields drawn so far. */
  get draws(): number {
    return this.#draws;
  }
}

/** The process-wide source every provider uses (one counter for all keys and providers). */
export const gcmIvs = new GcmIvSource();
