/**
 * Secret values that are not HSM keys of a known algorithm (Secret Data, Opaque Objects, private
 * and split keys, symmetric keys the HSM cannot use): stored only wrapped under the HSM master key
 * (CONVENTIONS.md §4), never in plaintext in the object store.
 *
 * The value is imported as PKCS#11 generic-secret objects (CKK_GENERIC_SECRET, the key type the
 * providers use for HMAC keys) and wrapped with the master key. The providers cap one imported
 * generic secret at HMAC_IMPORT_MAX_BYTES, so a longer value (a 4096-bit RSA private key in PKCS#8
 * is ~2.4 KB) is cut into chunks, each wrapped on its own. Chunks are zero-padded to a multiple of
 * 8 bytes so that HSMs offering only RFC 3394 wrapping (no padding) can wrap them too; the exact
 * length is kept beside the chunks.
 */
import type { KeyRef } from '../../crypto/provider.js';
import { HMAC_IMPORT_MAX_BYTES } from '../../crypto/pkcs11/key-lengths.js';
import type { RequestContext } from '../types.js';

/** How a wrapped secret value is held. */
export interface SecretRef {
  /** Length of the value in bytes. */
  readonly length: number;
  /** Wrapped chunks, in order. */
  readonly chunks: readonly KeyRef[];
}

/** The generic-secret algorithm name the providers know (CKK_GENERIC_SECRET). */
const GENERIC = 'HMAC-SHA256' as const;
const CHUNK = HMAC_IMPORT_MAX_BYTES - (HMAC_IMPORT_MAX_BYTES % 8);
/** Largest value wrapSecret wraps as one chunk. */
export const CHUNK_BYTES = CHUNK;

export async function wrapSecret(ctx: Pick<RequestContext, 'crypto'>, value: Uint8Array): Promise<SecretRef> {
  const padded = new Uint8Array(Math.max(8, Math.ceil(value.length / 8) * 8));
  padded.set(value);
  try {
    const chunks: KeyRef[] = [];
    for (let off = 0; off < padded.length; off += CHUNK) {
      chunks.push(await ctx.crypto.importSymmetricKey(GENERIC, padded.subarray(off, Math.min(off + CHUNK, padded.length))));
    }
    return { length: value.length, chunks };
  } finally {
    padded.fill(0);
  }
}

export async function unwrapSecret(ctx: Pick<RequestContext, 'crypto'>, ref: SecretRef): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  try {
    for (const c of ref.chunks) parts.push(await ctx.crypto.exportKeyMaterial(c, GENERIC));
    const all = Buffer.concat(parts);
    const out = Uint8Array.from(all.subarray(0, ref.length));
    all.fill(0);
    return out;
  } finally {
    for (const p of parts) p.fill(0);
  }
}
