/**
 * MAC and MAC Verify. KMIP 1.4 §4.33-4.34, 2.1 §6.1.29-6.1.30. HMAC (SHA-1/256/384/512) or CMAC
 * (AES, 3DES) inside the HSM. MAC needs an Active key with MAC Generate in its usage mask; MAC
 * Verify also accepts a Deactivated or Compromised key, with MAC Verify in the mask. A MAC that
 * does not verify is Validity Indicator Invalid, not an error. Multi-part requests are collected
 * by streams.ts (the key is checked on the first and the final part) and MACed whole at the end.
 */
import { invalidField } from '../../kmip/errors.js';
import { CryptographicUsageMask, Operation, Tag, ValidityIndicator } from '../../kmip/generated/index.js';
import { bytes, enm, text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { resolveUid } from '../objects.js';
import { type RequestContext, defineOperation } from '../types.js';
import { cipherServices, requireData } from './common.js';
import { type UsableKey, chargeUsage, usableKey } from './key.js';
import { type CryptoParamFields, decodeCryptoParams, effectiveParams, macAlgorithm, withCipherErrors } from './params.js';
import { type StreamStep, decodeStreamStep, streamStep } from './streams.js';

interface MacRequest {
  readonly uid: string | undefined;
  readonly params: CryptoParamFields | undefined;
  readonly data: Uint8Array | undefined;
  readonly step: StreamStep | undefined;
}

interface MacVerifyRequest extends MacRequest {
  readonly mac: Uint8Array | undefined;
}

function decodeMacRequest(payload: Parameters<typeof decodeStreamStep>[0]): MacRequest {
  const step = decodeStreamStep(payload);
  return {
    uid: payload?.text(Tag.UniqueIdentifier),
    params: decodeCryptoParams(payload),
    data: step === undefined ? requireData(payload) : payload?.bytes(Tag.Data),
    step,
  };
}

type Outcome = { correlation: Uint8Array; uid: string } | { key: UsableKey; data: Uint8Array; extra: Uint8Array | undefined };

/** Runs the key checks and, for a stream, the step; the whole message once it is complete. */
async function collect(ctx: RequestContext, kind: string, req: MacRequest, usage: number, purpose: 'protect' | 'process', extra?: Uint8Array): Promise<Outcome> {
  const uid = resolveUid(ctx, req.uid);
  if (req.step === undefined) return { key: await usableKey(ctx, uid, purpose, usage), data: req.data ?? new Uint8Array(0), extra };
  if (req.step.correlation === undefined) await usableKey(ctx, uid, purpose, usage); // fail fast on the first part
  const r = streamStep(ctx, kind, uid, req.step, req.data, extra);
  if ('correlation' in r) return { correlation: r.correlation, uid };
  return { key: await usableKey(ctx, uid, purpose, usage), data: r.whole, extra: r.extra };
}

export const mac = defineOperation<MacRequest, { uid: string; mac?: Uint8Array; correlation?: Uint8Array }>({
  operation: Operation.MAC,
  decode: decodeMacRequest,
  async handle(ctx, req) {
    const services = cipherServices(ctx);
    const o = await collect(ctx, 'mac', req, CryptographicUsageMask.MACGenerate, 'protect');
    if ('correlation' in o) return o;
    const { key, data } = o;
    const algorithm = macAlgorithm(ctx.version, effectiveParams(req.params, key.obj), key.algorithm);
    chargeUsage(ctx, key, data.length);
    const out = await withCipherErrors(ctx.version, () => services.mac(key.ref, algorithm, data));
    return { uid: key.obj.uid, mac: out };
  },
  encode(res) {
    const out: TtlvNode[] = [text(Tag.UniqueIdentifier, res.uid)];
    if (res.mac !== undefined) out.push(bytes(Tag.MACData, res.mac));
    if (res.correlation !== undefined) out.push(bytes(Tag.CorrelationValue, res.correlation));
    return out;
  },
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});

export const macVerify = defineOperation<MacVerifyRequest, { uid: string; valid?: boolean; correlation?: Uint8Array }>({
  operation: Operation.MACVerify,
  decode(payload) {
    const base = decodeMacRequest(payload);
    const macData = payload?.bytes(Tag.MACData);
    // 2.1 §6.1.30: MAC Data is required, in a multi-part request with its first part.
    if (macData === undefined && (base.step === undefined || base.step.correlation === undefined)) throw invalidField('MAC Data is required');
    return { ...base, mac: macData };
  },
  async handle(ctx, req) {
    const services = cipherServices(ctx);
    const o = await collect(ctx, 'mac-verify', req, CryptographicUsageMask.MACVerify, 'process', req.mac);
    if ('correlation' in o) return o;
    const { key, data } = o;
    const given = o.extra ?? new Uint8Array(0);
    const algorithm = macAlgorithm(ctx.version, effectiveParams(req.params, key.obj), key.algorithm);
    const valid = await withCipherErrors(ctx.version, () => services.macVerify(key.ref, algorithm, data, given));
    return { uid: key.obj.uid, valid };
  },
  encode(res) {
    const out: TtlvNode[] = [text(Tag.UniqueIdentifier, res.uid)];
    if (res.valid !== undefined) out.push(enm(Tag.ValidityIndicator, res.valid ? ValidityIndicator.Valid : ValidityIndicator.Invalid));
    if (res.correlation !== undefined) out.push(bytes(Tag.CorrelationValue, res.correlation));
    return out;
  },
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
