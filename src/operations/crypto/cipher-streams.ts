/**
 * Multi-part (streaming) Encrypt and Decrypt: KMIP 1.3+ Init Indicator, Correlation Value, Final
 * Indicator (1.4 §4.29-4.30, 2.1 §6.1.18, §6.1.12). Unlike Hash/MAC/Sign in parts (streams.ts,
 * collected and computed at the end), a client expects each part's output in that part's
 * response, so the cipher runs inside the HSM from the first part to the last
 * (crypto/pkcs11/cipher-stream.ts explains why and how it is bounded there).
 *
 * Here: which stream a Correlation Value names, and who may continue it. A stream belongs to the
 * principal that opened it, is bound to its key and direction, and is fixed by its first part
 * (Cryptographic Parameters, IV, AAD; later parts' parameters are not read). The key is checked
 * again on every part, so a key revoked or destroyed mid-stream stops it; Encrypt charges each
 * part's bytes to the key's Usage Limits. Any failure after a stream is found ends it (the HSM's
 * operation state is then unknown). Bounds: `cipherStreamLimits` (count in all and per
 * principal, idle time); an idle stream is abandoned and its HSM session closed.
 */
import { randomBytes } from 'node:crypto';

import { type CipherStream, type CipherStreamProvider, cipherStreamProviderOf } from '../../crypto/cipher.js';
import type { CryptoProvider } from '../../crypto/provider.js';
import { KmipError, featureNotSupported, invalidField } from '../../kmip/errors.js';
import { CryptographicUsageMask, ResultReason } from '../../kmip/generated/index.js';
import { is2x } from '../../kmip/protocol-version.js';
import { resolveUid } from '../objects.js';
import type { RequestContext } from '../types.js';
import { chargeUsage, usableKey } from './key.js';
import { type CryptoParamFields, cipherParams, effectiveParams, withCipherErrors } from './params.js';
import { type StreamStep, badCorrelation } from './streams.js';

/** Bounds on streams held between requests (each holds an HSM session). Tests may lower them. */
export const cipherStreamLimits = {
  /** Open streams in all; the PKCS#11 provider has its own cap (MAX_CIPHER_STREAMS, 64). */
  total: 64,
  /** Open streams per principal, so one client cannot take them all. */
  perPrincipal: 16,
  /** A stream with no part for this long is abandoned. */
  idleMs: 60_000,
};

/** A part of a streaming Encrypt or Decrypt. */
export interface CipherPartRequest {
  readonly uid: string | undefined;
  readonly params: CryptoParamFields | undefined;
  /** Absent or empty is allowed in a part. */
  readonly data: Uint8Array | undefined;
  readonly iv?: Uint8Array;
  readonly aad?: Uint8Array;
  /** Decrypt's GCM tag, with the final part. */
  readonly tag?: Uint8Array;
  readonly step: StreamStep;
}

export interface CipherPartResponse {
  readonly uid: string;
  /** The output released by this part; absent when there is none. */
  readonly data?: Uint8Array;
  /** The IV the server chose (first part of an Encrypt without one). */
  readonly iv?: Uint8Array;
  /** GCM tag (final part of an Encrypt). */
  readonly tag?: Uint8Array;
  /** Until the final part. */
  readonly correlation?: Uint8Array;
}

interface Entry {
  readonly direction: 'encrypt' | 'decrypt';
  readonly principal: string;
  readonly uid: string;
  readonly stream: CipherStream;
  busy: boolean;
  timer: NodeJS.Timeout | undefined;
}

const entries = new Map<string, Entry>();

function forget(id: string): void {
  const e = entries.get(id);
  if (e === undefined) return;
  entries.delete(id);
  clearTimeout(e.timer);
  e.stream.abort();
}

/** (Re)starts the idle timer; the timer does not keep the process alive. */
function touch(id: string, e: Entry): void {
  clearTimeout(e.timer);
  e.timer = setTimeout(() => forget(id), cipherStreamLimits.idleMs);
  e.timer.unref();
}

function limitReached(ctx: RequestContext, msg: string): KmipError {
  return new KmipError(is2x(ctx.version) ? ResultReason.ServerLimitExceeded : ResultReason.GeneralFailure, msg);
}

function streamServices(crypto: CryptoProvider): CryptoProvider & CipherStreamProvider {
  const p = cipherStreamProviderOf(crypto);
  if (p === undefined) throw featureNotSupported('The cryptographic module offers no multi-part Encrypt or Decrypt');
  return p;
}

