/**
 * Key Format Type conversions for Public and Private Keys: KMIP 1.4 §2.1.3 and §2.1.7, 2.1 §2.1.3
 * and §2.1.7; Key Format Type 1.4 §9.1.3.2.3 / 2.1 §11.25; Key Compression Type 1.4 §9.1.3.2.2 /
 * 2.1 §11.24. Pure: Key Material in one format in, Key Material in another out. node:crypto
 * KeyObjects do the DER parsing and checking; the structures node:crypto cannot write with a chosen
 * point form (SubjectPublicKeyInfo, SEC1 from a bare D) are built here.
 *
 * | Key Format Type                              | RSA | EC (prime curves) | Ed25519/Ed448, X25519/X448 |
 * |----------------------------------------------|-----|-------------------|----------------------------|
 * | PKCS#1 (RSAPrivateKey / RSAPublicKey)        | yes |                   |                            |
 * | PKCS#8 PrivateKeyInfo (private)              | yes | yes               | yes (RFC 8410)             |
 * | ECPrivateKey, SEC1 (private)                 |     | yes               |                            |
 * | X.509 SubjectPublicKeyInfo (public)          | yes | yes               | yes (RFC 8410)             |
 * | Transparent RSA Private / Public Key         | yes |                   |                            |
 * | Transparent EC (2.x) / ECDSA, ECDH, ECMQV (1.x) Private / Public Key | | yes | yes          |
 *
 * Transparent EC keys name their curve by Recommended Curve; CURVE25519 / CURVE448 mean Ed25519 /
 * Ed448 when the Key Block's Cryptographic Algorithm says so, else X25519 / X448. Their D is the
 * RFC 8032/7748 private key bytes read as an unsigned big-endian integer, and Q String the public
 * key bytes. Key Compression Type applies to points on prime curves (X.509 and Transparent EC
 * public keys): uncompressed, X9.62 compressed prime or X9.62 hybrid.
 *
 * Errors never carry key bytes. A format that does not apply to the key is Key Format Type Not
 * Supported; a compression that does not apply is Key Compression Type Not Supported; material
 * that does not parse in its stated format is Invalid Field (the caller may remap it).
 */
import { ECDH, type KeyObject, createECDH, createPrivateKey, createPublicKey } from 'node:crypto';
import { bigInt, bytes, enm, struct } from '../ttlv/build.js';
import type { TtlvNode } from '../ttlv/types.js';
import { KmipError, invalidField, keyFormatTypeNotSupported } from './errors.js';
import { Fields } from './fields.js';
import { CryptographicAlgorithm, KeyCompressionType, KeyFormatType, RecommendedCurve, ResultReason, Tag } from './generated/index.js';
import { bitString, completeRsaPrivate, der, fromBigInt, octetString, readDer, seq, toBigInt } from './key-math.js';

export type KeyHalf = 'public' | 'private';

/** A prime curve: KMIP Recommended Curve, OpenSSL name, DER OID (with tag), field bytes, bits. */
interface PrimeCurve {
  readonly kmip: number;
  readonly node: string;
  readonly oid: string;
  readonly bytes: number;
  readonly bits: number;
}

const PRIME_CURVES: readonly PrimeCurve[] = [
  { kmip: RecommendedCurve.P_192, node: 'prime192v1', oid: '06082a8648ce3d030101', bytes: 24, bits: 192 },
  { kmip: RecommendedCurve.P_224, node: 'secp224r1', oid: '06052b81040021', bytes: 28, bits: 224 },
  { kmip: RecommendedCurve.P_256, node: 'prime256v1', oid: '06082a8648ce3d030107', bytes: 32, bits: 256 },
  { kmip: RecommendedCurve.P_384, node: 'secp384r1', oid: '06052b81040022', bytes: 48, bits: 384 },
  { kmip: RecommendedCurve.P_521, node: 'secp521r1', oid: '06052b81040023', bytes: 66, bits: 521 },
  { kmip: RecommendedCurve.SECP256K1, node: 'secp256k1', oid: '06052b8104000a', bytes: 32, bits: 256 },
];

/** RFC 8410 keys: node:crypto key type, KMIP curve, OID (with tag), key bytes, KMIP length. */
interface OkpCurve {
  readonly type: 'ed25519' | 'ed448' | 'x25519' | 'x448';
  readonly kmip: number;
  readonly oid: string;
  readonly bytes: number;
  readonly bits: number;
}

