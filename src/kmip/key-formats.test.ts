import { ECDH, type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bigInt, bytes, enm, struct } from '../ttlv/build.js';
import type { TtlvNode } from '../ttlv/types.js';
import { KmipError } from './errors.js';
import { Fields } from './fields.js';
import { CryptographicAlgorithm as A, KeyCompressionType as C, KeyFormatType as K, RecommendedCurve, ResultReason, Tag } from './generated/index.js';
import { algorithmFits, convertKey, exportKey, importKey, keyLength } from './key-formats.js';
import { completeRsaPrivate, toBigInt } from './key-math.js';

const der = (n: TtlvNode): Buffer => {
  if (n.type !== 'ByteString') throw new Error('not bytes');
  return Buffer.from(n.value);
};
const m = (b: Uint8Array): TtlvNode => bytes(Tag.KeyMaterial, b);
const f = (n: TtlvNode): Fields => new Fields(n, 'Key Material');

function reason(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof KmipError) return e.reason;
    throw e;
  }
  return undefined;
}

const PRIVATE_ALL = [K.PKCS_1, K.PKCS_8, K.ECPrivateKey, K.TransparentRSAPrivateKey, K.TransparentECPrivateKey, K.TransparentECDSAPrivateKey, K.TransparentECDHPrivateKey, K.TransparentECMQVPrivateKey];
const PUBLIC_ALL = [K.PKCS_1, K.X_509, K.TransparentRSAPublicKey, K.TransparentECPublicKey, K.TransparentECDSAPublicKey, K.TransparentECDHPublicKey, K.TransparentECMQVPublicKey];

