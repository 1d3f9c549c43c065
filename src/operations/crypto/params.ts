/**
 * Cryptographic Parameters (KMIP 1.4 §3.6, 2.1 §4.14 / §11.3) for Encrypt, Decrypt, MAC and MAC
 * Verify: the request's fields, each falling back to the key's Cryptographic Parameters attribute
 * (2.1 §6.1.18: "if omitted, the server uses the Cryptographic Parameters attribute"), turned
 * into the provider's terms; and the KMIP reasons for what the provider refuses.
 */
import { type CipherMode, type CipherParams, CipherParamError, type HashAlgorithm } from '../../crypto/cipher.js';
import type { SymmetricAlgorithm } from '../../crypto/provider.js';
import { type Fields, tagLabel } from '../../kmip/fields.js';
import { KmipError } from '../../kmip/errors.js';
import { BlockCipherMode, CryptographicAlgorithm, HashingAlgorithm, PaddingMethod, ResultReason, Tag } from '../../kmip/generated/index.js';
import { type ProtocolVersion, is2x } from '../../kmip/protocol-version.js';
import type { TtlvNode } from '../../ttlv/types.js';
import { type ManagedObject, attr } from '../objects.js';

/** The fields of Cryptographic Parameters the symmetric services read. */
export interface CryptoParamFields {
  readonly blockCipherMode?: number;
  readonly paddingMethod?: number;
  readonly hashingAlgorithm?: number;
  readonly cryptographicAlgorithm?: number;
  readonly randomIV?: boolean;
  readonly tagLength?: number;
  /** IV Length, in bits (2.1 §11.3). */
  readonly ivLength?: number;
  /** Counter Length, in bits (CTR). */
  readonly counterLength?: number;
  readonly initialCounterValue?: number;
  /** RSA OAEP (KMIP 1.4+): Mask Generator (MGF1 only), its hash, and the label (P Source). */
  readonly maskGenerator?: number;
  readonly maskGeneratorHashingAlgorithm?: number;
  readonly pSource?: Uint8Array;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Each Cryptographic Parameters field read here: its key in CryptoParamFields and its item type. */
const FIELDS: ReadonlyMap<number, { readonly key: keyof CryptoParamFields; readonly type: 'Enumeration' | 'Integer' | 'Boolean' | 'ByteString' }> = new Map([
  [Tag.BlockCipherMode, { key: 'blockCipherMode', type: 'Enumeration' }],
  [Tag.PaddingMethod, { key: 'paddingMethod', type: 'Enumeration' }],
  [Tag.HashingAlgorithm, { key: 'hashingAlgorithm', type: 'Enumeration' }],
  [Tag.CryptographicAlgorithm, { key: 'cryptographicAlgorithm', type: 'Enumeration' }],
  [Tag.RandomIV, { key: 'randomIV', type: 'Boolean' }],
  [Tag.TagLength, { key: 'tagLength', type: 'Integer' }],
  [Tag.IVLength, { key: 'ivLength', type: 'Integer' }],
  [Tag.CounterLength, { key: 'counterLength', type: 'Integer' }],
  [Tag.InitialCounterValue, { key: 'initialCounterValue', type: 'Integer' }],
  [Tag.MaskGenerator, { key: 'maskGenerator', type: 'Enumeration' }],
  [Tag.MaskGeneratorHashingAlgorithm, { key: 'maskGeneratorHashingAlgorithm', type: 'Enumeration' }],
  [Tag.PSource, { key: 'pSource', type: 'ByteString' }],
] as const);

const NO_FIELDS: CryptoParamFields = Object.freeze({});

/**
 * The fields of a Cryptographic Parameters structure, in one pass over its children: the first
 * of each tag counts; a number field takes an Enumeration or an Integer, the others their own type.
 */
function fieldsOf(node: TtlvNode | undefined): CryptoParamFields {
  if (node?.type !== 'Structure') return NO_FIELDS;
  const out: Mutable<CryptoParamFields> = {};
  for (const c of node.value) {
    const f = FIELDS.get(c.tag);
    if (f === undefined || out[f.key] !== undefined) continue;
    if (f.type === 'Boolean') {
      if (c.type === 'Boolean') out.randomIV = c.value;
    } else if (f.type === 'ByteString') {
      if (c.type === 'ByteString') out.pSource = c.value;
    } else if (c.type === 'Enumeration' || c.type === 'Integer') {
      (out as Record<string, unknown>)[f.key] = c.value;
    }
  }
  return out;
}

/**
 * Reads the request's Cryptographic Parameters. The Fields reader type-checks each field present
 * (and refuses a repeated one) as it reads it.
 */
export function decodeCryptoParams(payload: Fields | undefined): CryptoParamFields | undefined {
  const p = payload?.struct(Tag.CryptographicParameters);
  if (p === undefined) return undefined;
  const node = p.node;
  if (node.type === 'Structure') {
    for (const c of node.value) {
      const f = FIELDS.get(c.tag);
      if (f !== undefined) p.opt(c.tag, f.type);
    }
  }
  return fieldsOf(node);
}

/** The request's parameters, each absent field taken from the key's attribute. */
export function effectiveParams(req: CryptoParamFields | undefined, obj: ManagedObject): CryptoParamFields {
  const key = fieldsOf(attr(obj, Tag.CryptographicParameters));
  const r = req ?? {};
  return {
    blockCipherMode: r.blockCipherMode ?? key.blockCipherMode,
    paddingMethod: r.paddingMethod ?? key.paddingMethod,
    hashingAlgorithm: r.hashingAlgorithm ?? key.hashingAlgorithm,
    cryptographicAlgorithm: r.cryptographicAlgorithm ?? key.cryptographicAlgorithm,
    randomIV: r.randomIV ?? key.randomIV,
    tagLength: r.tagLength ?? key.tagLength,
    ivLength: r.ivLength ?? key.ivLength,
    counterLength: r.counterLength ?? key.counterLength,
    initialCounterValue: r.initialCounterValue ?? key.initialCounterValue,
    maskGenerator: r.maskGenerator ?? key.maskGenerator,
    maskGeneratorHashingAlgorithm: r.maskGeneratorHashingAlgorithm ?? key.maskGeneratorHashingAlgorithm,
    pSource: r.pSource ?? key.pSource,
  };
}

/** Unsupported Cryptographic Parameters in 2.x (2.1 §11.46); Feature Not Supported in 1.x. */
function unsupportedParams(v: ProtocolVersion, msg: string): KmipError {
  return new KmipError(is2x(v) ? ResultReason.UnsupportedCryptographicParameters : ResultReason.FeatureNotSupported, msg);
}

/** Bad Cryptographic Parameters in 2.x (2.1 §11.46); Invalid Field in 1.x. */
function badParams(v: ProtocolVersion, msg: string): KmipError {
  return new KmipError(is2x(v) ? ResultReason.BadCryptographicParameters : ResultReason.InvalidField, msg);
}

const MODES: ReadonlyMap<number, CipherMode> = new Map([
  [BlockCipherMode.ECB, 'ECB'],
  [BlockCipherMode.CBC, 'CBC'],
  [BlockCipherMode.CTR, 'CTR'],
  [BlockCipherMode.GCM, 'GCM'],
]);

/** Encrypt/Decrypt request fields beyond the parameters. */
export interface CipherInputs {
  readonly iv?: Uint8Array;
  readonly aad?: Uint8Array;
}

/**
 * Cipher parameters for the provider. A block cipher mode is required (there is no default the
 * spec names; guessing one would silently produce data the client cannot decrypt elsewhere).
 * Random IV = true makes the server choose the IV (2.1 §11.3), so one in the request is refused.
 */
export function cipherParams(v: ProtocolVersion, p: CryptoParamFields, inputs: CipherInputs, direction: 'encrypt' | 'decrypt'): CipherParams {
  if (p.blockCipherMode === undefined) throw badParams(v, 'Cryptographic Parameters must name a Block Cipher Mode');
  // Keys are used inside the HSM only; SoftHSM2 2.6 lists no CKM_AES_XTS (C_GetMechanismList).
  if (p.blockCipherMode === BlockCipherMode.XTS) throw unsupportedParams(v, 'Block Cipher Mode XTS is not supported: the HSM offers no AES-XTS mechanism (CKM_AES_XTS)');
  const mode = MODES.get(p.blockCipherMode);
  if (mode === undefined) throw unsupportedParams(v, 'Block Cipher Mode not supported (ECB, CBC, CTR and GCM are)');
  let padding: 'none' | 'PKCS5' = 'none';
  if (p.paddingMethod === PaddingMethod.PKCS5) padding = 'PKCS5';
  else if (p.paddingMethod !== undefined && p.paddingMethod !== PaddingMethod.None) {
    throw unsupportedParams(v, 'Padding Method not supported (None and PKCS5 are)');
  }
  // CTR counts the whole 128-bit block from the IV given (SP 800-38A §B.1); a shorter counter
  // field or a separate initial counter value is not offered.
  if (mode === 'CTR' && ((p.counterLength !== undefined && p.counterLength !== 128) || p.initialCounterValue !== undefined)) {
    throw unsupportedParams(v, 'CTR with a Counter Length other than 128 bits or an Initial Counter Value is not supported');
  }
  if (p.ivLength !== undefined && (p.ivLength <= 0 || p.ivLength % 8 !== 0)) throw badParams(v, 'IV Length must be a positive number of whole bytes');
  if (direction === 'encrypt' && p.randomIV === true && inputs.iv !== undefined) {
    throw badParams(v, 'Random IV is set, so the server chooses the IV; the request must not carry one');
  }
  return {
    mode,
    ...(padding === 'PKCS5' ? { padding } : {}),
    ...(inputs.iv !== undefined ? { iv: inputs.iv } : {}),
    ...(mode === 'GCM' && inputs.aad !== undefined ? { aad: inputs.aad } : {}),
    ...(mode === 'GCM' && p.tagLength !== undefined ? { tagLength: p.tagLength } : {}),
    ...(p.ivLength !== undefined && inputs.iv === undefined ? { ivLength: p.ivLength / 8 } : {}),
  };
}

const HMACS: ReadonlyMap<number, SymmetricAlgorithm> = new Map([
  [CryptographicAlgorithm.HMAC_SHA1, 'HMAC-SHA1'],
  [CryptographicAlgorithm.HMAC_SHA256, 'HMAC-SHA256'],
  [CryptographicAlgorithm.HMAC_SHA384, 'HMAC-SHA384'],
  [CryptographicAlgorithm.HMAC_SHA512, 'HMAC-SHA512'],
]);

/**
 * What the MAC is computed with. An HMAC algorithm in the parameters (or the key's own HMAC
 * algorithm) uses the key's bytes as the HMAC key, whatever the key was registered as (OASIS
 * CS-AC-M-4: an AES key with Cryptographic Parameters HMAC-SHA256); an AES or 3DES key with no
 * HMAC named, or Block Cipher Mode CMAC, computes a CMAC (NIST SP 800-38B).
 */
export function macAlgorithm(v: ProtocolVersion, p: CryptoParamFields, keyAlgorithm: SymmetricAlgorithm): SymmetricAlgorithm {
  if (p.cryptographicAlgorithm !== undefined) {
    const hmac = HMACS.get(p.cryptographicAlgorithm);
    if (hmac !== undefined) return hmac;
    const named = p.cryptographicAlgorithm === CryptographicAlgorithm.AES ? 'AES' : p.cryptographicAlgorithm === CryptographicAlgorithm.DES3 ? 'TDES' : undefined;
    if (named === undefined) throw unsupportedParams(v, 'MAC algorithm not supported (HMAC-SHA1/256/384/512, AES and 3DES CMAC are)');
    if (named !== keyAlgorithm) throw badParams(v, 'The Cryptographic Algorithm does not match the key');
  }
  if (p.blockCipherMode !== undefined && p.blockCipherMode !== BlockCipherMode.CMAC) {
    throw unsupportedParams(v, 'Only CMAC is offered as a block cipher MAC');
  }
  return keyAlgorithm;
}

const HASHES: ReadonlyMap<number, HashAlgorithm> = new Map([
  [HashingAlgorithm.SHA_1, 'SHA-1'],
  [HashingAlgorithm.SHA_224, 'SHA-224'],
  [HashingAlgorithm.SHA_256, 'SHA-256'],
  [HashingAlgorithm.SHA_384, 'SHA-384'],
  [HashingAlgorithm.SHA_512, 'SHA-512'],
]);

/** The Hash operation's algorithm (2.1 §6.1.23: Cryptographic Parameters with a Hashing Algorithm). */
export function hashAlgorithm(v: ProtocolVersion, p: CryptoParamFields | undefined): HashAlgorithm {
  if (p?.hashingAlgorithm === undefined) {
    throw new KmipError(ResultReason.InvalidField, `Hash needs ${tagLabel(Tag.CryptographicParameters)} with a Hashing Algorithm`);
  }
  const h = HASHES.get(p.hashingAlgorithm);
  if (h === undefined) throw unsupportedParams(v, 'Hashing Algorithm not supported (SHA-1, SHA-224, SHA-256, SHA-384, SHA-512 are)');
  return h;
}

/**
 * The KMIP error for a request the provider refused on its parameters; other errors pass through
 * (the dispatcher maps CryptoError: BAD_KEY -> Cryptographic Failure, e.g. a GCM tag that does
 * not verify, as CS-BC-M-GCM-1 answers).
 */
export function cipherError(v: ProtocolVersion, err: unknown): unknown {
  if (!(err instanceof CipherParamError)) return err;
  switch (err.problem) {
    case 'missing-iv':
    case 'missing-tag':
      // OASIS CS-BC-M-11/12/13 (1.3-2.1) answer a Decrypt without its IV with Invalid Message.
      return new KmipError(ResultReason.InvalidMessage, err.message);
    case 'tag-length':
      // OASIS CS-BC-M-GCM-1 (1.4-2.1) answers Tag Length 1 or 32 with General Failure.
      return new KmipError(ResultReason.GeneralFailure, err.message);
    case 'data-length':
      return new KmipError(ResultReason.InvalidField, err.message);
    case 'mode':
      return unsupportedParams(v, err.message);
    case 'iv':
    case 'algorithm':
      return badParams(v, err.message);
  }
}

/** Runs a provider call, turning its parameter refusals into KMIP errors. */
export async function withCipherErrors<T>(v: ProtocolVersion, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw cipherError(v, err);
  }
}

