/**
 * One-time pads (Cryptographic Algorithm One Time Pad, KMIP 1.3+ §9.1.3.2.13 / 2.1 §11.7, 0x1B).
 *
 * What the OASIS test cases make of it (TC-OTP-SETUP-1 and TC-OTP-1…5, KMIP Test Cases 1.3/1.4):
 * the client registers the pad as Secret Data (or a Symmetric Key) whose Cryptographic Algorithm is
 * One Time Pad, with Encrypt and Decrypt in its usage mask; Encrypt answers Data XOR pad (pad
 * fc932e1428bd, data 010203040506 -> fd912d102dbb) and Decrypt the same XOR back. Data may be
 * shorter than the pad (the leading bytes of the pad are used), never longer: a pad is at least
 * as long as the message it hides. Cryptographic Parameters, if sent, may only name One Time Pad;
 * an IV or authenticated-encryption field has no meaning here and is refused.
 *
 * Get (and Export, which runs Get): Permission Denied (TC-OTP-4). The pad is the secret of a
 * server-side service; a pad handed out again is a pad used twice. TC-OTP-3 records the other
 * answer a server may give (the Secret Data without its Key Value); kmipd cannot give both, and
 * the conformance harness skips TC-OTP-3 saying so.
 *
 * "One-time" is not enforced by counting uses: the vectors encrypt under the same pad in TC-OTP-1
 * and twice in TC-OTP-5. A client that wants single use sets Usage Limits (Unit Object: 1), which
 * Encrypt charges here as for any key (key.ts `chargeUsage`).
 *
 * Where the XOR happens: the pad is stored like every secret value, wrapped under the HSM's master
 * key (objects/material.ts `wrapSecret`, CKM_AES_KEY_WRAP_PAD). The HSM has no XOR cipher
 * (SoftHSM2 2.6 lists neither a pad cipher nor CKM_XOR_BASE_AND_DATA in C_GetMechanismList), so
 * kmipd unwraps the pad for the one request (the HSM exports it as Get would), XORs in Node and
 * zeroes its copy of the pad before answering.
 */
import { KmipError, invalidField } from '../../kmip/errors.js';
import { CryptographicAlgorithm, CryptographicUsageMask, ObjectType, ResultReason, Tag } from '../../kmip/generated/index.js';
import { is2x } from '../../kmip/protocol-version.js';
import { requireUsableState, requireUsage } from '../lifecycle/state.js';
import { type ManagedObject, attrNumber } from '../objects.js';
import { unwrapSecret } from '../objects/material.js';
import type { RequestContext } from '../types.js';
import { chargeUsage } from './key.js';
import type { CryptoParamFields } from './params.js';

/** Whether the object is a one-time pad (Secret Data or Symmetric Key of algorithm One Time Pad). */
export function isOneTimePad(obj: ManagedObject): boolean {
  return (
    (obj.objectType === ObjectType.SecretData || obj.objectType === ObjectType.SymmetricKey) &&
    attrNumber(obj, Tag.CryptographicAlgorithm) === CryptographicAlgorithm.OneTimePad
  );
}

/** Get / Export of a pad: Permission Denied (see the module comment; OASIS TC-OTP-4). */
export function refusePadExport(obj: ManagedObject): void {
  if (isOneTimePad(obj)) {
    throw new KmipError(ResultReason.PermissionDenied, 'A one-time pad is used only by the server\'s Encrypt and Decrypt; its value is not returned');
  }
}

export interface PadCipherRequest {
  readonly data: Uint8Array;
  readonly params: CryptoParamFields | undefined;
  readonly iv?: Uint8Array;
  readonly aad?: Uint8Array;
  readonly tag?: Uint8Array;
}

const badParams = (ctx: RequestContext, msg: string): KmipError =>
  new KmipError(is2x(ctx.version) ? ResultReason.BadCryptographicParameters : ResultReason.InvalidField, msg);

/** Encrypt or Decrypt with a one-time pad: Data XOR the pad. */
export async function padCipher(ctx: RequestContext, obj: ManagedObject, direction: 'encrypt' | 'decrypt', req: PadCipherRequest): Promise<{ uid: string; data: Uint8Array }> {
  try {
    requireUsableState(ctx.version, obj, direction === 'encrypt' ? 'protect' : 'process', ctx.now);
  } catch (err) {
    // As key.ts: the OASIS 2.0 vectors answer Permission Denied where 2.1 has Wrong Key Lifecycle State.
    if (err instanceof KmipError && ctx.version.major === 2 && ctx.version.minor === 0) throw new KmipError(ResultReason.PermissionDenied, err.message);
    throw err;
  }
  requireUsage(obj, direction === 'encrypt' ? CryptographicUsageMask.Encrypt : CryptographicUsageMask.Decrypt, ctx.version);
  const alg = req.params?.cryptographicAlgorithm;
  if (alg !== undefined && alg !== CryptographicAlgorithm.OneTimePad) throw badParams(ctx, 'The Cryptographic Algorithm does not match the one-time pad');
  if (req.iv !== undefined || req.aad !== undefined || req.tag !== undefined) {
    throw badParams(ctx, 'A one-time pad takes no IV/Counter/Nonce or authenticated-encryption fields');
  }
  const secret = obj.content?.secret;
  if (secret === undefined) {
    // Registered without its Key Value (e.g. OASIS TC-OTP-SETUP-2): nothing to XOR with.
    throw new KmipError(ResultReason.KeyValueNotPresent, 'The one-time pad has no value');
  }
  if (req.data.length > secret.length) throw invalidField(`Data is longer than the one-time pad (${secret.length} bytes)`);
  if (direction === 'encrypt') chargeUsage(ctx, { obj }, req.data.length);
  const pad = await unwrapSecret(ctx, secret);
  try {
    const out = new Uint8Array(req.data.length);
    for (let i = 0; i < out.length; i++) out[i] = req.data[i]! ^ pad[i]!;
    return { uid: obj.uid, data: out };
  } finally {
    pad.fill(0);
  }
}
