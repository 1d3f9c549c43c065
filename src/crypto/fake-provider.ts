/**
 * An in-memory CryptoProvider for unit tests of other layers. NOT for production: the "master
 * key" lives in JavaScript memory. It keeps the semantics of the PKCS#11 provider: the same
 * length rules and errors, wrapped refs are RFC 5649 blobs (AES-256 key wrap with padding, from
 * node:crypto) under a random per-instance key, resident keys refuse export with NOT_EXTRACTABLE,
 * and a corrupted blob fails with BAD_KEY.
 */
import { type CipherGCMTypes, createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import { type AsymmetricProvider, nodeAsymmetric } from './asymmetric.js';
import { type EdDsaProvider, nodeEdDsa } from './eddsa.js';
import { type CipherProvider, MAX_SEED_BYTES } from './cipher.js';
import {
  checkMacInput,
  type EncryptResult,
  macKind,
  nodeHashName,
  resolveCipher,
  type ResolvedCipher,
} from './pkcs11/cipher-params.js';
import { checkAlgorithm, checkImportLength, generateLengthBytes, plausibleLength } from './pkcs11/key-lengths.js';
import {
  CryptoError,
  type CryptoProvider,
  type GenerateSymmetricKeyRequest,
  type KeyRef,
  type SymmetricAlgorithm,
} from './provider.js';

const MECHANISM = 'CKM_AES_KEY_WRAP_PAD';
/** RFC 5649 §3: the alternative initial value's constant half; node:crypto wants it as the IV. */
const AIV = Buffer.from('a65959a6', 'hex');
const MAX_RANDOM_BYTES = 65_536;

/** Options of the fake provider. */
export interface FakeCryptoProviderOptions {
  /** Label recorded in wrapped refs; default 'kmipd-master'. */
  readonly masterKeyLabel?: string;
}

/** The fake plus test hooks. Its CipherProvider half has the PKCS#11 provider's contract (see cipher.ts). */
export interface FakeCryptoProvider extends CryptoProvider, CipherProvider, AsymmetricProvider, EdDsaProvider {
  /** Number of resident keys currently held (to assert Destroy). */
  residentCount(): number;
  /** Whether close() was called. */
  readonly closed: boolean;
}

/** Sets odd parity in every byte, as DES key generation does (FIPS 46-3). */
function oddParity(key: Buffer): Buffer {
  for (let i = 0; i < key.length; i++) {
    const b = (key[i] as number) & 0xfe;
    let ones = 0;
    for (let v = b; v; v >>= 1) ones += v & 1;
    key[i] = ones % 2 === 0 ? b | 1 : b;
  }
  return key;
}

/** node:crypto cipher name of a checked request. */
function nodeCipher(c: ResolvedCipher, key: Buffer): string {
  if (c.algorithm === 'TDES') return c.mode === 'ECB' ? 'des-ede3' : 'des-ede3-cbc';
  return `aes-${key.length * 8}-${c.mode.toLowerCase()}`;
}

/** NIST SP 800-38B §6.1 subkey doubling in GF(2^b). */
function dbl(block: Buffer): Buffer {
  const out = Buffer.alloc(block.length);
  for (let i = 0; i < block.length; i++) out[i] = (((block[i] as number) << 1) | ((block[i + 1] ?? 0) >> 7)) & 0xff;
  if ((block[0] as number) & 0x80) out[block.length - 1] = (out[block.length - 1] as number) ^ (block.length === 16 ? 0x87 : 0x1b);
  return out;
}

/** CMAC (NIST SP 800-38B §6.2) with AES or TDES, on node:crypto's ECB. */
function cmac(cipher: 'AES' | 'TDES', key: Buffer, data: Uint8Array): Buffer {
  const name = cipher === 'AES' ? `aes-${key.length * 8}-ecb` : 'des-ede3';
  const b = cipher === 'AES' ? 16 : 8;
  const ecb = (block: Buffer): Buffer => createCipheriv(name, key, null).setAutoPadding(false).update(block);
  const k1 = dbl(ecb(Buffer.alloc(b)));
  const k2 = dbl(k1);
  const n = Math.max(1, Math.ceil(data.length / b));
  const complete = data.length > 0 && data.length % b === 0;
  const last = Buffer.alloc(b);
  Buffer.from(data.subarray((n - 1) * b)).copy(last);
  if (!complete) last[data.length - (n - 1) * b] = 0x80;
  const sub = complete ? k1 : k2;
  for (let i = 0; i < b; i++) last[i] = (last[i] as number) ^ (sub[i] as number);
  let x: Buffer = Buffer.alloc(b);
  for (let j = 0; j < n; j++) {
    const m = j === n - 1 ? last : Buffer.from(data.subarray(j * b, (j + 1) * b));
    for (let i = 0; i < b; i++) m[i] = (m[i] as number) ^ (x[i] as number);
    x = ecb(m);
  }
  return x;
}

/** Creates an in-memory provider for unit tests. */
export function createFakeCryptoProvider(opts: FakeCryptoProviderOptions = {}): FakeCryptoProvider {
  const masterKeyLabel = opts.masterKeyLabel ?? 'kmipd-master';
  const master = randomBytes(32);
  const resident = new Map<string, Buffer>();
  let closed = false;

  const live = (): void => {
    if (closed) throw new CryptoError('HSM_UNAVAILABLE', 'crypto provider is closed');
  };
  const wrap = (value: Buffer): KeyRef => {
    const c = createCipheriv('id-aes256-wrap-pad', master, AIV);
    const blob = Buffer.concat([c.update(value), c.final()]);
    return { kind: 'wrapped', mechanism: MECHANISM, masterKeyLabel, blob: new Uint8Array(blob), valueLength: value.length };
  };
  const unwrap = (ref: KeyRef & { kind: 'wrapped' }): Buffer => {
    if (ref.mechanism !== MECHANISM) throw new CryptoError('UNSUPPORTED', `unknown wrapping mechanism ${ref.mechanism}`);
    if (ref.masterKeyLabel !== masterKeyLabel) throw new CryptoError('BAD_KEY', `master key "${ref.masterKeyLabel}" is not in the token`);
    try {
      const d = createDecipheriv('id-aes256-wrap-pad', master, AIV);
      return Buffer.concat([d.update(ref.blob), d.final()]);
    } catch {
      throw new CryptoError('BAD_KEY', 'wrapped key blob does not unwrap under the master key');
    }
  };
  /** The key bytes of any ref, for the crypto calls that a real HSM runs inside. */
  const keyOf = (ref: KeyRef, algorithm: SymmetricAlgorithm): Buffer => {
    live();
    checkAlgorithm(algorithm);
    if (ref.kind === 'wrapped') return unwrap(ref);
    const value = resident.get(ref.id);
    if (!value) throw new CryptoError('BAD_KEY', 'resident key not found in the token');
    return value;
  };
  // Key pairs in node:crypto, private keys as PKCS#8 wrapped like any other value (asymmetric.ts).
  const asymmetric = nodeAsymmetric({ wrap, unwrap: (r) => (live(), unwrap(r)), resident });
  const edDsa = nodeEdDsa(resident);
  const newKey = (algorithm: SymmetricAlgorithm, bytes: number): Buffer =>
    algorithm === 'TDES' ? oddParity(randomBytes(bytes)) : randomBytes(bytes);

  return {
    get closed() {
      return closed;
    },
    residentCount: () => resident.size,
    generateKeyPair: async (req) => (live(), asymmetric.generateKeyPair(req)),
    exportPrivateKey: async (ref, algorithm) => (live(), asymmetric.exportPrivateKey(ref, algorithm)),
    sign: async (key, algorithm, params, data) => (live(), asymmetric.sign(key, algorithm, params, data)),
    verify: async (spki, algorithm, params, data, signature) => (live(), asymmetric.verify(spki, algorithm, params, data, signature)),
    generateEdDsaKeyPair: async (curve, extractable) => (live(), edDsa.generateEdDsaKeyPair(curve, extractable)),
    signEdDsa: async (key, curve, data) => (live(), edDsa.signEdDsa(key, curve, data)),
    async generateSymmetricKey(req: GenerateSymmetricKeyRequest): Promise<KeyRef> {
      live();
      const bytes = generateLengthBytes(req.algorithm, req.lengthBits);
      const value = newKey(req.algorithm, bytes);
      if (req.extractable) return wrap(value);
      const id = randomBytes(16).toString('hex');
      resident.set(id, value);
      return { kind: 'resident', id };
    },
    async importSymmetricKey(algorithm: SymmetricAlgorithm, material: Uint8Array): Promise<KeyRef> {
      live();
      checkImportLength(algorithm, material.length);
      return wrap(Buffer.from(material));
    },
    async exportKeyMaterial(ref: KeyRef, algorithm: SymmetricAlgorithm): Promise<Uint8Array> {
      live();
      checkAlgorithm(algorithm);
      if (ref.kind === 'resident') throw new CryptoError('NOT_EXTRACTABLE', 'the key is not extractable from the HSM');
      const value = unwrap(ref);
      if ((ref.valueLength !== undefined && value.length !== ref.valueLength) || !plausibleLength(algorithm, value.length)) {
        throw new CryptoError('BAD_KEY', 'unwrapped key has the wrong length for its algorithm');
      }
      return new Uint8Array(value);
    },
    async encrypt(ref, algorithm, params, data): Promise<EncryptResult> {
      const key = keyOf(ref, algorithm);
      const c = resolveCipher(algorithm, params, data, 'encrypt');
      const iv = c.iv ? { iv: Uint8Array.from(c.iv) } : {};
      if (c.mode === 'GCM') {
        const gcm = createCipheriv(`aes-${key.length * 8}-gcm` as CipherGCMTypes, key, c.iv as Buffer, { authTagLength: c.tagLength });
        gcm.setAAD(c.aad);
        const out = Buffer.concat([gcm.update(data), gcm.final()]);
        return { data: Uint8Array.from(out), tag: Uint8Array.from(gcm.getAuthTag()), ...iv };
      }
      const cipher = createCipheriv(nodeCipher(c, key), key, c.iv ?? null).setAutoPadding(c.pad);
      return { data: Uint8Array.from(Buffer.concat([cipher.update(data), cipher.final()])), ...iv };
    },
    async decrypt(ref, algorithm, params, data, tag): Promise<Uint8Array> {
      const key = keyOf(ref, algorithm);
      const c = resolveCipher(algorithm, params, data, 'decrypt', tag);
      try {
        if (c.mode === 'GCM') {
          const gcm = createDecipheriv(`aes-${key.length * 8}-gcm` as CipherGCMTypes, key, c.iv as Buffer, { authTagLength: c.tagLength });
          gcm.setAAD(c.aad);
          gcm.setAuthTag(Buffer.from(tag as Uint8Array));
          return Uint8Array.from(Buffer.concat([gcm.update(data), gcm.final()]));
        }
        const d = createDecipheriv(nodeCipher(c, key), key, c.iv ?? null).setAutoPadding(c.pad);
        return Uint8Array.from(Buffer.concat([d.update(data), d.final()]));
      } catch {
        // Same code as the HSM: a tag or padding that does not check out is a cryptographic failure.
        throw new CryptoError('BAD_KEY', 'decryption failed: the data does not authenticate under the key');
      }
    },
    async mac(ref, algorithm, data): Promise<Uint8Array> {
      const k = macKind(algorithm);
      checkMacInput(data);
      const key = keyOf(ref, algorithm);
      return Uint8Array.from(k.kind === 'hmac' ? createHmac(k.hash, key).update(data).digest() : cmac(k.cipher, key, data));
    },
    async macVerify(ref, algorithm, data, mac): Promise<boolean> {
      const k = macKind(algorithm);
      checkMacInput(data);
      const key = keyOf(ref, algorithm);
      const expected = k.kind === 'hmac' ? createHmac(k.hash, key).update(data).digest() : cmac(k.cipher, key, data);
      return mac.length === expected.length && timingSafeEqual(expected, mac);
    },
    async digest(algorithm, data): Promise<Uint8Array> {
      live();
      const name = nodeHashName(algorithm);
      checkMacInput(data);
      return Uint8Array.from(createHash(name).update(data).digest());
    },
    async seedRandom(seed): Promise<number> {
      live();
      // node:crypto's CSPRNG takes no seed; the fake only reports what a module would have used.
      return Math.min(seed.length, MAX_SEED_BYTES);
    },
    async destroyKey(ref: KeyRef): Promise<void> {
      live();
      if (ref.kind === 'resident') resident.delete(ref.id);
    },
    async randomBytes(length: number): Promise<Uint8Array> {
      live();
      if (!Number.isSafeInteger(length) || length < 0 || length > MAX_RANDOM_BYTES) {
        throw new CryptoError('UNSUPPORTED', `random length must be 0..${MAX_RANDOM_BYTES} bytes`);
      }
      return new Uint8Array(randomBytes(length));
    },
    describe() {
      return { module: 'fake', tokenLabel: 'fake', manufacturer: 'kmipd', model: 'in-memory fake' };
    },
    async close(): Promise<void> {
      closed = true;
      resident.clear();
    },
  };
}