const OKP_CURVES: readonly OkpCurve[] = [
  { type: 'ed25519', kmip: RecommendedCurve.CURVE25519, oid: '06032b6570', bytes: 32, bits: 256 },
  { type: 'ed448', kmip: RecommendedCurve.CURVE448, oid: '06032b6571', bytes: 57, bits: 456 },
  { type: 'x25519', kmip: RecommendedCurve.CURVE25519, oid: '06032b656e', bytes: 32, bits: 256 },
  { type: 'x448', kmip: RecommendedCurve.CURVE448, oid: '06032b656f', bytes: 56, bits: 448 },
];

/** id-ecPublicKey (RFC 5480 §2.1.1), with its tag. */
const EC_PUBLIC_KEY_OID = '06072a8648ce3d0201';

const TRANSPARENT_EC_PRIVATE = new Set<number>([
  KeyFormatType.TransparentECPrivateKey,
  KeyFormatType.TransparentECDSAPrivateKey,
  KeyFormatType.TransparentECDHPrivateKey,
  KeyFormatType.TransparentECMQVPrivateKey,
]);
const TRANSPARENT_EC_PUBLIC = new Set<number>([
  KeyFormatType.TransparentECPublicKey,
  KeyFormatType.TransparentECDSAPublicKey,
  KeyFormatType.TransparentECDHPublicKey,
  KeyFormatType.TransparentECMQVPublicKey,
]);

/** Key Format Types this module reads and writes, per half. */
export const CONVERTIBLE_FORMATS: Readonly<Record<KeyHalf, ReadonlySet<number>>> = {
  private: new Set([KeyFormatType.PKCS_1, KeyFormatType.PKCS_8, KeyFormatType.ECPrivateKey, KeyFormatType.TransparentRSAPrivateKey, ...TRANSPARENT_EC_PRIVATE]),
  public: new Set([KeyFormatType.PKCS_1, KeyFormatType.X_509, KeyFormatType.TransparentRSAPublicKey, ...TRANSPARENT_EC_PUBLIC]),
};

/** What kind of key a KeyObject is, in this module's terms. */
type KeyKind = { kind: 'rsa' } | { kind: 'ec'; curve: PrimeCurve } | { kind: 'okp'; curve: OkpCurve };

function kindOf(key: KeyObject): KeyKind {
  const t = key.asymmetricKeyType;
  if (t === 'rsa') return { kind: 'rsa' };
  if (t === 'ec') {
    const curve = PRIME_CURVES.find((c) => c.node === key.asymmetricKeyDetails?.namedCurve);
    if (curve !== undefined) return { kind: 'ec', curve };
  }
  const okp = OKP_CURVES.find((c) => c.type === t);
  if (okp !== undefined) return { kind: 'okp', curve: okp };
  throw keyFormatTypeNotSupported('The key type or curve is not supported for format conversion');
}

/** A short description for messages (never key bytes). */
function describe(half: KeyHalf, k: KeyKind): string {
  const what = k.kind === 'rsa' ? 'an RSA' : k.kind === 'ec' ? 'an EC' : `an ${k.curve.type[0]!.toUpperCase()}${k.curve.type.slice(1)}`;
  return `${what} ${half} key`;
}

const formatName = (f: number): string => Object.entries(KeyFormatType).find(([, v]) => v === f)?.[0] ?? `0x${f.toString(16)}`;

/** The Cryptographic Length KMIP gives a key: RSA modulus bits, curve bits. */
export function keyLength(key: KeyObject): number {
  const k = kindOf(key);
  if (k.kind === 'rsa') return key.asymmetricKeyDetails?.modulusLength ?? 0;
  return k.curve.bits;
}

/** Whether a Cryptographic Algorithm may describe the key (RSA; EC, ECDSA, ECDH, ECMQV; Ed25519; Ed448); other algorithms: false. */
export function algorithmFits(algorithm: number, key: KeyObject): boolean {
  const k = kindOf(key);
  switch (algorithm) {
    case CryptographicAlgorithm.RSA:
      return k.kind === 'rsa';
    case CryptographicAlgorithm.EC:
      // The generic EC also covers Curve25519/448 keys from 1.x clients, which have no Ed25519.
      return k.kind !== 'rsa';
    case CryptographicAlgorithm.ECDSA:
      return k.kind === 'ec';
    case CryptographicAlgorithm.ECDH:
    case CryptographicAlgorithm.ECMQV:
      return k.kind === 'ec' || (k.kind === 'okp' && k.curve.type.startsWith('x'));
    case CryptographicAlgorithm.Ed25519:
      return k.kind === 'okp' && k.curve.type === 'ed25519';
    case CryptographicAlgorithm.Ed448:
      return k.kind === 'okp' && k.curve.type === 'ed448';
    default:
      return false;
  }
}

