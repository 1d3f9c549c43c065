/**
 * PKCS#11 (KMIP 2.0+; 2.1 §6.1.37): a client calls Cryptoki functions through the KMIP server.
 *
 * kmipd does NOT pass these calls to its HSM: the module holds the master wrapping key and every
 * principal's keys, and a raw Cryptoki session would bypass ownership, lifecycle and audit. The
 * client talks to kmipd's own, deliberately small PKCS#11 interface instead, which offers what
 * the PKCS#11 Server profile's mandatory case needs (OASIS PKCS11-M-1-20/-21) and nothing that
 * touches key material:
 *
 * - C_Initialize: opens a Cryptoki context for the calling principal and answers the Correlation
 *   Value (2.1 Table 274: "Server defined Byte String that the client must provide in the next
 *   request"). Its input (pInitArgs: locking callbacks and flags) means nothing remotely and is
 *   not used; more than MAX_INPUT_BYTES is a PKCS#11 Codec Error.
 * - C_GetInfo: CK_INFO of this interface (not of the HSM): Cryptoki 2.40, manufacturer "kmipd",
 *   no flags, library description "kmipd KMIP PKCS#11 interface", library version = kmipd's.
 * - C_Finalize: closes the context.
 *
 * A function called without an open context (no, an unknown, an expired or another principal's
 * Correlation Value) answers Success with Return Code CKR_CRYPTOKI_NOT_INITIALIZED, as a Cryptoki
 * library does; C_Initialize with an open context CKR_CRYPTOKI_ALREADY_INITIALIZED. Every other
 * function, including vendor (Integer) ones, is refused with Result Reason PKCS#11 Invalid
 * Function; a PKCS#11 Interface other than the default "PKCS 11" with PKCS#11 Invalid Interface.
 *
 * Parameters use the KMIP Profiles 2.0 §5.18 encoding: CK_BYTE one byte, CK_ULONG eight bytes
 * big-endian, structures pointed to are inlined, fixed-size strings space-padded.
 *
 * Contexts are server state across requests, so they are bounded: MAX_CONTEXTS in all,
 * MAX_CONTEXTS_PER_PRINCIPAL each, forgotten after CONTEXT_TTL_MS idle.
 */
import { randomBytes } from 'node:crypto';
import { KmipError, missingData, operationNotSupported } from '../kmip/errors.js';
import { Operation, PKCS_11Function, PKCS_11ReturnCode, ResultReason, Tag } from '../kmip/generated/index.js';
import { is2x } from '../kmip/protocol-version.js';
import { bytes, enm, text } from '../ttlv/build.js';
import type { TtlvNode } from '../ttlv/types.js';
import { defineOperation } from './types.js';

/** At most this many open contexts in all; the oldest is dropped to make room. */
export const MAX_CONTEXTS = 1024;
/** At most this many open contexts per principal (stops one client filling the table). */
export const MAX_CONTEXTS_PER_PRINCIPAL = 16;
export const CONTEXT_TTL_MS = 10 * 60 * 1000;
/** Input Parameters are small for every offered function; more is refused before any parsing. */
export const MAX_INPUT_BYTES = 1024;

/** The default interface name (PKCS#11 3.0 §5.1 C_GetInterface: "PKCS 11"). */
const DEFAULT_INTERFACE = 'PKCS 11';

/** CK_INFO of kmipd's PKCS#11 interface. */
const CRYPTOKI_VERSION = [2, 40] as const;
const MANUFACTURER = 'kmipd';
const LIBRARY_DESCRIPTION = 'kmipd KMIP PKCS#11 interface';
const LIBRARY_VERSION = [0, 1] as const;

interface Context {
  readonly principal: string;
  expires: number;
}

const contexts = new Map<string, Context>();

function sweep(now: number): void {
  for (const [k, c] of contexts) if (c.expires <= now) contexts.delete(k);
}

/** A blank-padded fixed-size Cryptoki string (UTF-8, PKCS#11 2.40 §3.2 CK_UTF8CHAR arrays). */
function padded(s: string, size: number): Buffer {
  const out = Buffer.alloc(size, 0x20);
  Buffer.from(s, 'utf8').copy(out, 0, 0, size);
  return out;
}

/** CK_INFO in the §5.18 encoding: version, manufacturerID[32], flags (CK_ULONG), libraryDescription[32], version. */
export function ckInfo(): Buffer {
  const flags = Buffer.alloc(8); // CK_FLAGS: none defined for CK_INFO
  return Buffer.concat([Buffer.from(CRYPTOKI_VERSION), padded(MANUFACTURER, 32), flags, padded(LIBRARY_DESCRIPTION, 32), Buffer.from(LIBRARY_VERSION)]);
}

interface Pkcs11Request {
  readonly fn: number;
  readonly iface?: string;
  readonly correlation?: Uint8Array;
  readonly input?: Uint8Array;
}

interface Pkcs11Response {
  readonly fn: number;
  readonly iface?: string;
  readonly correlation?: Uint8Array;
  readonly output?: Uint8Array;
  readonly rv: number;
}

const OFFERED = new Set<number>([PKCS_11Function.C_Initialize, PKCS_11Function.C_GetInfo, PKCS_11Function.C_Finalize]);

/** The open context the request names, if it belongs to the caller and has not expired. */
function openContext(principal: string, correlation: Uint8Array | undefined, now: number): string | undefined {
  if (correlation === undefined) return undefined;
  const key = Buffer.from(correlation).toString('hex');
  const c = contexts.get(key);
  if (c === undefined || c.principal !== principal || c.expires <= now) return undefined;
  c.expires = now + CONTEXT_TTL_MS;
  return key;
}

