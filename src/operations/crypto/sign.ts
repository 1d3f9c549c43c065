/**
 * Sign. KMIP 1.4 §4.31, 2.1 §6.1.50: a signature over Data (or Digested Data) with a Private Key
 * that stays in the HSM. Also the pieces Signature Verify (signature-verify.ts) shares:
 * - the key checks: Private / Public Key object; Cryptographic Usage Mask bit (Incompatible
 *   Cryptographic Usage Mask in 2.x, Permission Denied in 1.x); Sign needs an Active key, Verify
 *   also accepts Deactivated / Compromised (1.4 §3.22, 2.1 §4.57). A Protect Stop Date passed (Sign)
 *   or a Process Start Date not reached (Verify) is Permission Denied up to 2.0 and Wrong Key
 *   Lifecycle State in 2.1, as OASIS CS-AC-M-8 answers;
 * - Cryptographic Parameters (2.1 §11.3): Digital Signature Algorithm, or Padding Method (PSS or
 *   PKCS1 v1.5) + Hashing Algorithm, or ECDSA + Hashing Algorithm; each field absent from the
 *   request is taken from the key's Cryptographic Parameters attribute; SHA-256 by default.
 */
import {
  type AsymmetricAlgorithm,
  type AsymmetricProvider,
  type PrivateKeySource,
  type SignatureHash,
  type SignatureParams,
  asymmetricProviderOf,
} from '../../crypto/asymmetric.js';
import { MAX_CIPHER_INPUT_BYTES } from '../../crypto/cipher.js';
import { CryptoError, type CryptoProvider } from '../../crypto/provider.js';
import { KmipError, featureNotSupported, keyFormatTypeNotSupported } from '../../kmip/errors.js';
import type { Fields } from '../../kmip/fields.js';
import {
  CryptographicAlgorithm,
  CryptographicUsageMask,
  DigitalSignatureAlgorithm,
  HashingAlgorithm,
  KeyFormatType,
  ObjectType,
  Operation,
  PaddingMethod,
  ResultReason,
  Tag,
} from '../../kmip/generated/index.js';
import { type ProtocolVersion, atLeast, is2x } from '../../kmip/protocol-version.js';
import { bytes, text } from '../../ttlv/build.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { dateAttr, loadCurrent, requireUsableState, requireUsage, seconds } from '../lifecycle/state.js';
import { registeredKeyDer } from '../objects/key-conversion.js';
import { unwrapSecret } from '../objects/material.js';
import { type ManagedObject, attr, attrNumber } from '../objects.js';
import { type RequestContext, defineOperation } from '../types.js';
import { refuseStreaming } from './common.js';
import { type StreamStep, decodeStreamStep, streamStep } from './streams.js';
import { edCurveOfKey, edDsaSign } from './eddsa.js';

/** The fields of Cryptographic Parameters a signature reads. */
export interface SignParamFields {
  readonly digitalSignatureAlgorithm?: number;
  readonly paddingMethod?: number;
  readonly hashingAlgorithm?: number;
  readonly cryptographicAlgorithm?: number;
}

function fieldsOf(node: TtlvNode | undefined): SignParamFields {
  if (node?.type !== 'Structure') return {};
  const num = (tag: number): number | undefined => {
    const c = node.value.find((x) => x.tag === tag);
    return c?.type === 'Enumeration' || c?.type === 'Integer' ? c.value : undefined;
  };
  return {
    digitalSignatureAlgorithm: num(Tag.DigitalSignatureAlgorithm),
    paddingMethod: num(Tag.PaddingMethod),
    hashingAlgorithm: num(Tag.HashingAlgorithm),
    cryptographicAlgorithm: num(Tag.CryptographicAlgorithm),
  };
}

/** The request's Cryptographic Parameters (type-checked by the Fields reader). */
export function decodeSignParams(payload: Fields | undefined): SignParamFields | undefined {
  const p = payload?.struct(Tag.CryptographicParameters);
  if (p === undefined) return undefined;
  p.enum(Tag.DigitalSignatureAlgorithm);
  p.enum(Tag.PaddingMethod);
  p.enum(Tag.HashingAlgorithm);
  p.enum(Tag.CryptographicAlgorithm);
  return fieldsOf(p.node);
}

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

