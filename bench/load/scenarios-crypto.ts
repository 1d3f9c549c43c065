/**
 * Crypto scenarios of the server benchmark (bench/server.ts group `crypto`), and their in-process
 * ceiling.
 *
 * Over TLS (KMIP 1.4 requests, pre-encoded once the keys exist): Encrypt and Decrypt AES-256-GCM
 * of 64 bytes and 4 KiB (the server picks each Encrypt's IV; Decrypt replays one ciphertext),
 * Sign and Signature Verify with ECDSA P-256 / SHA-256 and RSA-2048 PKCS#1 v1.5 / SHA-256 over
 * 64 bytes, and MAC HMAC-SHA256 of 64 bytes. Keys are made with Create / Create Key Pair and
 * Activated first.
 *
 * Ceiling: the same mechanism through pkcs11js in this process, on a fresh SoftHSM2 token in a
 * temp data dir, with the call pattern kmipd's provider uses (C_*Init, then for Encrypt, Decrypt
 * and MAC of up to SYNC_MAX_BYTES the call itself, synchronously, else the *Async call on a libuv
 * worker thread; one session per concurrent caller; a fresh 96-bit IV per GCM encryption;
 * SHA-256 in node:crypto then CKM_ECDSA / CKM_RSA_PKCS over the digest / DigestInfo). It leaves
 * out everything kmipd adds (TLS, TTLV, policy, store read, key unwrap, audit commit), so the ratio
 * server / ceiling says what share of the HSM's rate the server delivers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pkcs11js from 'pkcs11js';
import type { GcmParams, Handle, Mechanism, PKCS11 } from 'pkcs11js';
import { SYNC_MAX_BYTES } from '../../src/crypto/pkcs11/cipher.js';
import { acquireModule } from '../../src/crypto/pkcs11/module.js';
import { ensureSoftHsmToken } from '../../src/crypto/pkcs11/softhsm.js';
import { findTokenSlot } from '../../src/crypto/pkcs11/token.js';
import {
  BlockCipherMode,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  DigitalSignatureAlgorithm,
  HashingAlgorithm,
  ObjectType,
  Operation,
  PaddingMethod,
  ResultStatus,
  Tag,
} from '../../src/kmip/generated/index.js';
import { bytes, child, enm, int, struct, text } from '../../src/ttlv/build.js';
import type { TtlvNode } from '../../src/ttlv/types.js';
import { parseResponse, request } from '../../test/helpers/kmip-request.js';
import type { KmipSocket } from './kmip-socket.js';
import { LatencyRecorder } from './latency.js';
import type { ScenarioResult, ScenarioSpec } from './scenarios.js';

export const CRYPTO_GROUPS = ['crypto'] as const;

const V: [number, number] = [1, 4];
const SMALL = randomBytes(64);
const LARGE = randomBytes(4096);

/** The measured operations, by name; the ceiling uses the same names. */
export const CRYPTO_NAMES = [
  'Encrypt AES-256-GCM 64 B',
  'Encrypt AES-256-GCM 4 KiB',
  'Decrypt AES-256-GCM 64 B',
  'Decrypt AES-256-GCM 4 KiB',
  'Sign ECDSA P-256 SHA-256',
  'Verify ECDSA P-256 SHA-256',
  'Sign RSA-2048 PKCS#1 v1.5 SHA-256',
  'Verify RSA-2048 PKCS#1 v1.5 SHA-256',
  'MAC HMAC-SHA256 64 B',
] as const;
export type CryptoName = (typeof CRYPTO_NAMES)[number];

/**
 * The cases `--crypto-cases` selects: a case-insensitive regular expression over the names above
 * (e.g. `AES-256-GCM` or `^Encrypt.*64 B`); every case when absent.
 */
export function selectCryptoCases(pattern: string | undefined): readonly CryptoName[] {
  if (pattern === undefined || pattern === '') return CRYPTO_NAMES;
  const re = new RegExp(pattern, 'i');
  const out = CRYPTO_NAMES.filter((n) => re.test(n));
  if (out.length === 0) throw new Error(`--crypto-cases: ${pattern} matches none of: ${CRYPTO_NAMES.join('; ')}`);
  return out;
}