interface Case {
  readonly name: string;
  readonly pair: { privateKey: KeyObject; publicKey: KeyObject };
  readonly algorithm: number;
  readonly privateFormats: number[];
  readonly publicFormats: number[];
  readonly length: number;
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = (curve: string) => generateKeyPairSync('ec', { namedCurve: curve });
const EC_PRIV = [K.PKCS_8, K.ECPrivateKey, K.TransparentECPrivateKey, K.TransparentECDSAPrivateKey, K.TransparentECDHPrivateKey, K.TransparentECMQVPrivateKey];
const EC_PUB = [K.X_509, K.TransparentECPublicKey, K.TransparentECDSAPublicKey, K.TransparentECDHPublicKey, K.TransparentECMQVPublicKey];
const OKP_PRIV = [K.PKCS_8, K.TransparentECPrivateKey];
const OKP_PUB = [K.X_509, K.TransparentECPublicKey];

const CASES: Case[] = [
  { name: 'RSA 2048', pair: rsa, algorithm: A.RSA, privateFormats: [K.PKCS_1, K.PKCS_8, K.TransparentRSAPrivateKey], publicFormats: [K.PKCS_1, K.X_509, K.TransparentRSAPublicKey], length: 2048 },
  { name: 'EC P-256', pair: ec('P-256'), algorithm: A.EC, privateFormats: EC_PRIV, publicFormats: EC_PUB, length: 256 },
  { name: 'EC P-384', pair: ec('P-384'), algorithm: A.ECDSA, privateFormats: EC_PRIV, publicFormats: EC_PUB, length: 384 },
  { name: 'EC P-521', pair: ec('P-521'), algorithm: A.EC, privateFormats: EC_PRIV, publicFormats: EC_PUB, length: 521 },
  { name: 'EC secp256k1', pair: ec('secp256k1'), algorithm: A.EC, privateFormats: EC_PRIV, publicFormats: EC_PUB, length: 256 },
  { name: 'EC P-224', pair: ec('secp224r1'), algorithm: A.EC, privateFormats: EC_PRIV, publicFormats: EC_PUB, length: 224 },
  { name: 'Ed25519', pair: generateKeyPairSync('ed25519'), algorithm: A.Ed25519, privateFormats: OKP_PRIV, publicFormats: OKP_PUB, length: 256 },
  { name: 'Ed448', pair: generateKeyPairSync('ed448'), algorithm: A.Ed448, privateFormats: OKP_PRIV, publicFormats: OKP_PUB, length: 456 },
  { name: 'X25519', pair: generateKeyPairSync('x25519'), algorithm: A.ECDH, privateFormats: OKP_PRIV, publicFormats: OKP_PUB, length: 256 },
];

/** node:crypto's own encoding of a key in a DER Key Format Type (the independent check). */
function nodeDer(key: KeyObject, format: number): Buffer | undefined {
  const type = format === K.PKCS_1 ? 'pkcs1' : format === K.PKCS_8 ? 'pkcs8' : format === K.ECPrivateKey ? 'sec1' : format === K.X_509 ? 'spki' : undefined;
  if (type === undefined) return undefined;
  return key.type === 'private' ? key.export({ format: 'der', type: type as 'pkcs1' }) : key.export({ format: 'der', type: type as 'spki' });
}

describe.each(CASES)('key format conversions: $name', (c) => {
  const p8 = m(c.pair.privateKey.export({ format: 'der', type: 'pkcs8' }));
  const spki = m(c.pair.publicKey.export({ format: 'der', type: 'spki' }));

  it('converts the private key between every pair of its formats, matching node:crypto', () => {
    for (const a of c.privateFormats) {
      const inA = convertKey('private', { format: K.PKCS_8, material: p8 }, { format: a });
      const own = nodeDer(c.pair.privateKey, a);
      if (own !== undefined) expect(der(inA).equals(own), `PKCS#8 -> ${a}`).toBe(true);
      for (const b of c.privateFormats) {
        const inB = convertKey('private', { format: a, material: inA, algorithm: c.algorithm }, { format: b });
        const ownB = nodeDer(c.pair.privateKey, b);
        if (ownB !== undefined) expect(der(inB).equals(ownB), `${a} -> ${b}`).toBe(true);
        const k = importKey('private', b, inB, c.algorithm);
        expect(k.equals(c.pair.privateKey), `${a} -> ${b} same key`).toBe(true);
      }
    }
  });

  it('converts the public key between every pair of its formats, matching node:crypto', () => {
    for (const a of c.publicFormats) {
      const inA = convertKey('public', { format: K.X_509, material: spki }, { format: a });
      const own = nodeDer(c.pair.publicKey, a);
      if (own !== undefined) expect(der(inA).equals(own), `X.509 -> ${a}`).toBe(true);
      for (const b of c.publicFormats) {
        const inB = convertKey('public', { format: a, material: inA, algorithm: c.algorithm }, { format: b });
        expect(importKey('public', b, inB, c.algorithm).equals(c.pair.publicKey), `${a} -> ${b}`).toBe(true);
      }
    }
    // The public half of a private key, too.
    for (const a of c.publicFormats) expect(exportKey('public', c.pair.privateKey, a)).toEqual(exportKey('public', c.pair.publicKey, a));
  });

  it('refuses the formats that do not fit, with Key Format Type Not Supported', () => {
    for (const fmt of PRIVATE_ALL.filter((x) => !c.privateFormats.includes(x))) {
      expect(reason(() => convertKey('private', { format: K.PKCS_8, material: p8 }, { format: fmt })), `private ${fmt}`).toBe(ResultReason.KeyFormatTypeNotSupported);
    }
    for (const fmt of PUBLIC_ALL.filter((x) => !c.publicFormats.includes(x))) {
      expect(reason(() => convertKey('public', { format: K.X_509, material: spki }, { format: fmt })), `public ${fmt}`).toBe(ResultReason.KeyFormatTypeNotSupported);
    }
    for (const fmt of [K.Raw, K.Opaque, K.X_509, K.TransparentSymmetricKey, K.TransparentDSAPrivateKey, K.TransparentDHPrivateKey, K.PKCS_12]) {
      expect(reason(() => convertKey('private', { format: K.PKCS_8, material: p8 }, { format: fmt }))).toBe(ResultReason.KeyFormatTypeNotSupported);
    }
    for (const fmt of [K.Raw, K.PKCS_8, K.ECPrivateKey, K.TransparentDSAPublicKey, K.TransparentRSAPrivateKey]) {
      expect(reason(() => convertKey('public', { format: K.X_509, material: spki }, { format: fmt }))).toBe(ResultReason.KeyFormatTypeNotSupported);
    }
  });

  it('knows the key length and which algorithms describe it', () => {
    expect(keyLength(c.pair.privateKey)).toBe(c.length);
    expect(algorithmFits(c.algorithm, c.pair.publicKey)).toBe(true);
    expect(algorithmFits(c.algorithm === A.RSA ? A.EC : A.RSA, c.pair.publicKey)).toBe(false);
  });
});

describe('EC point compression (Key Compression Type)', () => {
  for (const curve of ['prime256v1', 'secp384r1', 'secp521r1', 'secp256k1']) {
    it(`writes uncompressed, compressed and hybrid points on ${curve}, and reads them back`, () => {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const spki = m(publicKey.export({ format: 'der', type: 'spki' }));
      const q = f(convertKey('public', { format: K.X_509, material: spki }, { format: K.TransparentECPublicKey })).req(Tag.QString, 'ByteString').value;
      expect(q[0]).toBe(4);
      for (const [ct, form, first] of [
        [C.ECPublicKeyTypeUncompressed, 'uncompressed', [4]],
        [C.ECPublicKeyTypeX9_62CompressedPrime, 'compressed', [2, 3]],
        [C.ECPublicKeyTypeX9_62Hybrid, 'hybrid', [6, 7]],
      ] as const) {
        const expected = ECDH.convertKey(Buffer.from(q), curve, undefined, undefined, form) as Buffer;
        const t = convertKey('public', { format: K.X_509, material: spki }, { format: K.TransparentECPublicKey, compression: ct });
        const qc = Buffer.from(f(t).req(Tag.QString, 'ByteString').value);
        expect(qc.equals(expected)).toBe(true);
        expect(first).toContain(qc[0]);
        const x509 = der(convertKey('public', { format: K.TransparentECPublicKey, material: t }, { format: K.X_509, compression: ct }));
        expect(x509.subarray(x509.length - expected.length).equals(expected)).toBe(true);
        // node:crypto reads the compressed SubjectPublicKeyInfo as the same key.
        expect(createPublicKey({ key: x509, format: 'der', type: 'spki' }).equals(publicKey)).toBe(true);
        // Back to uncompressed from the compressed forms.
        expect(der(convertKey('public', { format: K.X_509, material: m(x509) }, { format: K.X_509 })).equals(der(spki))).toBe(true);
      }
    });
  }

  it('refuses compression where it does not apply', () => {
    const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const p8 = m(ecKey.privateKey.export({ format: 'der', type: 'pkcs8' }));
    const spki = m(ecKey.publicKey.export({ format: 'der', type: 'spki' }));
    const rsaSpki = m(rsa.publicKey.export({ format: 'der', type: 'spki' }));
    const ed = m(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }));
    const no = ResultReason.KeyCompressionTypeNotSupported;
    expect(reason(() => convertKey('public', { format: K.X_509, material: rsaSpki }, { format: K.X_509, compression: C.ECPublicKeyTypeUncompressed }))).toBe(no);
    expect(reason(() => convertKey('public', { format: K.X_509, material: ed }, { format: K.X_509, compression: C.ECPublicKeyTypeX9_62CompressedPrime }))).toBe(no);
    expect(reason(() => convertKey('public', { format: K.X_509, material: spki }, { format: K.X_509, compression: C.ECPublicKeyTypeX9_62CompressedChar2 }))).toBe(no);
    expect(reason(() => convertKey('private', { format: K.PKCS_8, material: p8 }, { format: K.ECPrivateKey, compression: C.ECPublicKeyTypeX9_62CompressedPrime }))).toBe(no);
    expect(reason(() => convertKey('private', { format: K.PKCS_8, material: p8 }, { format: K.ECPrivateKey, compression: C.ECPublicKeyTypeUncompressed }))).toBeUndefined();
  });
});