/** Digital Signature Algorithm -> scheme and hash (2.1 §11.14). */
const DSA: ReadonlyMap<number, { scheme: SignatureParams['scheme']; hash?: SignatureHash }> = new Map([
  [DigitalSignatureAlgorithm.SHA_1WithRSAEncryption, { scheme: 'PKCS1v15', hash: 'SHA-1' }],
  [DigitalSignatureAlgorithm.SHA_224WithRSAEncryption, { scheme: 'PKCS1v15', hash: 'SHA-224' }],
  [DigitalSignatureAlgorithm.SHA_256WithRSAEncryption, { scheme: 'PKCS1v15', hash: 'SHA-256' }],
  [DigitalSignatureAlgorithm.SHA_384WithRSAEncryption, { scheme: 'PKCS1v15', hash: 'SHA-384' }],
  [DigitalSignatureAlgorithm.SHA_512WithRSAEncryption, { scheme: 'PKCS1v15', hash: 'SHA-512' }],
  [DigitalSignatureAlgorithm.RSASSA_PSS, { scheme: 'PSS' }],
  [DigitalSignatureAlgorithm.ECDSAWithSHA_1, { scheme: 'ECDSA', hash: 'SHA-1' }],
  [DigitalSignatureAlgorithm.ECDSAWithSHA224, { scheme: 'ECDSA', hash: 'SHA-224' }],
  [DigitalSignatureAlgorithm.ECDSAWithSHA256, { scheme: 'ECDSA', hash: 'SHA-256' }],
  [DigitalSignatureAlgorithm.ECDSAWithSHA384, { scheme: 'ECDSA', hash: 'SHA-384' }],
  [DigitalSignatureAlgorithm.ECDSAWithSHA512, { scheme: 'ECDSA', hash: 'SHA-512' }],
]);

const EC_ALGORITHMS = new Set<number>([CryptographicAlgorithm.EC, CryptographicAlgorithm.ECDSA, CryptographicAlgorithm.ECDH]);

/** The key's algorithm in provider terms; Feature Not Supported for other key types. */
export function keyAlgorithm(obj: ManagedObject): AsymmetricAlgorithm {
  const alg = attrNumber(obj, Tag.CryptographicAlgorithm) ?? obj.content?.keyBlock?.algorithm;
  if (alg === CryptographicAlgorithm.RSA) return 'RSA';
  if (alg !== undefined && EC_ALGORITHMS.has(alg)) return 'EC';
  throw featureNotSupported('Signatures are made with RSA and EC keys');
}

/** Request parameters over the key's attribute, in provider terms. */
export function signatureParams(v: ProtocolVersion, req: SignParamFields | undefined, obj: ManagedObject, algorithm: AsymmetricAlgorithm, digested: boolean): SignatureParams {
  const key = fieldsOf(attr(obj, Tag.CryptographicParameters));
  const r = req ?? {};
  const dsa = r.digitalSignatureAlgorithm ?? key.digitalSignatureAlgorithm;
  const padding = r.paddingMethod ?? key.paddingMethod;
  const hashEnum = r.hashingAlgorithm ?? key.hashingAlgorithm;
  const cryptoAlg = r.cryptographicAlgorithm ?? key.cryptographicAlgorithm;
  if (cryptoAlg !== undefined) {
    const isEc = EC_ALGORITHMS.has(cryptoAlg);
    if (cryptoAlg !== CryptographicAlgorithm.RSA && !isEc) throw unsupported(v, 'Cryptographic Algorithm not supported for signatures');
    // An EC key signs with ECDSA whatever RSA parameters come with it: OASIS CS-AC-M-3-ECC-13 and
    // TC-ECDSA-SIGN-DIGESTEDDATA verify with "RSA, PSS, SHA-256" against an EC key and expect
    // Valid (only the hash is used). An RSA key asked for ECDSA is a contradiction.
    if (isEc && algorithm === 'RSA') throw bad(v, 'The Cryptographic Algorithm does not match the key');
  }
  let hash: SignatureHash | undefined;
  if (hashEnum !== undefined) {
    hash = HASHES.get(hashEnum);
    if (hash === undefined) throw unsupported(v, 'Hashing Algorithm not supported (SHA-1, SHA-224, SHA-256, SHA-384, SHA-512 are)');
  }
  let scheme: SignatureParams['scheme'];
  if (dsa !== undefined) {
    const d = DSA.get(dsa);
    if (d === undefined) throw unsupported(v, 'Digital Signature Algorithm not supported');
    if (hash !== undefined && d.hash !== undefined && hash !== d.hash) throw bad(v, 'Hashing Algorithm contradicts the Digital Signature Algorithm');
    scheme = d.scheme;
    hash = d.hash ?? hash;
  } else if (algorithm === 'EC') {
    scheme = 'ECDSA'; // Padding Method does not apply to ECDSA (see above).
  } else if (padding === undefined || padding === PaddingMethod.PKCS1V1_5) {
    scheme = 'PKCS1v15';
  } else if (padding === PaddingMethod.PSS) {
    scheme = 'PSS';
  } else {
    throw unsupported(v, 'Padding Method not supported for signatures (PSS, PKCS1 v1.5 are)');
  }
  if ((scheme === 'ECDSA') !== (algorithm === 'EC')) throw bad(v, 'The signature algorithm does not match the key');
  return { scheme, hash: hash ?? 'SHA-256', ...(digested ? { digested } : {}), ...(digested && hash === undefined ? { hashImplied: true } : {}) };
}