export const cryptoScenarioCount = (cases: readonly CryptoName[], connectionCounts: readonly number[]): number => cases.length * connectionCounts.length;

const attribute = (name: string, value: TtlvNode): TtlvNode => struct(Tag.Attribute, [text(Tag.AttributeName, name), { ...value, tag: Tag.AttributeValue } as TtlvNode]);
const usage = (mask: number): TtlvNode => attribute('Cryptographic Usage Mask', int(Tag.AttributeValue, mask));

async function call(sock: KmipSocket, operation: number, payload: TtlvNode[]): Promise<TtlvNode> {
  const item = parseResponse(await sock.roundTrip(request(V, [{ operation, payload }]))).items[0];
  if (item?.status !== ResultStatus.Success || item.payload === undefined) {
    throw new Error(`crypto setup: operation ${operation} failed: ${item?.message ?? 'no item'}`);
  }
  return item.payload;
}

function uidOf(payload: TtlvNode, tag: number = Tag.UniqueIdentifier): string {
  const n = child(payload, tag);
  if (n?.type !== 'TextString') throw new Error('crypto setup: no Unique Identifier in the response');
  return n.value;
}

function bytesOf(payload: TtlvNode, tag: number): Buffer {
  const n = child(payload, tag);
  if (n?.type !== 'ByteString') throw new Error(`crypto setup: response lacks tag ${tag.toString(16)}`);
  return Buffer.from(n.value);
}

async function createSymmetric(sock: KmipSocket, algorithm: number, length: number, mask: number): Promise<string> {
  const p = await call(sock, Operation.Create, [
    enm(Tag.ObjectType, ObjectType.SymmetricKey),
    struct(Tag.TemplateAttribute, [
      attribute('Cryptographic Algorithm', enm(Tag.AttributeValue, algorithm)),
      attribute('Cryptographic Length', int(Tag.AttributeValue, length)),
      usage(mask),
    ]),
  ]);
  const uid = uidOf(p);
  await call(sock, Operation.Activate, [text(Tag.UniqueIdentifier, uid)]);
  return uid;
}

async function createPair(sock: KmipSocket, algorithm: number, length: number): Promise<{ priv: string; pub: string }> {
  const p = await call(sock, Operation.CreateKeyPair, [
    struct(Tag.CommonTemplateAttribute, [
      attribute('Cryptographic Algorithm', enm(Tag.AttributeValue, algorithm)),
      attribute('Cryptographic Length', int(Tag.AttributeValue, length)),
    ]),
    struct(Tag.PrivateKeyTemplateAttribute, [usage(CryptographicUsageMask.Sign)]),
    struct(Tag.PublicKeyTemplateAttribute, [usage(CryptographicUsageMask.Verify)]),
  ]);
  const priv = uidOf(p, Tag.PrivateKeyUniqueIdentifier);
  const pub = uidOf(p, Tag.PublicKeyUniqueIdentifier);
  for (const uid of [priv, pub]) await call(sock, Operation.Activate, [text(Tag.UniqueIdentifier, uid)]);
  return { priv, pub };
}

const gcm = (): TtlvNode =>
  struct(Tag.CryptographicParameters, [enm(Tag.BlockCipherMode, BlockCipherMode.GCM), enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES), int(Tag.TagLength, 16)]);
const ecdsa = (): TtlvNode => struct(Tag.CryptographicParameters, [enm(Tag.DigitalSignatureAlgorithm, DigitalSignatureAlgorithm.ECDSAWithSHA256)]);
const rsaPkcs1 = (): TtlvNode =>
  struct(Tag.CryptographicParameters, [
    enm(Tag.PaddingMethod, PaddingMethod.PKCS1V1_5),
    enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256),
    enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.RSA),
  ]);