// ---- reading ---------------------------------------------------------------------------------

function bad(msg: string): KmipError {
  return invalidField(msg);
}

function derOf(material: TtlvNode, format: number): Buffer {
  if (material.type !== 'ByteString') throw bad(`Key Material of ${formatName(format)} must be a Byte String`);
  return Buffer.from(material.value);
}

function structOf(material: TtlvNode, format: number): Fields {
  if (material.type !== 'Structure') throw bad(`Key Material of ${formatName(format)} must be a Structure`);
  return new Fields(material, formatName(format));
}

function big(f: Fields, tag: number): bigint | undefined {
  const n = f.opt(tag, 'BigInteger');
  if (n === undefined) return undefined;
  if (n.value < 0n) throw bad('Transparent key values must not be negative');
  return n.value;
}

/** The curve named by a Transparent EC key, resolved against the Key Block's algorithm. */
function curveOf(rc: number, algorithm: number | undefined): { kind: 'ec'; curve: PrimeCurve } | { kind: 'okp'; curve: OkpCurve } {
  const prime = PRIME_CURVES.find((c) => c.kmip === rc);
  if (prime !== undefined) return { kind: 'ec', curve: prime };
  const edwards = algorithm === CryptographicAlgorithm.Ed25519 || algorithm === CryptographicAlgorithm.Ed448;
  const okp = OKP_CURVES.find((c) => c.kmip === rc && c.type.startsWith('ed') === edwards);
  if (okp !== undefined) return { kind: 'okp', curve: okp };
  throw keyFormatTypeNotSupported('The Recommended Curve is not supported');
}

function ecPrivateFromD(curve: PrimeCurve, d: bigint): KeyObject {
  let dBytes: Buffer;
  let pub: Buffer;
  try {
    dBytes = fromBigInt(d, curve.bytes);
    const ecdh = createECDH(curve.node);
    ecdh.setPrivateKey(dBytes);
    pub = ecdh.getPublicKey();
  } catch {
    throw bad('D is not a valid private key on the Recommended Curve');
  }
  // SEC1 ECPrivateKey (RFC 5915 §3) with parameters and public key, parsed by node:crypto.
  const sec1 = seq(der(0x02, Buffer.from([1])), octetString(dBytes), der(0xa0, Buffer.from(curve.oid, 'hex')), der(0xa1, bitString(pub)));
  try {
    return createPrivateKey({ key: sec1, format: 'der', type: 'sec1' });
  } finally {
    dBytes.fill(0);
    sec1.fill(0);
  }
}

function ecPublicFromPoint(curve: PrimeCurve, q: Uint8Array): KeyObject {
  let point: Buffer;
  try {
    point = ECDH.convertKey(Buffer.from(q), curve.node, undefined, undefined, 'uncompressed') as Buffer;
  } catch {
    throw bad('Q String is not a point on the Recommended Curve');
  }
  return createPublicKey({ key: ecSpki(curve, point), format: 'der', type: 'spki' });
}

function okpPrivate(curve: OkpCurve, raw: Buffer): KeyObject {
  const pkcs8 = seq(der(0x02, Buffer.from([0])), seq(Buffer.from(curve.oid, 'hex')), octetString(octetString(raw)));
  try {
    return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  } catch {
    throw bad('D is not a valid private key for the curve');
  } finally {
    pkcs8.fill(0);
  }
}

function okpPublic(curve: OkpCurve, raw: Uint8Array): KeyObject {
  if (raw.length !== curve.bytes) throw bad('Q String has the wrong length for the curve');
  return createPublicKey({ key: seq(seq(Buffer.from(curve.oid, 'hex')), bitString(raw)), format: 'der', type: 'spki' });
}