/**
 * Loads and checks the key of a Sign (`Sign` bit, protect) or Signature Verify (`Verify` bit,
 * process); see the module comment for the order and the reasons.
 */
export async function signatureKey(ctx: RequestContext, uid: string | undefined, op: 'sign' | 'verify'): Promise<ManagedObject> {
  const obj = await loadCurrent(ctx, uid);
  const want = op === 'sign' ? ObjectType.PrivateKey : ObjectType.PublicKey;
  if (obj.objectType !== want) {
    throw new KmipError(
      is2x(ctx.version) ? ResultReason.InvalidObjectType : ResultReason.IllegalOperation,
      op === 'sign' ? 'Sign needs a Private Key' : 'Signature Verify needs a Public Key',
    );
  }
  requireUsage(obj, op === 'sign' ? CryptographicUsageMask.Sign : CryptographicUsageMask.Verify, ctx.version);
  const t = seconds(ctx.now);
  if (op === 'sign') {
    const stop = dateAttr(obj, Tag.ProtectStopDate);
    if (stop !== undefined && stop <= t) throw datePassed(ctx.version, 'The Protect Stop Date has passed');
  } else {
    const start = dateAttr(obj, Tag.ProcessStartDate);
    if (start !== undefined && start > t) throw datePassed(ctx.version, 'The Process Start Date has not come');
  }
  requireUsableState(ctx.version, obj, op === 'sign' ? 'protect' : 'process', ctx.now);
  return obj;
}

/** OASIS CS-AC-M-8: Permission Denied up to KMIP 2.0, Wrong Key Lifecycle State in 2.1. */
function datePassed(v: ProtocolVersion, msg: string): KmipError {
  return new KmipError(atLeast(v, 2, 1) ? ResultReason.WrongKeyLifecycleState : ResultReason.PermissionDenied, msg);
}

/** The provider's asymmetric services; Feature Not Supported when it has none. */
export function asymmetricServices(crypto: CryptoProvider): CryptoProvider & AsymmetricProvider {
  const a = asymmetricProviderOf(crypto);
  if (a === undefined) throw featureNotSupported('The cryptographic module offers no signatures');
  return a;
}

/** The request's Data or Digested Data (exactly one; 2.1 §6.1.50). */
export function signatureInput(payload: Fields | undefined): { data: Uint8Array; digested: boolean } {
  const data = payload?.bytes(Tag.Data);
  const digested = payload?.bytes(Tag.DigestedData);
  if (data !== undefined && digested !== undefined) throw new KmipError(ResultReason.InvalidField, 'Data and Digested Data are exclusive');
  // Hashed on the event loop: bounded like every cipher input (crypto/cipher.ts).
  if ((data ?? digested ?? []).length > MAX_CIPHER_INPUT_BYTES) throw new KmipError(ResultReason.InvalidField, 'Data is too large');
  if (data !== undefined) return { data, digested: false };
  if (digested !== undefined) return { data: digested, digested: true };
  throw new KmipError(ResultReason.InvalidField, 'Data or Digested Data is required');
}

/** Provider refusals of parameters and bad keys as KMIP reasons. */
export function signatureError(v: ProtocolVersion, e: unknown): unknown {
  if (e instanceof CryptoError && e.code === 'UNSUPPORTED') return bad(v, e.message);
  if (e instanceof CryptoError && e.code === 'BAD_KEY') return new KmipError(ResultReason.CryptographicFailure, e.message);
  return e;
}

const PRIVATE_DER: ReadonlyMap<number, 'pkcs1' | 'pkcs8' | 'sec1'> = new Map([
  [KeyFormatType.PKCS_1, 'pkcs1'],
  [KeyFormatType.PKCS_8, 'pkcs8'],
  [KeyFormatType.ECPrivateKey, 'sec1'],
]);