/** Creates and activates the keys, makes one ciphertext / signature per case, and returns the requests. */
export async function setupCryptoRequests(sock: KmipSocket): Promise<Map<CryptoName, Buffer>> {
  const aes = await createSymmetric(sock, CryptographicAlgorithm.AES, 256, CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt);
  const hmac = await createSymmetric(sock, CryptographicAlgorithm.HMAC_SHA256, 256, CryptographicUsageMask.MACGenerate | CryptographicUsageMask.MACVerify);
  const ec = await createPair(sock, CryptographicAlgorithm.EC, 256);
  const rsa = await createPair(sock, CryptographicAlgorithm.RSA, 2048);
  const out = new Map<CryptoName, Buffer>();
  const encrypt = (data: Buffer): TtlvNode[] => [text(Tag.UniqueIdentifier, aes), gcm(), bytes(Tag.Data, data)];
  for (const [size, data] of [['64 B', SMALL], ['4 KiB', LARGE]] as const) {
    out.set(`Encrypt AES-256-GCM ${size}`, request(V, [{ operation: Operation.Encrypt, payload: encrypt(data) }]));
    const enc = await call(sock, Operation.Encrypt, encrypt(data));
    const decrypt = [
      text(Tag.UniqueIdentifier, aes),
      gcm(),
      bytes(Tag.Data, bytesOf(enc, Tag.Data)),
      bytes(Tag.IVCounterNonce, bytesOf(enc, Tag.IVCounterNonce)),
      bytes(Tag.AuthenticatedEncryptionTag, bytesOf(enc, Tag.AuthenticatedEncryptionTag)),
    ];
    const check = await call(sock, Operation.Decrypt, decrypt);
    if (!bytesOf(check, Tag.Data).equals(data)) throw new Error('crypto setup: GCM round trip gave other bytes');
    out.set(`Decrypt AES-256-GCM ${size}`, request(V, [{ operation: Operation.Decrypt, payload: decrypt }]));
  }
  for (const [label, keys, params] of [
    ['ECDSA P-256 SHA-256', ec, ecdsa],
    ['RSA-2048 PKCS#1 v1.5 SHA-256', rsa, rsaPkcs1],
  ] as const) {
    const sign = [text(Tag.UniqueIdentifier, keys.priv), params(), bytes(Tag.Data, SMALL)];
    out.set(`Sign ${label}` as CryptoName, request(V, [{ operation: Operation.Sign, payload: sign }]));
    const signature = bytesOf(await call(sock, Operation.Sign, sign), Tag.SignatureData);
    const verify = [text(Tag.UniqueIdentifier, keys.pub), params(), bytes(Tag.Data, SMALL), bytes(Tag.SignatureData, signature)];
    const v = await call(sock, Operation.SignatureVerify, verify);
    const valid = child(v, Tag.ValidityIndicator);
    if (valid?.type !== 'Enumeration' || valid.value !== 1) throw new Error('crypto setup: the server rejected its own signature');
    out.set(`Verify ${label}` as CryptoName, request(V, [{ operation: Operation.SignatureVerify, payload: verify }]));
  }
  const mac = [text(Tag.UniqueIdentifier, hmac), struct(Tag.CryptographicParameters, [enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.HMAC_SHA256)]), bytes(Tag.Data, SMALL)];
  if (bytesOf(await call(sock, Operation.MAC, mac), Tag.MACData).length !== 32) throw new Error('crypto setup: MAC is not 32 bytes');
  out.set('MAC HMAC-SHA256 64 B', request(V, [{ operation: Operation.MAC, payload: mac }]));
  // Server warm-up over every case: otherwise the first case measured (Encrypt 64 B at one
  // connection) pays the server's JIT warm-up and looked ~4x slower than Decrypt (BENCHMARKS.md).
  for (let i = 0; i < WARM_UP_ROUNDS; i++) {
    for (const req of out.values()) {
      const r = parseResponse(await sock.roundTrip(req)).items[0];
      if (r?.status !== ResultStatus.Success) throw new Error(`crypto warm-up failed: ${r?.message ?? 'no item'}`);
    }
  }
  return out;
}

/** Sequential rounds over every crypto request before measuring (RSA-2048 Sign bounds it: ~0.5 s). */
const WARM_UP_ROUNDS = 100;

export function cryptoSpecs(requests: ReadonlyMap<CryptoName, Buffer>, cases: readonly CryptoName[], connectionCounts: readonly number[]): ScenarioSpec[] {
  const out: ScenarioSpec[] = [];
  for (const name of cases) {
    for (const c of connectionCounts) out.push({ name, mode: 'persistent', connections: c, request: requests.get(name)! });
  }
  return out;
}

// --- In-process ceiling ---------------------------------------------------------------------

export interface CeilingResult {
  readonly name: CryptoName;
  readonly concurrency: number;
  readonly opsPerSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuUsPerOp: number;
}