function openNew(principal: string, now: number): Uint8Array {
  sweep(now);
  let mine = 0;
  for (const c of contexts.values()) if (c.principal === principal) mine++;
  if (mine >= MAX_CONTEXTS_PER_PRINCIPAL) {
    throw new KmipError(ResultReason.PermissionDenied, `At most ${MAX_CONTEXTS_PER_PRINCIPAL} PKCS#11 contexts may be open per client; call C_Finalize first`);
  }
  if (contexts.size >= MAX_CONTEXTS) {
    const oldest = contexts.keys().next().value;
    if (oldest !== undefined) contexts.delete(oldest);
  }
  const value = randomBytes(16);
  contexts.set(value.toString('hex'), { principal, expires: now + CONTEXT_TTL_MS });
  return new Uint8Array(value);
}

export default defineOperation<Pkcs11Request, Pkcs11Response>({
  operation: Operation.PKCS_11,
  decode(payload, ctx) {
    if (!is2x(ctx.version)) throw operationNotSupported('PKCS#11 is a KMIP 2.0 operation');
    if (payload === undefined) throw missingData('PKCS#11 needs a PKCS#11 Function');
    const fnNode = payload.all(Tag.PKCS_11Function);
    if (fnNode.length === 0) throw missingData('PKCS#11 needs a PKCS#11 Function');
    if (fnNode.length > 1) throw new KmipError(ResultReason.InvalidMessage, 'PKCS#11 Function may appear only once');
    const f = fnNode[0]!;
    // An Integer names a vendor function (2.1 Table 273); none is offered.
    if (f.type !== 'Enumeration') {
      if (f.type === 'Integer') throw new KmipError(ResultReason.PKCS_11InvalidFunction, 'No vendor PKCS#11 function is offered');
      throw new KmipError(ResultReason.InvalidMessage, 'PKCS#11 Function must be an Enumeration or an Integer');
    }
    const iface = payload.text(Tag.PKCS_11Interface);
    const correlation = payload.bytes(Tag.CorrelationValue);
    const input = payload.bytes(Tag.PKCS_11InputParameters);
    return { fn: f.value, ...(iface !== undefined ? { iface } : {}), ...(correlation !== undefined ? { correlation } : {}), ...(input !== undefined ? { input } : {}) };
  },
  async handle(ctx, req) {
    if (req.iface !== undefined && req.iface !== DEFAULT_INTERFACE) {
      throw new KmipError(ResultReason.PKCS_11InvalidInterface, `Only the default interface "${DEFAULT_INTERFACE}" is offered`);
    }
    if (!OFFERED.has(req.fn)) {
      throw new KmipError(ResultReason.PKCS_11InvalidFunction, 'kmipd\'s PKCS#11 interface offers C_Initialize, C_GetInfo and C_Finalize only');
    }
    if (req.input !== undefined && req.input.length > MAX_INPUT_BYTES) {
      throw new KmipError(ResultReason.PKCS_11CodecError, `PKCS#11 Input Parameters are limited to ${MAX_INPUT_BYTES} bytes`);
    }
    const now = ctx.now.getTime();
    const iface = req.iface !== undefined ? { iface: req.iface } : {};
    const open = openContext(ctx.principal, req.correlation, now);
    switch (req.fn) {
      case PKCS_11Function.C_Initialize: {
        if (open !== undefined) return { fn: req.fn, ...iface, rv: PKCS_11ReturnCode.CRYPTOKI_ALREADY_INITIALIZED };
        return { fn: req.fn, ...iface, correlation: openNew(ctx.principal, now), rv: PKCS_11ReturnCode.OK };
      }
      case PKCS_11Function.C_GetInfo: {
        if (open === undefined) return { fn: req.fn, ...iface, rv: PKCS_11ReturnCode.CRYPTOKI_NOT_INITIALIZED };
        // C_GetInfo(CK_INFO_PTR pInfo): no input parameters.
        if (req.input !== undefined && req.input.length > 0) return { fn: req.fn, ...iface, rv: PKCS_11ReturnCode.ARGUMENTS_BAD };
        return { fn: req.fn, ...iface, output: new Uint8Array(ckInfo()), rv: PKCS_11ReturnCode.OK };
      }
      default: {
        // C_Finalize(CK_VOID_PTR pReserved): pReserved must be NULL_PTR.
        if (open === undefined) return { fn: req.fn, ...iface, rv: PKCS_11ReturnCode.CRYPTOKI_NOT_INITIALIZED };
        if (req.input !== undefined && req.input.some((b) => b !== 0)) return { fn: req.fn, ...iface, rv: PKCS_11ReturnCode.ARGUMENTS_BAD };
        contexts.delete(open);
        return { fn: req.fn, ...iface, rv: PKCS_11ReturnCode.OK };
      }
    }
  },
  encode(res) {
    // 2.1 Table 274 order: Interface, Function, Correlation Value, Output Parameters, Return Code.
    const out: TtlvNode[] = [];
    if (res.iface !== undefined) out.push(text(Tag.PKCS_11Interface, res.iface));
    out.push(enm(Tag.PKCS_11Function, res.fn));
    if (res.correlation !== undefined) out.push(bytes(Tag.CorrelationValue, res.correlation));
    if (res.output !== undefined) out.push(bytes(Tag.PKCS_11OutputParameters, res.output));
    out.push(enm(Tag.PKCS_11ReturnCode, res.rv));
    return out;
  },
});