/** The private key to use: the HSM's (Create Key Pair) or the registered DER. */
export async function privateKeySource(ctx: RequestContext, obj: ManagedObject): Promise<PrivateKeySource> {
  const c = obj.content;
  if (c?.privateKey !== undefined) return c.privateKey;
  const kb = c?.keyBlock;
  if (c?.secret === undefined || kb === undefined) throw keyFormatTypeNotSupported('This private key has no usable value');
  const format = PRIVATE_DER.get(kb.formatType);
  const stored = await unwrapSecret(ctx, c.secret);
  if (format !== undefined) return { kind: 'der', der: stored, format };
  // Other registered formats (Transparent RSA / EC Private Key) as PKCS#8: objects/key-conversion.ts.
  try {
    return { kind: 'der', der: registeredKeyDer(kb, stored, 'private', attrNumber(obj, Tag.CryptographicAlgorithm)), format: 'pkcs8' };
  } finally {
    stored.fill(0);
  }
}

interface SignRequest {
  readonly uid: string | undefined;
  readonly params: SignParamFields | undefined;
  readonly data: Uint8Array;
  readonly digested: boolean;
  /** Set for a multi-part request (Init Indicator / Correlation Value / Final Indicator). */
  readonly step?: StreamStep;
}

interface SignResponse {
  readonly uid: string;
  readonly signature?: Uint8Array;
  readonly correlation?: Uint8Array;
}

/**
 * A multi-part request's Data (KMIP 1.3+ streaming, 2.1 §6.1.50): parts may carry no Data, and
 * Digested Data cannot be split. Undefined for a single-part request.
 */
export function decodeSignatureStream(payload: Fields | undefined): { step: StreamStep; data: Uint8Array } | undefined {
  const step = decodeStreamStep(payload);
  if (step === undefined) return undefined;
  if (payload?.bytes(Tag.DigestedData) !== undefined) throw new KmipError(ResultReason.InvalidField, 'Digested Data cannot be sent in parts');
  const data = payload?.bytes(Tag.Data) ?? new Uint8Array(0);
  if (data.length > MAX_CIPHER_INPUT_BYTES) throw new KmipError(ResultReason.InvalidField, 'Data is too large');
  return { step, data };
}

/** Signs the whole message with a key that passed signatureKey(). */
async function signWith(ctx: RequestContext, obj: ManagedObject, req: Pick<SignRequest, 'params' | 'data' | 'digested'>): Promise<SignResponse> {
  const asym = asymmetricServices(ctx.crypto);
  const ed = edCurveOfKey(obj);
  if (ed !== undefined) return edDsaSign(ctx, obj, ed, req); // Ed25519 / Ed448: eddsa.ts
  const algorithm = keyAlgorithm(obj);
  const params = signatureParams(ctx.version, req.params, obj, algorithm, req.digested);
  const source = await privateKeySource(ctx, obj);
  try {
    const signature = await asym.sign(source, algorithm, params, req.data);
    ctx.idPlaceholder = obj.uid;
    return { uid: obj.uid, signature };
  } catch (e) {
    throw signatureError(ctx.version, e);
  } finally {
    if (source.kind === 'der') (source.der as Uint8Array).fill(0);
  }
}

export default defineOperation<SignRequest, SignResponse>({
  operation: Operation.Sign,
  decode(payload: Fields | undefined): SignRequest {
    const stream = decodeSignatureStream(payload);
    if (stream !== undefined) return { uid: payload?.text(Tag.UniqueIdentifier), params: decodeSignParams(payload), data: stream.data, digested: false, step: stream.step };
    refuseStreaming(payload);
    return { uid: payload?.text(Tag.UniqueIdentifier), params: decodeSignParams(payload), ...signatureInput(payload) };
  },
  async handle(ctx: RequestContext, req: SignRequest): Promise<SignResponse> {
    if (req.step === undefined) return signWith(ctx, await signatureKey(ctx, req.uid, 'sign'), req);
    // Multi-part: the parts are collected (bounded, streams.ts) and signed whole with the final
    // one; the key is checked when named and again before signing.
    const named = req.uid !== undefined || req.step.correlation === undefined ? await signatureKey(ctx, req.uid, 'sign') : undefined;
    const r = streamStep(ctx, 'sign', named?.uid, req.step, req.data);
    if ('correlation' in r) return { uid: r.binding, correlation: r.correlation };
    return signWith(ctx, await signatureKey(ctx, r.binding, 'sign'), { params: req.params, data: r.whole, digested: false });
  },
  encode(res: SignResponse): TtlvNode[] {
    const out: TtlvNode[] = [text(Tag.UniqueIdentifier, res.uid)];
    if (res.signature !== undefined) out.push(bytes(Tag.SignatureData, res.signature));
    if (res.correlation !== undefined) out.push(bytes(Tag.CorrelationValue, res.correlation));
    return out;
  },
  uids: (req: SignRequest, res: { uid: string } | undefined) => (res ? [res.uid] : req.uid ? [req.uid] : []),
});
