/**
 * Encrypt and Decrypt with RSA keys (KMIP 1.4 §4.29-4.30, 2.1 §6.1.18 / §6.1.12): a Public Key
 * encrypts, a Private Key (kept in the HSM) decrypts. encrypt.ts and decrypt.ts hand a request
 * here when its key is asymmetric.
 *
 * Cryptographic Parameters (2.1 §11.3), each absent field taken from the key's attribute:
 * - Padding Method OAEP (RFC 8017 §7.1), PKCS1 v1.5 (§7.2) or None (raw RSA); required, since
 *   KMIP names no default and a guess would produce data the client cannot use;
 * - Hashing Algorithm: the OAEP hash, SHA-1 when absent (RFC 8017 §A.2.1 default);
 * - Mask Generator: MGF1 only; Mask Generator Hashing Algorithm: the OAEP hash when absent;
 * - P Source: the OAEP label, empty when absent;
 * - Cryptographic Algorithm, if given, must be RSA. Block Cipher Mode does not apply and is ignored.
 * Key checks as the symmetric path (key.ts): State and dates for the purpose (Decrypt also works
 * with a Deactivated or Compromised key), the Cryptographic Usage Mask bit, Usage Limits.
 */
import {
  type PrivateKeySource,
  type RsaCipherParams,
  type SignatureHash,
  describePublicKey,
  maxMessageLength,
  rsaCipherOf,
} from '../../crypto/asymmetric.js';
import { CryptoError } from '../../crypto/provider.js';
import { KmipError, featureNotSupported } from '../../kmip/errors.js';
import { CryptographicAlgorithm, CryptographicUsageMask, HashingAlgorithm, MaskGenerator, ObjectType, PaddingMethod, ResultReason } from '../../kmip/generated/index.js';
import { type ProtocolVersion, is2x } from '../../kmip/protocol-version.js';
import { requireUsableState, requireUsage } from '../lifecycle/state.js';
import type { ManagedObject } from '../objects.js';
import type { RequestContext } from '../types.js';
import { chargeUsage } from './key.js';
import { type CryptoParamFields, effectiveParams } from './params.js';
import { keyAlgorithm, privateKeySource } from './sign.js';
import { spkiOf } from './signature-verify.js';

const unsupported = (v: ProtocolVersion, msg: string): KmipError =>
  new KmipError(is2x(v) ? ResultReason.UnsupportedCryptographicParameters : ResultReason.FeatureNotSupported, msg);
const bad = (v: ProtocolVersion, msg: string): KmipError =>
  new KmipError(is2x(v) ? ResultReason.BadCryptographicParameters : ResultReason.InvalidField, msg);

const HASHES: ReadonlyMap<number, SignatureHash> = new Map([
  [HashingAlgorithm.SHA_1, 'SHA-1'],
  [HashingAlgorithm.SHA_224, 'SHA-224'],
  [HashingAlgorithm.SHA_256, 'SHA-256'],
  [HashingAlgorithm.SHA_384, 'SHA-384'],
  [HashingAlgorithm.SHA_512, 'SHA-512'],
]);

function hashOf(v: ProtocolVersion, e: number | undefined, what: string): SignatureHash | undefined {
  if (e === undefined) return undefined;
  const h = HASHES.get(e);
  if (h === undefined) throw unsupported(v, `${what} not supported for OAEP (SHA-1, SHA-224, SHA-256, SHA-384, SHA-512 are)`);
  return h;
}

/** The RSA padding and its parameters, in provider terms. */
export function rsaCipherParams(v: ProtocolVersion, p: CryptoParamFields): RsaCipherParams {
  if (p.cryptographicAlgorithm !== undefined && p.cryptographicAlgorithm !== CryptographicAlgorithm.RSA) {
    throw bad(v, 'The Cryptographic Algorithm does not match the RSA key');
  }
  switch (p.paddingMethod) {
    case undefined:
      throw bad(v, 'RSA encryption needs a Padding Method (OAEP, PKCS1 v1.5 or None)');
    case PaddingMethod.PKCS1V1_5:
      return { padding: 'PKCS1v15' };
    case PaddingMethod.None:
      return { padding: 'None' };
    case PaddingMethod.OAEP: {
      if (p.maskGenerator !== undefined && p.maskGenerator !== MaskGenerator.MGF1) throw unsupported(v, 'Mask Generator not supported (MGF1 is)');
      const hash = hashOf(v, p.hashingAlgorithm, 'Hashing Algorithm') ?? 'SHA-1';
      const mgfHash = hashOf(v, p.maskGeneratorHashingAlgorithm, 'Mask Generator Hashing Algorithm') ?? hash;
      return { padding: 'OAEP', hash, mgfHash, ...(p.pSource !== undefined && p.pSource.length > 0 ? { label: p.pSource } : {}) };
    }
    default:
      throw unsupported(v, 'Padding Method not supported for RSA encryption (OAEP, PKCS1 v1.5 and None are)');
  }
}