type P11 = PKCS11;

const EC_P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

function keys(p11: P11, session: Handle): { aes: Handle; hmac: Handle; ec: { priv: Handle; pub: Handle }; rsa: { priv: Handle; pub: Handle } } {
  const common = [
    { type: pkcs11js.CKA_TOKEN, value: false },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
  ];
  const aes = p11.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
    ...common,
    { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
    { type: pkcs11js.CKA_ENCRYPT, value: true },
    { type: pkcs11js.CKA_DECRYPT, value: true },
  ]);
  const hmac = p11.C_GenerateKey(session, { mechanism: pkcs11js.CKM_GENERIC_SECRET_KEY_GEN }, [
    ...common,
    { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
    { type: pkcs11js.CKA_SIGN, value: true },
    { type: pkcs11js.CKA_VERIFY, value: true },
  ]);
  const pubCommon = [{ type: pkcs11js.CKA_TOKEN, value: false }, { type: pkcs11js.CKA_VERIFY, value: true }];
  const privCommon = [...common, { type: pkcs11js.CKA_SIGN, value: true }];
  const ec = p11.C_GenerateKeyPair(session, { mechanism: pkcs11js.CKM_EC_KEY_PAIR_GEN }, [...pubCommon, { type: pkcs11js.CKA_EC_PARAMS, value: EC_P256_PARAMS }], privCommon);
  const rsa = p11.C_GenerateKeyPair(
    session,
    { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN },
    [...pubCommon, { type: pkcs11js.CKA_MODULUS_BITS, value: 2048 }, { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) }],
    privCommon,
  );
  return { aes, hmac, ec: { priv: ec.privateKey, pub: ec.publicKey }, rsa: { priv: rsa.privateKey, pub: rsa.publicKey } };
}

const gcmMech = (iv: Buffer): Mechanism => ({
  mechanism: pkcs11js.CKM_AES_GCM,
  parameter: { type: pkcs11js.CK_PARAMS_AES_GCM_v240, iv, ivBits: 96, tagBits: 128 } as GcmParams,
});
const sha256 = (d: Buffer): Buffer => createHash('sha256').update(d).digest();

/** One closed-loop operation per case: `(session) => Promise`, with its fixed inputs made up front. */
async function ceilingOps(p11: P11, session: Handle): Promise<Map<CryptoName, (s: Handle) => Promise<unknown>>> {
  const k = keys(p11, session);
  const ops = new Map<CryptoName, (s: Handle) => Promise<unknown>>();
  for (const [size, data] of [['64 B', SMALL], ['4 KiB', LARGE]] as const) {
    const sync = data.length <= SYNC_MAX_BYTES;
    ops.set(`Encrypt AES-256-GCM ${size}`, async (s) => {
      p11.C_EncryptInit(s, gcmMech(randomBytes(12)), k.aes);
      return sync ? p11.C_Encrypt(s, data, Buffer.alloc(data.length + 32)) : p11.C_EncryptAsync(s, data, Buffer.alloc(data.length + 32));
    });
    const iv = randomBytes(12);
    p11.C_EncryptInit(session, gcmMech(iv), k.aes);
    const sealed = Buffer.from(await p11.C_EncryptAsync(session, data, Buffer.alloc(data.length + 32)));
    ops.set(`Decrypt AES-256-GCM ${size}`, async (s) => {
      p11.C_DecryptInit(s, gcmMech(iv), k.aes);
      return sealed.length <= SYNC_MAX_BYTES ? p11.C_Decrypt(s, sealed, Buffer.alloc(sealed.length + 32)) : p11.C_DecryptAsync(s, sealed, Buffer.alloc(sealed.length + 32));
    });
  }
  const ecInput = (): Buffer => sha256(SMALL);
  const rsaInput = (): Buffer => Buffer.concat([SHA256_DIGEST_INFO, sha256(SMALL)]);
  for (const [label, pair, mechanism, input] of [
    ['ECDSA P-256 SHA-256', k.ec, pkcs11js.CKM_ECDSA, ecInput],
    ['RSA-2048 PKCS#1 v1.5 SHA-256', k.rsa, pkcs11js.CKM_RSA_PKCS, rsaInput],
  ] as const) {
    ops.set(`Sign ${label}` as CryptoName, (s) => {
      p11.C_SignInit(s, { mechanism }, pair.priv);
      return p11.C_SignAsync(s, input(), Buffer.alloc(1024));
    });
    p11.C_SignInit(session, { mechanism }, pair.priv);
    const sig = Buffer.from(await p11.C_SignAsync(session, input(), Buffer.alloc(1024)));
    ops.set(`Verify ${label}` as CryptoName, async (s) => {
      p11.C_VerifyInit(s, { mechanism }, pair.pub);
      if (!(await p11.C_VerifyAsync(s, input(), sig))) throw new Error('ceiling: signature did not verify');
    });
  }
  ops.set('MAC HMAC-SHA256 64 B', async (s) => {
    p11.C_SignInit(s, { mechanism: pkcs11js.CKM_SHA256_HMAC }, k.hmac);
    return p11.C_Sign(s, SMALL, Buffer.alloc(32)); // 64 B <= SYNC_MAX_BYTES: synchronous, as kmipd
  });
  return ops;
}

