/**
 * Decrypt. KMIP 1.4 §4.30, 2.1 §6.1.12. The key is used inside the HSM; a Deactivated or
 * Compromised key may still decrypt. Request: Unique Identifier (or the ID Placeholder),
 * Cryptographic Parameters (else the key's attribute), Data, IV/Counter/Nonce, Authenticated
 * Encryption Additional Data and Tag. Response: Unique Identifier, Data. A GCM tag or padding
 * that does not check out is Cryptographic Failure (OASIS CS-BC-M-GCM-1).
 */
import { CryptographicUsageMask, Operation, Tag } from '../../kmip/generated/index.js';
import { bytes, text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { defineOperation } from '../types.js';
import { cipherPart } from './cipher-streams.js';
import { cipherServices, requireData } from './common.js';
import { checkedKey } from './key.js';
import { isOneTimePad, padCipher } from './one-time-pad.js';
import { isAsymmetricKey, rsaDecrypt } from './rsa-cipher.js';
import { loadCurrent } from '../lifecycle/state.js';
import { resolveUid } from '../objects.js';
import { type CryptoParamFields, cipherParams, decodeCryptoParams, effectiveParams, withCipherErrors } from './params.js';
import { type StreamStep, decodeStreamStep } from './streams.js';

interface DecryptRequest {
  readonly uid: string | undefined;
  readonly params: CryptoParamFields | undefined;
  readonly data: Uint8Array;
  readonly iv?: Uint8Array;
  readonly aad?: Uint8Array;
  readonly tag?: Uint8Array;
  /** A part of a multi-part request (cipher-streams.ts); Data may then be absent. */
  readonly step?: StreamStep;
}

interface DecryptResponse {
  readonly uid: string;
  readonly data?: Uint8Array;
  readonly correlation?: Uint8Array;
}

export default defineOperation<DecryptRequest, DecryptResponse>({
  operation: Operation.Decrypt,
  decode(payload) {
    const step = decodeStreamStep(payload);
    const iv = payload?.bytes(Tag.IVCounterNonce);
    const aad = payload?.bytes(Tag.AuthenticatedEncryptionAdditionalData);
    const tag = payload?.bytes(Tag.AuthenticatedEncryptionTag);
    return {
      uid: payload?.text(Tag.UniqueIdentifier),
      params: decodeCryptoParams(payload),
      data: step === undefined ? requireData(payload) : (payload?.bytes(Tag.Data) ?? new Uint8Array(0)),
      ...(iv !== undefined ? { iv } : {}),
      ...(aad !== undefined ? { aad } : {}),
      ...(tag !== undefined ? { tag } : {}),
      ...(step !== undefined ? { step } : {}),
    };
  },
  async handle(ctx, req) {
    if (req.step !== undefined) return cipherPart(ctx, 'decrypt', { ...req, step: req.step });
    // One store read: the object decides between a one-time pad, RSA and the symmetric path, and is checked once.
    const obj = await loadCurrent(ctx, resolveUid(ctx, req.uid));
    if (isOneTimePad(obj)) return padCipher(ctx, obj, 'decrypt', req);
    if (isAsymmetricKey(obj)) return rsaDecrypt(ctx, obj, req.params, req.data);
    const services = cipherServices(ctx);
    const key = checkedKey(ctx, obj, 'process', CryptographicUsageMask.Decrypt);
    const params = cipherParams(ctx.version, effectiveParams(req.params, key.obj), req, 'decrypt');
    const data = await withCipherErrors(ctx.version, () => services.decrypt(key.ref, key.algorithm, params, req.data, req.tag));
    return { uid: key.obj.uid, data };
  },
  encode(res) {
    const out: TtlvNode[] = [text(Tag.UniqueIdentifier, res.uid)];
    if (res.data !== undefined) out.push(bytes(Tag.Data, res.data));
    if (res.correlation !== undefined) out.push(bytes(Tag.CorrelationValue, res.correlation));
    return out;
  },
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