/** Whether Encrypt/Decrypt with this key goes the RSA way (rsaEncrypt / rsaDecrypt). */
export function isAsymmetricKey(obj: ManagedObject): boolean {
  return obj.objectType === ObjectType.PublicKey || obj.objectType === ObjectType.PrivateKey;
}

/** Checks the key's type, State and dates, and usage mask for the direction. */
function checkKey(ctx: RequestContext, obj: ManagedObject, direction: 'encrypt' | 'decrypt'): void {
  const want = direction === 'encrypt' ? ObjectType.PublicKey : ObjectType.PrivateKey;
  if (obj.objectType !== want) {
    throw new KmipError(
      is2x(ctx.version) ? ResultReason.InvalidObjectType : ResultReason.IllegalOperation,
      direction === 'encrypt' ? 'RSA encryption needs a Public Key' : 'RSA decryption needs a Private Key',
    );
  }
  try {
    requireUsableState(ctx.version, obj, direction === 'encrypt' ? 'protect' : 'process', ctx.now);
  } catch (err) {
    // As key.ts: the OASIS 2.0 vectors answer Permission Denied where 2.1 has Wrong Key Lifecycle State.
    if (err instanceof KmipError && ctx.version.major === 2 && ctx.version.minor === 0) throw new KmipError(ResultReason.PermissionDenied, err.message);
    throw err;
  }
  requireUsage(obj, direction === 'encrypt' ? CryptographicUsageMask.Encrypt : CryptographicUsageMask.Decrypt, ctx.version);
  if (keyAlgorithm(obj) !== 'RSA') throw featureNotSupported('Encrypt and Decrypt with asymmetric keys are offered for RSA keys');
}

/** Provider refusals as KMIP reasons: a padding that does not check out is Cryptographic Failure. */
function rsaError(v: ProtocolVersion, e: unknown): unknown {
  if (e instanceof CryptoError && e.code === 'UNSUPPORTED') return bad(v, e.message);
  if (e instanceof CryptoError && e.code === 'BAD_KEY') return new KmipError(ResultReason.CryptographicFailure, 'Decryption failed');
  return e;
}

function services(ctx: RequestContext) {
  const rsa = rsaCipherOf(ctx.crypto);
  if (rsa === undefined) throw featureNotSupported('The cryptographic module offers no RSA encryption');
  return rsa;
}

/** Encrypt with an RSA Public Key; the result carries no IV. */
export async function rsaEncrypt(ctx: RequestContext, obj: ManagedObject, reqParams: CryptoParamFields | undefined, data: Uint8Array): Promise<{ uid: string; data: Uint8Array }> {
  const rsa = services(ctx);
  checkKey(ctx, obj, 'encrypt');
  const params = rsaCipherParams(ctx.version, effectiveParams(reqParams, obj));
  const spki = spkiOf(obj);
  const max = maxMessageLength(params, Math.ceil(describePublicKey(spki).bits / 8));
  if (data.length > max) throw new KmipError(ResultReason.InvalidField, `Data is too long for this key and padding (at most ${Math.max(max, 0)} bytes)`);
  chargeUsage(ctx, { obj }, data.length);
  try {
    return { uid: obj.uid, data: await rsa.rsaEncrypt(spki, params, data) };
  } catch (e) {
    throw rsaError(ctx.version, e);
  }
}

/** Decrypt with an RSA Private Key inside the HSM. */
export async function rsaDecrypt(ctx: RequestContext, obj: ManagedObject, reqParams: CryptoParamFields | undefined, data: Uint8Array): Promise<{ uid: string; data: Uint8Array }> {
  const rsa = services(ctx);
  checkKey(ctx, obj, 'decrypt');
  const params = rsaCipherParams(ctx.version, effectiveParams(reqParams, obj));
  const source: PrivateKeySource = await privateKeySource(ctx, obj);
  try {
    return { uid: obj.uid, data: await rsa.rsaDecrypt(source, params, data) };
  } catch (e) {
    throw rsaError(ctx.version, e);
  } finally {
    if (source.kind === 'der') (source.der as Uint8Array).fill(0);
  }
}
