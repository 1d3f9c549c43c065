/**
 * Derive Key by key agreement: Derivation Method Asymmetric Key (KMIP 1.4 §9.1.3.2.21, 2.1 §11.9)
 * with Cryptographic Parameters naming ECDH (OASIS TC-DERIVEKEY-6-14/-20). The request names two
 * objects: the caller's EC Private Key (its usage mask must have Derive Key) and the other party's
 * EC Public Key, in either order. The derived value is the raw ECDH shared secret Z (the
 * x-coordinate of the shared point, SEC 1 §3.3.1), computed in the HSM (CKM_ECDH1_DERIVE with
 * CKD_NULL), truncated to the requested Cryptographic Length (its leading bytes); so each party,
 * deriving with its own private key and the other's public key, gets the same key (the vector
 * derives twice and expects one key value).
 *
 * No key-derivation function is applied to Z: KMIP's Asymmetric Key method names none, and a
 * request that asks for one (a Hashing Algorithm, Derivation Data or Salt as shared info) is
 * answered Feature Not Supported rather than guessed.
 *
 * Where the key stays: when the requested length is the curve's full field size (the usual case,
 * e.g. a 256-bit key from P-256 or secp256k1) and the new object would be stored as one wrapped
 * value, Z is derived in the HSM as a sensitive object, digested and wrapped under the master key
 * there, and never enters this process (ecdhDeriveInHsm). A shorter key is its leading bytes,
 * which SoftHSM2 cannot make (its CKA_VALUE_LEN keeps the trailing bytes; no
 * CKM_EXTRACT_KEY_FROM_KEY), so then Z passes through this process once on its way to being
 * wrapped as the new object (objects/register.ts) and is zeroed right after.
 */
import { type WrappedDerivedKey, ecdhProviderOf } from '../../../crypto/asymmetric.js';
import { CryptoError } from '../../../crypto/provider.js';
import { KmipError, featureNotSupported, invalidField } from '../../../kmip/errors.js';
import { CryptographicAlgorithm, CryptographicUsageMask, ObjectType, ResultReason, State } from '../../../kmip/generated/index.js';
import { is2x } from '../../../kmip/protocol-version.js';
import { effectiveState, loadCurrent, requireUsage, wrongState } from '../../lifecycle/state.js';
import { type ManagedObject, resolveUid } from '../../objects.js';
import type { RequestContext } from '../../types.js';
import type { CryptoParamFields } from '../params.js';
import { keyAlgorithm, privateKeySource } from '../sign.js';
import { spkiOf } from '../signature-verify.js';

export interface AgreementParams {
  readonly crypto?: CryptoParamFields;
  readonly data?: Uint8Array;
  readonly salt?: Uint8Array;
  readonly iv?: Uint8Array;
  readonly iterations?: number;
}

export interface AgreementKeys {
  /** The caller's private key: the derivation base (linked as such). */
  readonly base: ManagedObject;
  readonly peer: ManagedObject;
}

const wrongType = (ctx: RequestContext, msg: string): KmipError =>
  new KmipError(is2x(ctx.version) ? ResultReason.InvalidObjectType : ResultReason.InvalidField, msg);

function requireEc(obj: ManagedObject, what: string): void {
  let alg: string;
  try {
    alg = keyAlgorithm(obj);
  } catch {
    alg = 'other';
  }
  if (alg !== 'EC') throw featureNotSupported(`Asymmetric Key derivation is ECDH: the ${what} must be an EC key`);
}

/** Loads and checks the private key and the peer's public key the request names. */
export async function agreementKeys(ctx: RequestContext, uids: readonly string[]): Promise<AgreementKeys> {
  if (uids.length !== 2) throw invalidField('Asymmetric Key derivation needs two objects: a Private Key and the other party\'s Public Key');
  const objs = await Promise.all(uids.map((u) => loadCurrent(ctx, resolveUid(ctx, u))));
  const base = objs.find((o) => o.objectType === ObjectType.PrivateKey);
  const peer = objs.find((o) => o.objectType === ObjectType.PublicKey);
  if (base === undefined || peer === undefined) throw wrongType(ctx, 'Asymmetric Key derivation needs a Private Key and the other party\'s Public Key');
  requireEc(base, 'private key');
  requireEc(peer, 'public key');
  const s = effectiveState(base, ctx.now);
  if (s !== State.PreActive && s !== State.Active) throw wrongState(ctx.version, 'The private key cannot be used for derivation in its current state');
  requireUsage(base, CryptographicUsageMask.DeriveKey, ctx.version);
  return { base, peer };
}

function checkParams(p: AgreementParams): void {
  const alg = p.crypto?.cryptographicAlgorithm;
  if (alg !== undefined && alg !== CryptographicAlgorithm.ECDH && alg !== CryptographicAlgorithm.EC) {
    throw featureNotSupported('Asymmetric Key derivation offers ECDH');
  }
  if (p.crypto?.hashingAlgorithm !== undefined || p.data !== undefined || p.salt !== undefined || p.iv !== undefined || p.iterations !== undefined) {
    throw featureNotSupported('ECDH derivation gives the raw shared secret; a key-derivation function over it is not supported');
  }
}

const sameCurve = <T>(run: () => Promise<T>): Promise<T> =>
  run().catch((e: unknown) => {
    if (e instanceof CryptoError && e.code === 'UNSUPPORTED') throw invalidField('The two keys are not on the same supported curve');
    throw e;
  });

/**
 * The shared secret as a new key that never enters this process (EcdhProvider.ecdhDeriveWrapped),
 * when the provider can make exactly `length` leading bytes in the HSM (the curve's full field size
 * on SoftHSM2) and the result is stored as registerObject would store those bytes; else undefined
 * and the caller uses ecdhDerive.
 */
export async function ecdhDeriveInHsm(
  ctx: RequestContext,
  keys: AgreementKeys,
  p: AgreementParams,
  length: number,
  fits: (length: number) => boolean,
): Promise<WrappedDerivedKey | undefined> {
  checkParams(p);
  const ecdh = ecdhProviderOf(ctx.crypto);
  if (ecdh?.ecdhDeriveWrapped === undefined || !fits(length)) return undefined;
  const derive = ecdh.ecdhDeriveWrapped.bind(ecdh);
  const source = await privateKeySource(ctx, keys.base);
  try {
    return await sameCurve(() => derive(source, spkiOf(keys.peer), length));
  } finally {
    if (source.kind === 'der') source.der.fill(0);
  }
}

/** The first `length` bytes of the ECDH shared secret of the two keys. */
export async function ecdhDerive(ctx: RequestContext, keys: AgreementKeys, p: AgreementParams, length: number): Promise<Uint8Array> {
  checkParams(p);
  const ecdh = ecdhProviderOf(ctx.crypto);
  if (ecdh === undefined) throw featureNotSupported('The cryptographic module offers no ECDH');
  const source = await privateKeySource(ctx, keys.base);
  let z: Uint8Array;
  try {
    z = await ecdh.ecdhSharedSecret(source, spkiOf(keys.peer));
  } catch (e) {
    if (e instanceof CryptoError && e.code === 'UNSUPPORTED') throw invalidField('The two keys are not on the same supported curve');
    throw e;
  } finally {
    if (source.kind === 'der') source.der.fill(0);
  }
  try {
    if (length > z.length) throw invalidField(`ECDH on this curve gives ${z.length * 8} bits; the requested Cryptographic Length is longer`);
    return z.slice(0, length);
  } finally {
    z.fill(0);
  }
}
