/**
 * Signature Verify. KMIP 1.4 §4.32, 2.1 §6.1.53: checks Signature Data over Data (or Digested
 * Data) with a Public Key and answers a Validity Indicator: Valid, or Invalid for a signature
 * that does not verify (a wrong or malformed signature is not an error). Key checks and
 * Cryptographic Parameters as Sign (sign.ts); the key may be Deactivated or Compromised.
 * Public keys are used as stored: X.509 (SubjectPublicKeyInfo) or PKCS#1 (RSAPublicKey); those
 * registered as Transparent RSA / EC Public Keys are converted to X.509 (objects/key-conversion.ts).
 */
import { createPublicKey } from 'node:crypto';

import { KmipError, keyFormatTypeNotSupported } from '../../kmip/errors.js';
import type { Fields } from '../../kmip/fields.js';
import { KeyFormatType, Operation, ResultReason, Tag, ValidityIndicator } from '../../kmip/generated/index.js';
import { bytes, enm, text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { registeredKeyDer } from '../objects/key-conversion.js';
import { type ManagedObject, attrNumber } from '../objects.js';
import { type RequestContext, defineOperation } from '../types.js';
import { refuseStreaming } from './common.js';
import { type StreamStep, streamStep } from './streams.js';
import { edCurveOfKey, edDsaVerify } from './eddsa.js';
import {
  type SignParamFields,
  asymmetricServices,
  decodeSignParams,
  decodeSignatureStream,
  keyAlgorithm,
  signatureError,
  signatureInput,
  signatureKey,
  signatureParams,
} from './sign.js';

interface VerifyRequest {
  readonly uid: string | undefined;
  readonly params: SignParamFields | undefined;
  readonly data: Uint8Array;
  readonly digested: boolean;
  /** Absent only in a later part of a multi-part request (it came with the first or comes with the final part). */
  readonly signature: Uint8Array | undefined;
  readonly step?: StreamStep;
}

interface VerifyResponse {
  readonly uid: string;
  readonly valid?: boolean;
  readonly correlation?: Uint8Array;
}

/** The stored public key as DER SubjectPublicKeyInfo. */
export function spkiOf(obj: ManagedObject): Uint8Array {
  const c = obj.content;
  const format = c?.keyBlock?.formatType;
  if (c?.clear === undefined) throw keyFormatTypeNotSupported('The public key has no usable value');
  if (format === KeyFormatType.X_509) return c.clear;
  if (format === KeyFormatType.PKCS_1) {
    try {
      return new Uint8Array(
        createPublicKey({ key: Buffer.from(c.clear), format: 'der', type: 'pkcs1' }).export({ format: 'der', type: 'spki' }),
      );
    } catch {
      throw new KmipError(ResultReason.CryptographicFailure, 'The public key is not a valid PKCS#1 RSAPublicKey');
    }
  }
  // Other registered formats (Transparent RSA / EC Public Key) as X.509: objects/key-conversion.ts.
  if (c.keyBlock === undefined) throw keyFormatTypeNotSupported('The public key has no usable value');
  return registeredKeyDer(c.keyBlock, c.clear, 'public', attrNumber(obj, Tag.CryptographicAlgorithm));
}

/** Verifies the whole message with a key that passed signatureKey(). */
async function verifyWith(ctx: RequestContext, obj: ManagedObject, req: { params: SignParamFields | undefined; data: Uint8Array; digested: boolean; signature: Uint8Array }): Promise<VerifyResponse> {
  const asym = asymmetricServices(ctx.crypto);
  const ed = edCurveOfKey(obj);
  if (ed !== undefined) return edDsaVerify(ctx, obj, ed, req); // Ed25519 / Ed448: eddsa.ts
  const algorithm = keyAlgorithm(obj);
  const params = signatureParams(ctx.version, req.params, obj, algorithm, req.digested);
  const spki = spkiOf(obj);
  try {
    const valid = await asym.verify(spki, algorithm, params, req.data, req.signature);
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid, valid };
  } catch (e) {
    throw signatureError(ctx.version, e);
  }
}

const signatureRequired = (): KmipError => new KmipError(ResultReason.InvalidField, 'Signature Data is required');

export default defineOperation<VerifyRequest, VerifyResponse>({
  operation: Operation.SignatureVerify,
  decode(payload: Fields | undefined): VerifyRequest {
    const signature = payload?.bytes(Tag.SignatureData);
    const stream = decodeSignatureStream(payload);
    if (stream !== undefined) {
      return { uid: payload?.text(Tag.UniqueIdentifier), params: decodeSignParams(payload), data: stream.data, digested: false, signature, step: stream.step };
    }
    refuseStreaming(payload);
    if (signature === undefined) throw signatureRequired();
    return { uid: payload?.text(Tag.UniqueIdentifier), params: decodeSignParams(payload), ...signatureInput(payload), signature };
  },
  async handle(ctx: RequestContext, req: VerifyRequest): Promise<VerifyResponse> {
    if (req.step === undefined) {
      if (req.signature === undefined) throw signatureRequired();
      return verifyWith(ctx, await signatureKey(ctx, req.uid, 'verify'), { ...req, signature: req.signature });
    }
    // Multi-part: parts collected (bounded, streams.ts), verified whole with the final one. The
    // Signature Data comes with the first part (kept with the stream) or with the final part.
    const named = req.uid !== undefined || req.step.correlation === undefined ? await signatureKey(ctx, req.uid, 'verify') : undefined;
    const r = streamStep(ctx, 'verify', named?.uid, req.step, req.data, req.step.correlation === undefined ? req.signature : undefined);
    if ('correlation' in r) return { uid: r.binding, correlation: r.correlation };
    const signature = req.signature ?? r.extra;
    if (signature === undefined) throw signatureRequired();
    return verifyWith(ctx, await signatureKey(ctx, r.binding, 'verify'), { params: req.params, data: r.whole, digested: false, signature });
  },
  encode(res: VerifyResponse): TtlvNode[] {
    const out: TtlvNode[] = [text(Tag.UniqueIdentifier, res.uid)];
    if (res.valid !== undefined) out.push(enm(Tag.ValidityIndicator, res.valid ? ValidityIndicator.Valid : ValidityIndicator.Invalid));
    if (res.correlation !== undefined) out.push(bytes(Tag.CorrelationValue, res.correlation));
    return out;
  },
  uids: (req: VerifyRequest, res: VerifyResponse | undefined) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