function transparentPrivate(format: number, f: Fields, algorithm: number | undefined): KeyObject {
  if (format === KeyFormatType.TransparentRSAPrivateKey) {
    const parts = completeRsaPrivate({
      n: big(f, Tag.Modulus),
      e: big(f, Tag.PublicExponent),
      d: big(f, Tag.PrivateExponent),
      p: big(f, Tag.P),
      q: big(f, Tag.Q),
      dp: big(f, Tag.PrimeExponentP),
      dq: big(f, Tag.PrimeExponentQ),
      qi: big(f, Tag.CRTCoefficient),
    });
    if (parts === undefined) {
      throw bad('Transparent RSA Private Key needs a consistent Modulus, Public Exponent, and Private Exponent or P and Q');
    }
    const b64 = (n: bigint): string => fromBigInt(n).toString('base64url');
    const jwk = { kty: 'RSA', n: b64(parts.n), e: b64(parts.e), d: b64(parts.d), p: b64(parts.p), q: b64(parts.q), dp: b64(parts.dp), dq: b64(parts.dq), qi: b64(parts.qi) };
    try {
      return createPrivateKey({ key: jwk, format: 'jwk' });
    } catch {
      throw bad('Transparent RSA Private Key values do not form an RSA key');
    }
  }
  const rc = f.req(Tag.RecommendedCurve, 'Enumeration').value;
  const d = f.req(Tag.D, 'BigInteger').value;
  if (d <= 0n) throw bad('D must be positive');
  const c = curveOf(rc, algorithm);
  if (c.kind === 'ec') return ecPrivateFromD(c.curve, d);
  let raw: Buffer;
  try {
    raw = fromBigInt(d, c.curve.bytes);
  } catch {
    throw bad('D is too long for the curve');
  }
  try {
    return okpPrivate(c.curve, raw);
  } finally {
    raw.fill(0);
  }
}

function transparentPublic(format: number, f: Fields, algorithm: number | undefined): KeyObject {
  if (format === KeyFormatType.TransparentRSAPublicKey) {
    const n = f.req(Tag.Modulus, 'BigInteger').value;
    const e = f.req(Tag.PublicExponent, 'BigInteger').value;
    if (n <= 0n || e <= 0n) throw bad('Modulus and Public Exponent must be positive');
    try {
      return createPublicKey({ key: { kty: 'RSA', n: fromBigInt(n).toString('base64url'), e: fromBigInt(e).toString('base64url') }, format: 'jwk' });
    } catch {
      throw bad('Transparent RSA Public Key values do not form an RSA key');
    }
  }
  const rc = f.req(Tag.RecommendedCurve, 'Enumeration').value;
  const q = f.req(Tag.QString, 'ByteString').value;
  const c = curveOf(rc, algorithm);
  return c.kind === 'ec' ? ecPublicFromPoint(c.curve, q) : okpPublic(c.curve, q);
}

const DER_TYPES: Readonly<Record<number, 'pkcs1' | 'pkcs8' | 'sec1' | 'spki'>> = {
  [KeyFormatType.PKCS_1]: 'pkcs1',
  [KeyFormatType.PKCS_8]: 'pkcs8',
  [KeyFormatType.ECPrivateKey]: 'sec1',
  [KeyFormatType.X_509]: 'spki',
};

/**
 * Reads Key Material given in `format` into a KeyObject. `algorithm` (the Key Block's
 * Cryptographic Algorithm) picks Ed25519/Ed448 over X25519/X448 for CURVE25519/CURVE448.
 * Errors: a format this module does not read is Key Format Type Not Supported; material that does
 * not parse is Invalid Field.
 */
export function importKey(half: KeyHalf, format: number, material: TtlvNode, algorithm?: number): KeyObject {
  if (!CONVERTIBLE_FORMATS[half].has(format)) throw keyFormatTypeNotSupported(`Key Format Type ${formatName(format)} is not supported for a ${half} key`);
  if (half === 'private' && TRANSPARENT_EC_PRIVATE.has(format)) return transparentPrivate(format, structOf(material, format), algorithm);
  if (half === 'private' && format === KeyFormatType.TransparentRSAPrivateKey) return transparentPrivate(format, structOf(material, format), algorithm);
  if (half === 'public' && (TRANSPARENT_EC_PUBLIC.has(format) || format === KeyFormatType.TransparentRSAPublicKey)) {
    return transparentPublic(format, structOf(material, format), algorithm);
  }
  const type = DER_TYPES[format]!;
  const b = derOf(material, format);
  let key: KeyObject;
  try {
    key = half === 'private' ? createPrivateKey({ key: b, format: 'der', type: type as 'pkcs1' | 'pkcs8' | 'sec1' }) : createPublicKey({ key: b, format: 'der', type: type as 'pkcs1' | 'spki' });
  } catch {
    throw bad(`Key Material is not a valid ${formatName(format)} ${half} key`);
  }
  kindOf(key);
  return key;
}