describe('known vectors', () => {
  // OASIS TC-ECC-1-14: a secp256k1 key in SEC1 ECPrivateKey form and its X.509 public key.
  const SEC1 = Buffer.from(
    '30740201010420db4d128c30ca309e62c4019758c00ba244dd64d9bf52a31078866b8a00c19c68a00706052b8104000aa14403420004dab5d3c253113db414abfc1c0ebf5a02559e656aa1c8b0aa8d870aa0324cda4899925ea1e6dbc259a6c7825cf46592ac7594cc40bd604b728d88b636f317d366',
    'hex',
  );
  const SPKI = Buffer.from(
    '3056301006072a8648ce3d020106052b8104000a03420004dab5d3c253113db414abfc1c0ebf5a02559e656aa1c8b0aa8d870aa0324cda4899925ea1e6dbc259a6c7825cf46592ac7594cc40bd604b728d88b636f317d366',
    'hex',
  );

  it('SEC1 ECPrivateKey -> Transparent EC Private Key -> SEC1, byte for byte', () => {
    const t = convertKey('private', { format: K.ECPrivateKey, material: m(SEC1) }, { format: K.TransparentECPrivateKey });
    expect(f(t).req(Tag.RecommendedCurve, 'Enumeration').value).toBe(RecommendedCurve.SECP256K1);
    expect(f(t).req(Tag.D, 'BigInteger').value).toBe(0xdb4d128c30ca309e62c4019758c00ba244dd64d9bf52a31078866b8a00c19c68n);
    expect(der(convertKey('private', { format: K.TransparentECPrivateKey, material: t }, { format: K.ECPrivateKey })).equals(SEC1)).toBe(true);
    // Its public half is the registered X.509 key, and Q String is the point in it.
    expect(der(convertKey('private', { format: K.ECPrivateKey, material: m(SEC1) }, { format: K.PKCS_8 })).length).toBe(135);
    const q = f(convertKey('public', { format: K.X_509, material: m(SPKI) }, { format: K.TransparentECDSAPublicKey })).req(Tag.QString, 'ByteString').value;
    expect(Buffer.from(q).equals(SPKI.subarray(SPKI.length - 65))).toBe(true);
    expect(exportKey('public', importKey('private', K.ECPrivateKey, m(SEC1)), K.X_509)).toEqual(m(SPKI));
  });

  // RFC 8410 §10.3 example private key, and RFC 8032 §7.1 TEST 1 (public key and signature).
  it('RFC 8410 / RFC 8032 Ed25519 keys through Transparent EC and back, byte for byte', () => {
    const p8 = Buffer.from('302e020100300506032b657004220420d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842', 'hex');
    const t = convertKey('private', { format: K.PKCS_8, material: m(p8) }, { format: K.TransparentECPrivateKey });
    expect(f(t).req(Tag.RecommendedCurve, 'Enumeration').value).toBe(RecommendedCurve.CURVE25519);
    expect(f(t).req(Tag.D, 'BigInteger').value).toBe(0xd4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842n);
    expect(der(convertKey('private', { format: K.TransparentECPrivateKey, material: t, algorithm: A.Ed25519 }, { format: K.PKCS_8 })).equals(p8)).toBe(true);

    const seed = 0x9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60n;
    const pub = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
    const tPriv = struct(Tag.KeyMaterial, [enm(Tag.RecommendedCurve, RecommendedCurve.CURVE25519), bigInt(Tag.D, seed)]);
    const key = importKey('private', K.TransparentECPrivateKey, tPriv, A.Ed25519);
    const q = f(exportKey('public', key, K.TransparentECPublicKey)).req(Tag.QString, 'ByteString').value;
    expect(Buffer.from(q).equals(pub)).toBe(true);
    const sig = sign(null, Buffer.alloc(0), key).toString('hex');
    expect(sig).toBe('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b');
    const tPub = struct(Tag.KeyMaterial, [enm(Tag.RecommendedCurve, RecommendedCurve.CURVE25519), bytes(Tag.QString, pub)]);
    expect(verify(null, Buffer.alloc(0), importKey('public', K.TransparentECPublicKey, tPub, A.Ed25519), Buffer.from(sig, 'hex'))).toBe(true);
    // Without the Ed25519 algorithm, CURVE25519 is X25519 (RFC 7748).
    expect(importKey('public', K.TransparentECPublicKey, tPub).asymmetricKeyType).toBe('x25519');
  });

  // OASIS BL-M-9-21: a Transparent RSA Private Key (BigIntegers with sign padding).
  it('Transparent RSA Private Key -> PKCS#1 -> Transparent, the same numbers; partial keys are completed', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = privateKey.export({ format: 'jwk' });
    const n = (s?: string): bigint => toBigInt(Buffer.from(s ?? '', 'base64url'));
    const full = struct(Tag.KeyMaterial, [
      bigInt(Tag.Modulus, n(jwk.n)),
      bigInt(Tag.PrivateExponent, n(jwk.d)),
      bigInt(Tag.PublicExponent, n(jwk.e)),
      bigInt(Tag.P, n(jwk.p)),
      bigInt(Tag.Q, n(jwk.q)),
      bigInt(Tag.PrimeExponentP, n(jwk.dp)),
      bigInt(Tag.PrimeExponentQ, n(jwk.dq)),
      bigInt(Tag.CRTCoefficient, n(jwk.qi)),
    ]);
    const pkcs1 = convertKey('private', { format: K.TransparentRSAPrivateKey, material: full }, { format: K.PKCS_1 });
    expect(der(pkcs1).equals(privateKey.export({ format: 'der', type: 'pkcs1' }))).toBe(true);
    expect(convertKey('private', { format: K.PKCS_1, material: pkcs1 }, { format: K.TransparentRSAPrivateKey })).toEqual(full);
    // n, e, d only: the primes are recovered (NIST SP 800-56B App. C); n, e, p only: d is computed.
    const ned = struct(Tag.KeyMaterial, [bigInt(Tag.Modulus, n(jwk.n)), bigInt(Tag.PrivateExponent, n(jwk.d)), bigInt(Tag.PublicExponent, n(jwk.e))]);
    expect(importKey('private', K.TransparentRSAPrivateKey, ned).equals(privateKey)).toBe(true);
    const nep = struct(Tag.KeyMaterial, [bigInt(Tag.Modulus, n(jwk.n)), bigInt(Tag.PublicExponent, n(jwk.e)), bigInt(Tag.P, n(jwk.p))]);
    const fromP = importKey('private', K.TransparentRSAPrivateKey, nep);
    const msg = Buffer.from('abc');
    expect(verify('sha256', msg, privateKey, sign('sha256', msg, fromP))).toBe(true);
    // Inconsistent values are refused.
    const wrongD = struct(Tag.KeyMaterial, [bigInt(Tag.Modulus, n(jwk.n)), bigInt(Tag.PrivateExponent, n(jwk.d) + 2n), bigInt(Tag.PublicExponent, n(jwk.e))]);
    expect(reason(() => importKey('private', K.TransparentRSAPrivateKey, wrongD))).toBe(ResultReason.InvalidField);
    expect(completeRsaPrivate({ n: n(jwk.n), e: n(jwk.e) })).toBeUndefined();
    // A d that does not invert e, next to the right primes; n, e, d only beyond 4096 bits.
    expect(completeRsaPrivate({ n: n(jwk.n), e: n(jwk.e), d: n(jwk.d) + 2n, p: n(jwk.p), q: n(jwk.q) })).toBeUndefined();
    expect(completeRsaPrivate({ n: (1n << 4100n) + 1n, e: 65537n, d: 12345n })).toBeUndefined();
    expect(completeRsaPrivate({ n: (1n << 9000n) + 1n, e: 65537n, p: 3n })).toBeUndefined();
  });
});

