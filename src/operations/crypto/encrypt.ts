/**
 * Encrypt. KMIP 1.4 §4.29, 2.1 §6.1.18. The key is used inside the HSM. Request: Unique
 * Identifier (or the ID Placeholder), Cryptographic Parameters (else the key's attribute), Data,
 * IV/Counter/Nonce, Authenticated Encryption Additional Data. Response: Unique Identifier, Data,
 * IV/Counter/Nonce only when the server chose it, Authenticated Encryption Tag for GCM.
 */
import { CryptographicUsageMask, Operation, Tag } from '../../kmip/generated/index.js';
import { bytes, text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { defineOperation } from '../types.js';
import { cipherPart } from './cipher-streams.js';
import { cipherServices, requireData } from './common.js';
import { chargeUsage, checkedKey } from './key.js';
import { isOneTimePad, padCipher } from './one-time-pad.js';
import { isAsymmetricKey, rsaEncrypt } from './rsa-cipher.js';
import { loadCurrent } from '../lifecycle/state.js';
import { resolveUid } from '../objects.js';
import { type CryptoParamFields, cipherParams, decodeCryptoParams, effectiveParams, withCipherErrors } from './params.js';
import { type StreamStep, decodeStreamStep } from './streams.js';

interface EncryptRequest {
  readonly uid: string | undefined;
  readonly params: CryptoParamFields | undefined;
  readonly data: Uint8Array;
  readonly iv?: Uint8Array;
  readonly aad?: Uint8Array;
  /** A part of a multi-part request (cipher-streams.ts); Data may then be absent. */
  readonly step?: StreamStep;
}

interface EncryptResponse {
  readonly uid: string;
  readonly data?: Uint8Array;
  readonly iv?: Uint8Array;
  readonly tag?: Uint8Array;
  readonly correlation?: Uint8Array;
}

export default defineOperation<EncryptRequest, EncryptResponse>({
  operation: Operation.Encrypt,
  decode(payload) {
    const step = decodeStreamStep(payload);
    const iv = payload?.bytes(Tag.IVCounterNonce);
    const aad = payload?.bytes(Tag.AuthenticatedEncryptionAdditionalData);
    return {
      uid: payload?.text(Tag.UniqueIdentifier),
      params: decodeCryptoParams(payload),
      data: step === undefined ? requireData(payload) : (payload?.bytes(Tag.Data) ?? new Uint8Array(0)),
      ...(iv !== undefined ? { iv } : {}),
      ...(aad !== undefined ? { aad } : {}),
      ...(step !== undefined ? { step } : {}),
    };
  },
  async handle(ctx, req) {
    if (req.step !== undefined) return cipherPart(ctx, 'encrypt', { ...req, step: req.step });
    // One store read: the object decides between a one-time pad, RSA and the symmetric path, and is checked once.
    const obj = await loadCurrent(ctx, resolveUid(ctx, req.uid));
    if (isOneTimePad(obj)) return padCipher(ctx, obj, 'encrypt', req);
    if (isAsymmetricKey(obj)) return rsaEncrypt(ctx, obj, req.params, req.data);
    const services = cipherServices(ctx);
    const key = checkedKey(ctx, obj, 'protect', CryptographicUsageMask.Encrypt);
    const params = cipherParams(ctx.version, effectiveParams(req.params, key.obj), req, 'encrypt');
    // Charged first: an exhausted key is refused before the HSM works (a failure drops the staged count).
    chargeUsage(ctx, key, req.data.length);
    const r = await withCipherErrors(ctx.version, () => services.encrypt(key.ref, key.algorithm, params, req.data));
    return {
      uid: key.obj.uid,
      data: r.data,
      // 2.1 §6.1.18: the IV is returned when the server generated it.
      ...(req.iv === undefined && r.iv !== undefined ? { iv: r.iv } : {}),
      ...(r.tag !== undefined ? { tag: r.tag } : {}),
    };
  },
  encode(res) {
    const out: TtlvNode[] = [text(Tag.UniqueIdentifier, res.uid)];
    if (res.data !== undefined) out.push(bytes(Tag.Data, res.data));
    if (res.iv !== undefined) out.push(bytes(Tag.IVCounterNonce, res.iv));
    if (res.tag !== undefined) out.push(bytes(Tag.AuthenticatedEncryptionTag, res.tag));
    if (res.correlation !== undefined) out.push(bytes(Tag.CorrelationValue, res.correlation));
    return out;
  },
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