// ---- writing ---------------------------------------------------------------------------------

function ecSpki(curve: PrimeCurve, point: Uint8Array): Buffer {
  return seq(seq(Buffer.from(EC_PUBLIC_KEY_OID, 'hex'), Buffer.from(curve.oid, 'hex')), bitString(point));
}

/** The uncompressed point of an EC key (public or private), from its SubjectPublicKeyInfo. */
function ecPoint(key: KeyObject, curve: PrimeCurve): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const spki = pub.export({ format: 'der', type: 'spki' });
  // SEQUENCE { AlgorithmIdentifier, BIT STRING }: the point may be in any form node:crypto kept from import.
  const outer = readDer(spki, 0);
  const alg = readDer(spki, outer.start);
  const bits = readDer(spki, alg.end);
  return ECDH.convertKey(spki.subarray(bits.start + 1, bits.end), curve.node, undefined, undefined, 'uncompressed') as Buffer;
}

/** The private scalar of an EC key from its SEC1 encoding (RFC 5915: SEQUENCE { version, OCTET STRING, ... }). */
function ecPrivateScalar(key: KeyObject): Buffer {
  const sec1 = key.export({ format: 'der', type: 'sec1' });
  try {
    const outer = readDer(sec1, 0);
    const version = readDer(sec1, outer.start);
    const d = readDer(sec1, version.end);
    if (d.tag !== 0x04) throw new KmipError(ResultReason.GeneralFailure, 'unexpected SEC1 encoding');
    return Buffer.from(sec1.subarray(d.start, d.end));
  } finally {
    sec1.fill(0);
  }
}

const POINT_FORMS: Readonly<Record<number, 'uncompressed' | 'compressed' | 'hybrid'>> = {
  [KeyCompressionType.ECPublicKeyTypeUncompressed]: 'uncompressed',
  [KeyCompressionType.ECPublicKeyTypeX9_62CompressedPrime]: 'compressed',
  [KeyCompressionType.ECPublicKeyTypeX9_62Hybrid]: 'hybrid',
};

function compressionNotSupported(msg: string): KmipError {
  return new KmipError(ResultReason.KeyCompressionTypeNotSupported, msg);
}

/** Checks a requested Key Compression Type against the key and target format; the point form to write. */
function pointForm(half: KeyHalf, k: KeyKind, format: number, compression: number | undefined): 'uncompressed' | 'compressed' | 'hybrid' {
  if (compression === undefined) return 'uncompressed';
  if (k.kind !== 'ec') throw compressionNotSupported('Key Compression Type applies only to EC keys on prime curves');
  const form = POINT_FORMS[compression];
  if (form === undefined) throw compressionNotSupported('Only uncompressed, X9.62 compressed prime and X9.62 hybrid points are supported');
  const pointFormat = half === 'public' && (format === KeyFormatType.X_509 || TRANSPARENT_EC_PUBLIC.has(format));
  if (!pointFormat && form !== 'uncompressed') throw compressionNotSupported(`Point compression is not supported for ${formatName(format)}`);
  return form;
}

/** Whether Key Format Type `format` can hold this kind of key. */
function formatApplies(half: KeyHalf, k: KeyKind, format: number): boolean {
  if (!CONVERTIBLE_FORMATS[half].has(format)) return false;
  if (format === KeyFormatType.PKCS_1 || format === KeyFormatType.TransparentRSAPrivateKey || format === KeyFormatType.TransparentRSAPublicKey) return k.kind === 'rsa';
  if (format === KeyFormatType.ECPrivateKey) return k.kind === 'ec';
  // Curve25519/448 (KMIP 2.0 Recommended Curves) only in the 2.x Transparent EC formats.
  if (format === KeyFormatType.TransparentECPrivateKey || format === KeyFormatType.TransparentECPublicKey) return k.kind !== 'rsa';
  if (TRANSPARENT_EC_PRIVATE.has(format) || TRANSPARENT_EC_PUBLIC.has(format)) return k.kind === 'ec';
  return true;
}

/**
 * Writes `key` as Key Material in `format`, with EC points in the requested Key Compression Type
 * (undefined: uncompressed). Errors: Key Format Type Not Supported when the format does not apply
 * to the key; Key Compression Type Not Supported likewise.
 */