async function measure(concurrency: number, sessions: Handle[], op: (s: Handle) => Promise<unknown>, seconds: number): Promise<Omit<CeilingResult, 'name' | 'concurrency'>> {
  const lat = new LatencyRecorder(5_000_000);
  for (let i = 0; i < 20; i++) await op(sessions[0]!); // warm-up
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(
    sessions.slice(0, concurrency).map(async (s) => {
      for (;;) {
        const a = process.hrtime.bigint();
        if (a >= end) return;
        await op(s);
        lat.record(Number(process.hrtime.bigint() - a));
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const { p } = lat.summary([50, 99]);
  return { opsPerSec: lat.count / secs, p50: p.get(50)!, p99: p.get(99)!, cpuUsPerOp: (c.user + c.system) / lat.count };
}

/** Runs every case in-process at each concurrency, on a fresh SoftHSM2 token in a temp dir. */
export async function runCryptoCeiling(cases: readonly CryptoName[], connectionCounts: readonly number[], seconds: number): Promise<CeilingResult[]> {
  const work = mkdtempSync(join(tmpdir(), 'kmipd-bench-ceiling-'));
  const cfg = await ensureSoftHsmToken(join(work, 'data'));
  const mod = acquireModule(cfg.module);
  const p11 = mod.p11;
  const sessions: Handle[] = [];
  const slot = findTokenSlot(p11, cfg.tokenLabel!);
  if (slot === undefined) throw new Error('ceiling: token not found');
  const slotKey = `ceiling-${work}`;
  try {
    const max = Math.max(...connectionCounts);
    for (let i = 0; i < max; i++) sessions.push(p11.C_OpenSession(slot.slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION));
    mod.login(slotKey, sessions[0]!, cfg.pin!);
    const ops = await ceilingOps(p11, sessions[0]!);
    const out: CeilingResult[] = [];
    for (const name of cases) {
      for (const c of connectionCounts) out.push({ name, concurrency: c, ...(await measure(c, sessions, ops.get(name)!, seconds)) });
    }
    return out;
  } finally {
    try {
      mod.logout(slotKey, sessions[0]!);
    } catch {
      // already logged out
    }
    for (const s of sessions) p11.C_CloseSession(s);
    mod.release();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Server ops/s beside the ceiling's, per case and connection count, as a Markdown table. */
export function ratioTable(server: readonly ScenarioResult[], ceiling: readonly CeilingResult[]): string {
  const lines = [
    '| operation | conns | kmipd ops/s | in-process pkcs11js ops/s | kmipd / ceiling | kmipd p50 ms | ceiling p50 ms |',
    '|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const c of ceiling) {
    const s = server.find((r) => r.name === c.name && r.connections === c.concurrency);
    const ratio = s === undefined ? '-' : (s.opsPerSec / c.opsPerSec).toFixed(2);
    const fmt = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : Math.round(n).toLocaleString('en-US'));
    lines.push(
      `| ${c.name} | ${c.concurrency} | ${fmt(s?.opsPerSec)} | ${fmt(c.opsPerSec)} | ${ratio} | ${s === undefined ? '-' : (s.p50 / 1000).toFixed(2)} | ${(c.p50 / 1000).toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}