const nonEmpty = (d: Uint8Array | undefined): { data?: Uint8Array } => (d !== undefined && d.length > 0 ? { data: d } : {});

/** One part of a streaming Encrypt or Decrypt. */
export async function cipherPart(ctx: RequestContext, direction: 'encrypt' | 'decrypt', req: CipherPartRequest): Promise<CipherPartResponse> {
  const purpose = direction === 'encrypt' ? 'protect' : 'process';
  const usage = direction === 'encrypt' ? CryptographicUsageMask.Encrypt : CryptographicUsageMask.Decrypt;
  const data = req.data ?? new Uint8Array(0);
  if (req.step.correlation === undefined) return openPart(ctx, direction, req, data);

  const id = Buffer.from(req.step.correlation).toString('hex');
  const e = entries.get(id);
  if (e === undefined || e.direction !== direction || e.principal !== ctx.principal || req.step.init) throw badCorrelation(ctx.version);
  if (req.uid !== undefined && resolveUid(ctx, req.uid) !== e.uid) {
    throw invalidField('The Unique Identifier is not the key this multi-part request was started with');
  }
  if (e.busy) throw invalidField('The previous part of this multi-part request is still being processed');
  e.busy = true;
  clearTimeout(e.timer);
  try {
    const key = await usableKey(ctx, e.uid, purpose, usage);
    if (direction === 'encrypt') chargeUsage(ctx, key, data.length);
    if (!req.step.final) {
      const out = await withCipherErrors(ctx.version, () => e.stream.update(data));
      e.busy = false;
      touch(id, e);
      return { uid: e.uid, ...nonEmpty(out), correlation: req.step.correlation };
    }
    entries.delete(id);
    const r = await withCipherErrors(ctx.version, () => e.stream.final(data, req.tag));
    return { uid: e.uid, ...nonEmpty(r.data), ...(r.tag !== undefined ? { tag: r.tag } : {}) };
  } catch (err) {
    forget(id);
    e.stream.abort();
    throw err;
  }
}

/** The first part: checks the key and parameters, starts the HSM's cipher, feeds the part. */
async function openPart(ctx: RequestContext, direction: 'encrypt' | 'decrypt', req: CipherPartRequest, data: Uint8Array): Promise<CipherPartResponse> {
  // A Final Indicator without a Correlation Value ends nothing.
  if (!req.step.init) throw badCorrelation(ctx.version);
  const services = streamServices(ctx.crypto);
  if (entries.size >= cipherStreamLimits.total) throw limitReached(ctx, 'Too many multi-part Encrypt/Decrypt requests are open');
  let mine = 0;
  for (const e of entries.values()) if (e.principal === ctx.principal) mine++;
  if (mine >= cipherStreamLimits.perPrincipal) throw limitReached(ctx, `At most ${cipherStreamLimits.perPrincipal} multi-part Encrypt/Decrypt requests may be open per client`);

  const key = await usableKey(ctx, req.uid, direction === 'encrypt' ? 'protect' : 'process', direction === 'encrypt' ? CryptographicUsageMask.Encrypt : CryptographicUsageMask.Decrypt);
  const params = cipherParams(ctx.version, effectiveParams(req.params, key.obj), req, direction);
  if (direction === 'encrypt') chargeUsage(ctx, key, data.length);
  const stream = await withCipherErrors(ctx.version, () => services.openCipherStream(key.ref, key.algorithm, params, direction));
  const correlation = randomBytes(16);
  const id = correlation.toString('hex');
  const e: Entry = { direction, principal: ctx.principal, uid: key.obj.uid, stream, busy: true, timer: undefined };
  entries.set(id, e);
  try {
    const out = await withCipherErrors(ctx.version, () => stream.update(data));
    e.busy = false;
    touch(id, e);
    return {
      uid: key.obj.uid,
      ...nonEmpty(out),
      // 2.1 §6.1.18: the IV is returned when the server generated it.
      ...(direction === 'encrypt' && req.iv === undefined && stream.iv !== undefined ? { iv: stream.iv } : {}),
      correlation: new Uint8Array(correlation),
    };
  } catch (err) {
    forget(id);
    throw err;
  }
}

/** Number of open streaming Encrypt/Decrypt requests (tests). */
export function openCipherStreams(): number {
  return entries.size;
}

/** Abandons every open stream (tests, shutdown). */
export function abandonCipherStreams(): void {
  for (const id of [...entries.keys()]) forget(id);
}
