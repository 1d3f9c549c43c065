/**
 * Sign and Signature Verify with Ed25519 / Ed448 keys (KMIP 2.1 §6.1.50, §6.1.53; RFC 8032 pure
 * EdDSA). sign.ts and signature-verify.ts hand over once the key has passed their checks (object
 * type, usage mask, state, dates). EdDSA hashes inside the algorithm, so:
 * - Digested Data is refused (Ed25519ph is not offered);
 * - Cryptographic Parameters may name the key's own Cryptographic Algorithm and nothing that picks
 *   a hash, padding or other signature scheme (Bad / Unsupported Cryptographic Parameters).
 * Private keys sign inside the HSM: resident ones in place, others (Create Key Pair on a module
 * that cannot wrap EdDSA keys, or registered ones) imported as transient session objects.
 * Registered keys are read in any format kmip/key-formats.ts knows (PKCS#8, Transparent EC).
 */
import { type EdCurve, type EdPrivateKey, edDsaProviderOf, verifyEdDsa } from '../../crypto/eddsa.js';
import { CryptoError } from '../../crypto/provider.js';
import { KmipError, featureNotSupported, keyFormatTypeNotSupported } from '../../kmip/errors.js';
import { CryptographicAlgorithm, ResultReason, Tag } from '../../kmip/generated/index.js';
import { type ProtocolVersion, is2x } from '../../kmip/protocol-version.js';
import { registeredKeyDer } from '../objects/key-conversion.js';
import { unwrapSecret } from '../objects/material.js';
import { type ManagedObject, attrNumber } from '../objects.js';
import type { RequestContext } from '../types.js';
import type { SignParamFields } from './sign.js';

const CURVE_OF: ReadonlyMap<number, EdCurve> = new Map([
  [CryptographicAlgorithm.Ed25519, 'Ed25519'],
  [CryptographicAlgorithm.Ed448, 'Ed448'],
]);

/** The EdDSA curve of a key whose Cryptographic Algorithm is Ed25519 or Ed448; undefined otherwise. */
export function edCurveOfKey(obj: ManagedObject): EdCurve | undefined {
  const alg = attrNumber(obj, Tag.CryptographicAlgorithm) ?? obj.content?.keyBlock?.algorithm;
  return alg === undefined ? undefined : CURVE_OF.get(alg);
}

function checkParams(v: ProtocolVersion, curve: EdCurve, params: SignParamFields | undefined, digested: boolean): void {
  const bad = (msg: string): KmipError => new KmipError(is2x(v) ? ResultReason.BadCryptographicParameters : ResultReason.InvalidField, msg);
  if (digested) throw bad('EdDSA signs the message itself: send Data, not Digested Data');
  if (params?.cryptographicAlgorithm !== undefined && CURVE_OF.get(params.cryptographicAlgorithm) !== curve) {
    throw bad('The Cryptographic Algorithm does not match the key');
  }
  if (params?.digitalSignatureAlgorithm !== undefined || params?.hashingAlgorithm !== undefined || params?.paddingMethod !== undefined) {
    throw new KmipError(is2x(v) ? ResultReason.UnsupportedCryptographicParameters : ResultReason.FeatureNotSupported, 'EdDSA takes no hash, padding or signature algorithm parameters');
  }
}

function cryptoError(v: ProtocolVersion, e: unknown): unknown {
  if (e instanceof CryptoError && e.code === 'BAD_KEY') return new KmipError(ResultReason.CryptographicFailure, e.message);
  if (e instanceof CryptoError && e.code === 'UNSUPPORTED') {
    return new KmipError(is2x(v) ? ResultReason.BadCryptographicParameters : ResultReason.InvalidField, e.message);
  }
  return e;
}

/** The key material of a registered key, as PKCS#8 (private) or X.509 (public). */
function asDer(obj: ManagedObject, value: Uint8Array, half: 'private' | 'public'): Uint8Array {
  const kb = obj.content?.keyBlock;
  if (kb === undefined) throw keyFormatTypeNotSupported('The key has no usable value');
  return registeredKeyDer(kb, value, half, attrNumber(obj, Tag.CryptographicAlgorithm));
}

async function privateKey(ctx: RequestContext, obj: ManagedObject): Promise<EdPrivateKey> {
  const c = obj.content;
  if (c?.privateKey?.kind === 'resident') return c.privateKey;
  if (c?.secret === undefined) throw featureNotSupported('This EdDSA key cannot sign');
  const stored = await unwrapSecret(ctx, c.secret);
  const der = asDer(obj, stored, 'private');
  if (der !== stored) stored.fill(0);
  return { kind: 'der', der };
}

/** Sign with an Ed25519 / Ed448 Private Key (already checked by sign.ts). */
export async function edDsaSign(
  ctx: RequestContext,
  obj: ManagedObject,
  curve: EdCurve,
  req: { readonly params: SignParamFields | undefined; readonly data: Uint8Array; readonly digested: boolean },
): Promise<{ uid: string; signature: Uint8Array }> {
  checkParams(ctx.version, curve, req.params, req.digested);
  const ed = edDsaProviderOf(ctx.crypto);
  if (ed === undefined) throw featureNotSupported('The cryptographic module offers no EdDSA');
  const key = await privateKey(ctx, obj);
  try {
    const signature = await ed.signEdDsa(key, curve, req.data);
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid, signature };
  } catch (e) {
    throw cryptoError(ctx.version, e);
  } finally {
    if (key.kind === 'der') (key.der as Uint8Array).fill(0);
  }
}

/** Signature Verify with an Ed25519 / Ed448 Public Key (already checked by signature-verify.ts), in node:crypto. */
export function edDsaVerify(
  ctx: RequestContext,
  obj: ManagedObject,
  curve: EdCurve,
  req: { readonly params: SignParamFields | undefined; readonly data: Uint8Array; readonly digested: boolean; readonly signature: Uint8Array },
): { uid: string; valid: boolean } {
  checkParams(ctx.version, curve, req.params, req.digested);
  const clear = obj.content?.clear;
  if (clear === undefined) throw keyFormatTypeNotSupported('The public key has no usable value');
  try {
    const valid = verifyEdDsa(asDer(obj, clear, 'public'), req.data, req.signature);
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid, valid };
  } catch (e) {
    throw cryptoError(ctx.version, e);
  }
}
