/**
 * MAC and MAC Verify. KMIP 1.4 §4.33-4.34, 2.1 §6.1.29-6.1.30. HMAC (SHA-1/256/384/512) or CMAC
 * (AES, 3DES) inside the HSM. MAC needs an Active key with MAC Generate in its usage mask; MAC
 * Verify also accepts a Deactivated or Compromised key, with MAC Verify in the mask. A MAC that
 * does not verify is Validity Indicator Invalid, not an error.
 */
import { invalidField } from '../../kmip/errors.js';
import { CryptographicUsageMask, Operation, Tag, ValidityIndicator } from '../../kmip/generated/index.js';
import { bytes, enm, text } from '../../ttlv/build.js';
import { defineOperation } from '../types.js';
import { cipherServices, refuseStreaming, requireData } from './common.js';
import { chargeUsage, usableKey } from './key.js';
import { type CryptoParamFields, decodeCryptoParams, effectiveParams, macAlgorithm, withCipherErrors } from './params.js';

interface MacRequest {
  readonly uid: string | undefined;
  readonly params: CryptoParamFields | undefined;
  readonly data: Uint8Array;
}

export const mac = defineOperation<MacRequest, { uid: string; mac: Uint8Array }>({
  operation: Operation.MAC,
  decode(payload) {
    refuseStreaming(payload);
    return { uid: payload?.text(Tag.UniqueIdentifier), params: decodeCryptoParams(payload), data: requireData(payload) };
  },
  async handle(ctx, req) {
    const services = cipherServices(ctx);
    const key = await usableKey(ctx, req.uid, 'protect', CryptographicUsageMask.MACGenerate);
    const algorithm = macAlgorithm(ctx.version, effectiveParams(req.params, key.obj), key.algorithm);
    const out = await withCipherErrors(ctx.version, () => services.mac(key.ref, algorithm, req.data));
    chargeUsage(ctx, key, req.data.length);
    return { uid: key.obj.uid, mac: out };
  },
  encode(res) {
    return [text(Tag.UniqueIdentifier, res.uid), bytes(Tag.MACData, res.mac)];
  },
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});

interface MacVerifyRequest extends MacRequest {
  readonly mac: Uint8Array;
}

export const macVerify = defineOperation<MacVerifyRequest, { uid: string; valid: boolean }>({
  operation: Operation.MACVerify,
  decode(payload) {
    refuseStreaming(payload);
    // 2.1 §6.1.30: MAC Data is required outside streaming.
    const macData = payload?.bytes(Tag.MACData);
    if (macData === undefined) throw invalidField('MAC Data is required');
    return { uid: payload?.text(Tag.UniqueIdentifier), params: decodeCryptoParams(payload), data: requireData(payload), mac: macData };
  },
  async handle(ctx, req) {
    const services = cipherServices(ctx);
    const key = await usableKey(ctx, req.uid, 'process', CryptographicUsageMask.MACVerify);
    const algorithm = macAlgorithm(ctx.version, effectiveParams(req.params, key.obj), key.algorithm);
    const valid = await withCipherErrors(ctx.version, () => services.macVerify(key.ref, algorithm, req.data, req.mac));
    return { uid: key.obj.uid, valid };
  },
  encode(res) {
    return [text(Tag.UniqueIdentifier, res.uid), enm(Tag.ValidityIndicator, res.valid ? ValidityIndicator.Valid : ValidityIndicator.Invalid)];
  },
  uids: (req, res) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