export function exportKey(half: KeyHalf, key: KeyObject, format: number, compression?: number): TtlvNode {
  const k = kindOf(key);
  if (half === 'private' && key.type !== 'private') throw new KmipError(ResultReason.GeneralFailure, 'not a private key');
  const src = half === 'public' && key.type === 'private' ? createPublicKey(key) : key;
  const na = (): KmipError => keyFormatTypeNotSupported(`Key Format Type ${formatName(format)} does not apply to ${describe(half, k)}`);
  if (!formatApplies(half, k, format)) throw na();
  const form = pointForm(half, k, format, compression);
  switch (format) {
    case KeyFormatType.PKCS_1:
      if (k.kind !== 'rsa') throw na();
      return bytes(Tag.KeyMaterial, src.export({ format: 'der', type: 'pkcs1' }));
    case KeyFormatType.PKCS_8:
      return bytes(Tag.KeyMaterial, src.export({ format: 'der', type: 'pkcs8' }));
    case KeyFormatType.ECPrivateKey:
      if (k.kind !== 'ec') throw na();
      return bytes(Tag.KeyMaterial, src.export({ format: 'der', type: 'sec1' }));
    case KeyFormatType.X_509:
      if (k.kind === 'ec') return bytes(Tag.KeyMaterial, ecSpki(k.curve, ECDH.convertKey(ecPoint(src, k.curve), k.curve.node, undefined, undefined, form) as Buffer));
      return bytes(Tag.KeyMaterial, src.export({ format: 'der', type: 'spki' }));
    case KeyFormatType.TransparentRSAPrivateKey:
    case KeyFormatType.TransparentRSAPublicKey: {
      if (k.kind !== 'rsa') throw na();
      const jwk = src.export({ format: 'jwk' });
      const v = (s: string | undefined): bigint => toBigInt(Buffer.from(s ?? '', 'base64url'));
      if (half === 'public') return struct(Tag.KeyMaterial, [bigInt(Tag.Modulus, v(jwk.n)), bigInt(Tag.PublicExponent, v(jwk.e))]);
      // KMIP 1.4 §2.1.7.4 / 2.1 §2.1.7.4 field order.
      return struct(Tag.KeyMaterial, [
        bigInt(Tag.Modulus, v(jwk.n)),
        bigInt(Tag.PrivateExponent, v(jwk.d)),
        bigInt(Tag.PublicExponent, v(jwk.e)),
        bigInt(Tag.P, v(jwk.p)),
        bigInt(Tag.Q, v(jwk.q)),
        bigInt(Tag.PrimeExponentP, v(jwk.dp)),
        bigInt(Tag.PrimeExponentQ, v(jwk.dq)),
        bigInt(Tag.CRTCoefficient, v(jwk.qi)),
      ]);
    }
    default:
      break;
  }
  // Transparent EC / ECDSA / ECDH / ECMQV.
  if (k.kind === 'rsa') throw na();
  const rc = enm(Tag.RecommendedCurve, k.curve.kmip);
  if (half === 'private') {
    if (k.kind === 'ec') {
      const d = ecPrivateScalar(src);
      try {
        return struct(Tag.KeyMaterial, [rc, bigInt(Tag.D, toBigInt(d))]);
      } finally {
        d.fill(0);
      }
    }
    const d = Buffer.from(src.export({ format: 'jwk' }).d ?? '', 'base64url');
    try {
      return struct(Tag.KeyMaterial, [rc, bigInt(Tag.D, toBigInt(d))]);
    } finally {
      d.fill(0);
    }
  }
  const q = k.kind === 'ec' ? (ECDH.convertKey(ecPoint(src, k.curve), k.curve.node, undefined, undefined, form) as Buffer) : Buffer.from(src.export({ format: 'jwk' }).x ?? '', 'base64url');
  return struct(Tag.KeyMaterial, [rc, bytes(Tag.QString, q)]);
}

/**
 * Converts Key Material from one format to another (Get with a Key Format Type or Key Compression
 * Type). `algorithm` is the Key Block's Cryptographic Algorithm (see importKey).
 */
export function convertKey(half: KeyHalf, from: { format: number; material: TtlvNode; algorithm?: number }, to: { format: number; compression?: number }): TtlvNode {
  return exportKey(half, importKey(half, from.format, from.material, from.algorithm), to.format, to.compression);
}
