/**
 * Multi-part Hash, MAC and MAC Verify (KMIP 1.3+ streaming: Init Indicator, Correlation Value,
 * Final Indicator; 2.1 §6.1.23, §6.1.29, §6.1.30). The parts are collected here and the whole
 * message is hashed or MACed inside the HSM when the final part arrives, so no HSM session is
 * held between requests. This is server state across requests by nature of the protocol, so it
 * is bounded: at most MAX_STREAMS open streams, MAX_CIPHER_INPUT_BYTES per stream, and a stream
 * idle for STREAM_TTL_MS is forgotten. A stream belongs to the principal that opened it.
 * Encrypt and Decrypt are not offered in parts (their partial outputs need the HSM's cipher state).
 */
import { randomBytes } from 'node:crypto';
import { MAX_CIPHER_INPUT_BYTES } from '../../crypto/cipher.js';
import type { Fields } from '../../kmip/fields.js';
import { KmipError } from '../../kmip/errors.js';
import { ResultReason, Tag } from '../../kmip/generated/index.js';
import { type ProtocolVersion, is2x } from '../../kmip/protocol-version.js';
import type { RequestContext } from '../types.js';

export const MAX_STREAMS = 1024;
export const STREAM_TTL_MS = 10 * 60 * 1000;

/** The streaming fields of a request. */
export interface StreamStep {
  readonly init: boolean;
  readonly final: boolean;
  readonly correlation?: Uint8Array;
}

/** Reads Init Indicator, Final Indicator and Correlation Value; undefined for a single-part request. */
export function decodeStreamStep(payload: Fields | undefined): StreamStep | undefined {
  const init = payload?.bool(Tag.InitIndicator) ?? false;
  const final = payload?.bool(Tag.FinalIndicator) ?? false;
  const correlation = payload?.bytes(Tag.CorrelationValue);
  if (correlation === undefined && init === final) return undefined; // neither, or both: one whole part
  return { init, final, ...(correlation !== undefined ? { correlation } : {}) };
}

interface Stream {
  readonly kind: string;
  readonly principal: string;
  /** What the first part fixed (object, algorithm, MAC to check), compared by the handler. */
  readonly binding: string;
  readonly chunks: Buffer[];
  readonly extra?: Uint8Array;
  size: number;
  expires: number;
}

const streams = new Map<string, Stream>();

function sweep(now: number): void {
  for (const [k, s] of streams) if (s.expires <= now) streams.delete(k);
}

/** Invalid Correlation Value in 2.x (2.1 §11.46); Invalid Field in 1.x. */
export function badCorrelation(v: ProtocolVersion): KmipError {
  return new KmipError(is2x(v) ? ResultReason.InvalidCorrelationValue : ResultReason.InvalidField, 'Unknown or expired Correlation Value');
}

function tooLong(): KmipError {
  return new KmipError(ResultReason.InvalidField, `A multi-part request may carry at most ${MAX_CIPHER_INPUT_BYTES} bytes in all`);
}

/**
 * Advances a stream with this request's part: opens it (Init), appends to it, and on the Final
 * part closes it and returns the whole message with what the opening part fixed. Returns
 * `{ correlation }` while it stays open. `binding` names what the stream is about (object,
 * algorithm; a later part may leave it out); a later part naming something else is refused. `extra` is kept from the opening
 * part (MAC Verify's MAC Data).
 */
export function streamStep(
  ctx: RequestContext,
  kind: string,
  binding: string | undefined,
  step: StreamStep,
  data: Uint8Array | undefined,
  extra?: Uint8Array,
): { correlation: Uint8Array; binding: string } | { whole: Buffer; binding: string; extra: Uint8Array | undefined } {
  const now = Date.now();
  sweep(now);
  const part = Buffer.from(data ?? new Uint8Array(0));
  if (step.correlation === undefined) {
    if (!step.init || binding === undefined) throw badCorrelation(ctx.version);
    if (streams.size >= MAX_STREAMS) throw new KmipError(ResultReason.GeneralFailure, 'Too many open multi-part requests');
    if (part.length > MAX_CIPHER_INPUT_BYTES) throw tooLong();
    const id = randomBytes(16);
    streams.set(id.toString('hex'), {
      kind,
      principal: ctx.principal,
      binding,
      chunks: [part],
      size: part.length,
      expires: now + STREAM_TTL_MS,
      ...(extra !== undefined ? { extra: Uint8Array.from(extra) } : {}),
    });
    return { correlation: id, binding };
  }
  const key = Buffer.from(step.correlation).toString('hex');
  const s = streams.get(key);
  if (s === undefined || s.kind !== kind || s.principal !== ctx.principal || (binding !== undefined && s.binding !== binding) || step.init) throw badCorrelation(ctx.version);
  if (s.size + part.length > MAX_CIPHER_INPUT_BYTES) {
    streams.delete(key);
    throw tooLong();
  }
  s.chunks.push(part);
  s.size += part.length;
  s.expires = now + STREAM_TTL_MS;
  if (!step.final) return { correlation: step.correlation, binding: s.binding };
  streams.delete(key);
  return { whole: Buffer.concat(s.chunks), binding: s.binding, extra: s.extra };
}

/** Number of open streams (tests). */
export function openStreams(): number {
  return streams.size;
}