describe('bad material', () => {
  const invalid = ResultReason.InvalidField;
  it('answers Invalid Field, and never echoes key bytes', () => {
    const junk = Buffer.from('30820102deadbeefcafef00d', 'hex');
    const cases: [() => unknown, number][] = [
      [() => importKey('private', K.PKCS_8, m(junk)), invalid],
      [() => importKey('private', K.PKCS_1, m(junk)), invalid],
      [() => importKey('private', K.ECPrivateKey, m(junk)), invalid],
      [() => importKey('public', K.X_509, m(junk)), invalid],
      [() => importKey('public', K.PKCS_1, m(junk)), invalid],
      [() => importKey('private', K.PKCS_8, struct(Tag.KeyMaterial, [])), invalid],
      [() => importKey('private', K.TransparentECPrivateKey, m(junk)), invalid],
      [() => importKey('private', K.TransparentECPrivateKey, struct(Tag.KeyMaterial, [enm(Tag.RecommendedCurve, RecommendedCurve.P_256)])), ResultReason.MissingData],
      [() => importKey('private', K.TransparentECPrivateKey, struct(Tag.KeyMaterial, [enm(Tag.RecommendedCurve, RecommendedCurve.P_256), bigInt(Tag.D, 0n)])), invalid],
      [() => importKey('private', K.TransparentECPrivateKey, struct(Tag.KeyMaterial, [enm(Tag.RecommendedCurve, RecommendedCurve.P_256), bigInt(Tag.D, 1n << 300n)])), invalid],
      [() => importKey('private', K.TransparentECPrivateKey, struct(Tag.KeyMaterial, [enm(Tag.RecommendedCurve, RecommendedCurve.K_163), bigInt(Tag.D, 5n)])), ResultReason.KeyFormatTypeNotSupported],
      [() => importKey('public', K.TransparentECPublicKey, struct(Tag.KeyMaterial, [enm(Tag.RecommendedCurve, RecommendedCurve.P_256), bytes(Tag.QString, Buffer.from('04' + '11'.repeat(64), 'hex'))])), invalid],
      [() => importKey('public', K.TransparentECPublicKey, struct(Tag.KeyMaterial, [enm(Tag.RecommendedCurve, RecommendedCurve.CURVE25519), bytes(Tag.QString, Buffer.alloc(31, 1))]), A.Ed25519), invalid],
      [() => importKey('public', K.TransparentRSAPublicKey, struct(Tag.KeyMaterial, [bigInt(Tag.Modulus, 0n), bigInt(Tag.PublicExponent, 3n)])), invalid],
      [() => importKey('private', K.TransparentRSAPrivateKey, struct(Tag.KeyMaterial, [bigInt(Tag.Modulus, 0xc0ffeen)])), invalid],
      [() => importKey('public', K.TransparentDSAPublicKey, struct(Tag.KeyMaterial, [])), ResultReason.KeyFormatTypeNotSupported],
      [() => importKey('public', K.PKCS_8, m(junk)), ResultReason.KeyFormatTypeNotSupported],
    ];
    for (const [i, [fn, want]] of cases.entries()) {
      let err: unknown;
      try {
        fn();
      } catch (e) {
        err = e;
      }
      expect(err, `case ${i}`).toBeInstanceOf(KmipError);
      expect((err as KmipError).reason, `case ${i}: ${(err as KmipError).message}`).toBe(want);
      expect((err as KmipError).message).not.toMatch(/deadbeef|c0ffee|[0-9a-f]{16}/i);
    }
  });

  it('an encrypted PKCS#8 (OASIS TC-ECC-2) does not read as a private key', () => {
    const enc = Buffer.from(
      '3081a9301c060a2a864886f70d010c0103300e0408dc4dc656aa7bcc0402020800048188824b0a6786064a1d5686b852d8ff3073cb3379397dee978c60031353e1835a1a3c6289f16ff617b2d8b2d32829c265b997b406a69b96894caa39cee1c556cda380e7174271606a4dfde4bc6182943de6e827573ce3d877b72f1cdd3a59a3721b34740466fa43390ab29fb8ac01df172f9af6bb222aeee0f9be744b425e9620902ebc76ab8ceaa555',
      'hex',
    );
    expect(reason(() => importKey('private', K.PKCS_8, m(enc)))).toBe(ResultReason.InvalidField);
    expect(() => createPrivateKey({ key: enc, format: 'der', type: 'pkcs8' })).toThrow();
  });
});
