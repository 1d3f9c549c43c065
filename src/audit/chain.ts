/**
 * The hash-chained audit log: one canonical serialisation, sealing, and the verifier
 * (CONVENTIONS.md §5).
 *
 * Canonical form (format version 1): the UTF-8 bytes of a JSON object with exactly these keys in
 * this order, no whitespace, `connId` and `batchItemId` omitted when undefined:
 *
 *   {"v":1,"seq":N,"time":"…","principal":"…","operation":"…","uids":["…"],"result":"…",
 *    "connId":"…","batchItemId":"…","prevHash":"<64 hex>"}
 *
 * Strings are escaped as ECMAScript's (well-formed) JSON.stringify does, which is fully specified,
 * so the bytes depend on the record only. `hash` is the lowercase hex SHA-256 of those bytes; it
 * covers `v`, `seq` and `prevHash`, so changing, removing, reordering or renumbering records breaks
 * the chain at a nameable sequence number.
 *
 * What a plain hash chain cannot catch is someone who rewrites the tail and recomputes every hash.
 * Room for that is made in two places: the store keeps an audit head (seq + hash) that the verifier
 * can be given as `expectedHead` (it only catches a careless forger: whoever can write the records
 * can write the head too), and `anchor` lets verification start from a trusted checkpoint.
 * The planned next step is HSM-signed checkpoints: every N records the server signs (seq, hash)
 * with a non-extractable HSM key and stores the signature beside the chain; the verifier then
 * checks signatures and verifies each segment from its checkpoint via `anchor`. Checkpoints are
 * separate records, so the format of this record (v: 1) does not need to change for them.
 *
 * Audit records never carry key material: sealing copies only the fields named above, so extra
 * properties smuggled into an entry object are dropped rather than persisted.
 */
import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';
import type { AuditEntry, AuditRecord } from './record.js';

/** The only record format version this code writes and verifies. */
export const AUDIT_FORMAT_VERSION = 1 as const;

/** Principal of audit records the server writes on its own behalf. */
export const SYSTEM_PRINCIPAL = 'kmipd';

/**
 * Operation of the record the store seals when, on open, the stored audit head disagrees with the
 * last record. Head and records are written in one atomic batch, so this means damage or
 * tampering before that point; the verifier lists these records so tools can surface them.
 */
export const AUDIT_HEAD_REPAIR = 'AuditHeadRepair';

/** prevHash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** A position in the chain: the last sequence number and its hash. */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

/** The result of {@link verifyAuditChain}. */
export type AuditVerification =
  | {
      readonly ok: true;
      readonly count: number;
      readonly lastHash: string;
      /** Seqs of AuditHeadRepair records: the chain is intact, but something was lost before each. */
      readonly repairs: readonly number[];
    }
  | { readonly ok: false; readonly seq: number; readonly reason: string };

/** Thrown while reading a stored record that cannot even be parsed; carries its sequence number. */
export class AuditRecordDecodeError extends Error {
  constructor(
    readonly seq: number,
    reason: string,
  ) {
    super(reason);
    this.name = 'AuditRecordDecodeError';
  }
}

/** The canonical bytes of a record without its hash (see the module comment for the format). */
export function canonicalAuditBytes(record: Omit<AuditRecord, 'hash'>): Buffer {
  return Buffer.from(canonicalAuditText(record), 'utf8');
}

/**
 * The canonical JSON text, written field by field in the fixed order, so that key order never
 * depends on the caller's object. Each value goes through JSON.stringify on its own, which gives
 * exactly the bytes JSON.stringify of the whole object would (the golden test pins them), without
 * building an intermediate object per record.
 */
function canonicalAuditText(record: Omit<AuditRecord, 'hash'>): string {
  let out = `{"v":${JSON.stringify(record.v)},"seq":${JSON.stringify(record.seq)},"time":${JSON.stringify(record.time)}`;
  out += `,"principal":${JSON.stringify(record.principal)},"operation":${JSON.stringify(record.operation)}`;
  out += `,"uids":${JSON.stringify([...record.uids])},"result":${JSON.stringify(record.result)}`;
  if (record.connId !== undefined) out += `,"connId":${JSON.stringify(record.connId)}`;
  if (record.batchItemId !== undefined) out += `,"batchItemId":${JSON.stringify(record.batchItemId)}`;
  return `${out},"prevHash":${JSON.stringify(record.prevHash)}}`;
}

/** Hex SHA-256 of the canonical bytes of `record` (ignoring any `hash` it carries). */
export function auditRecordHash(record: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(canonicalAuditBytes(record)).digest('hex');
}

/** Seals `entry` as the record following `prev` (or as record 1 when `prev` is undefined). */
export function sealAuditRecord(prev: AuditHead | undefined, entry: AuditEntry): AuditRecord {
  const unsealed = unsealedRecord(prev, entry);
  return { ...unsealed, hash: auditRecordHash(unsealed) };
}

/** The record `entry` becomes after `prev`, checked, without its hash. */
function unsealedRecord(prev: AuditHead | undefined, entry: AuditEntry): Omit<AuditRecord, 'hash'> {
  const unsealed: Omit<AuditRecord, 'hash'> = {
    v: AUDIT_FORMAT_VERSION,
    seq: prev === undefined ? 1 : prev.seq + 1,
    time: entry.time,
    principal: entry.principal,
    operation: entry.operation,
    uids: [...entry.uids],
    result: entry.result,
    ...(entry.connId !== undefined ? { connId: entry.connId } : {}),
    ...(entry.batchItemId !== undefined ? { batchItemId: entry.batchItemId } : {}),
    prevHash: prev === undefined ? GENESIS_HASH : prev.hash,
  };
  const problem = shapeProblem(unsealed);
  if (problem !== undefined) throw new TypeError(`cannot seal audit entry: ${problem}`);
  return unsealed;
}

/**
 * {@link sealAuditRecord} and {@link encodeAuditRecord} in one, for the commit path, which seals
 * every request's record on the event loop: the entry is checked and serialised once, straight
 * from its fields (no intermediate record object), and hashed in one call. The bytes and record
 * are exactly those of the two-step path (property test in chain.test.ts).
 */
export function sealAndEncodeAuditRecord(prev: AuditHead | undefined, entry: AuditEntry): { record: AuditRecord; bytes: Buffer } {
  const problem = entryProblem(entry);
  if (problem !== undefined) throw new TypeError(`cannot seal audit entry: ${problem}`);
  const seq = prev === undefined ? 1 : prev.seq + 1;
  const prevHash = prev === undefined ? GENESIS_HASH : prev.hash;
  if (!Number.isSafeInteger(seq) || seq < 1) throw new TypeError('cannot seal audit entry: seq is not a positive integer');
  // The commit path seals onto the hash it produced last: that one is known to be well formed.
  if (prevHash !== lastSealedHash && (prevHash.length !== 64 || !HEX64.test(prevHash))) throw new TypeError('cannot seal audit entry: prevHash is not 64 lowercase hex digits');
  const { time, principal, operation, result, connId, batchItemId } = entry;
  const uids = entry.uids.slice();
  let text = `{"v":${AUDIT_FORMAT_VERSION},"seq":${seq},"time":${jsonString(time)},"principal":${jsonString(principal)}`;
  text += `,"operation":${jsonString(operation)},"uids":${jsonStrings(uids)},"result":${jsonString(result)}`;
  if (connId !== undefined) text += `,"connId":${jsonString(connId)}`;
  if (batchItemId !== undefined) text += `,"batchItemId":${jsonString(batchItemId)}`;
  // The hash is lowercase hex: no escaping needed. One buffer holds the stored form: the canonical
  // bytes (`text` + "}") are hashed in place, then their closing brace becomes `,"hash":"…"}`.
  text += `,"prevHash":"${prevHash}"`;
  const n = Buffer.byteLength(text, 'utf8');
  const bytes = Buffer.allocUnsafe(n + HASH_SUFFIX_LENGTH);
  bytes.write(text, 0, n, 'utf8');
  bytes[n] = 0x7d; // }
  const hash = sha256Hex(bytes.subarray(0, n + 1));
  lastSealedHash = hash;
  bytes.write(`,"hash":"${hash}"}`, n, HASH_SUFFIX_LENGTH, 'latin1');
  const record: AuditRecord =
    connId === undefined && batchItemId === undefined
      ? { v: AUDIT_FORMAT_VERSION, seq, time, principal, operation, uids, result, prevHash, hash }
      : {
          v: AUDIT_FORMAT_VERSION,
          seq,
          time,
          principal,
          operation,
          uids,
          result,
          ...(connId !== undefined ? { connId } : {}),
          ...(batchItemId !== undefined ? { batchItemId } : {}),
          prevHash,
          hash,
        };
  return { record, bytes };
}

/** The hash {@link sealAndEncodeAuditRecord} computed last: hex SHA-256 output, so no need to re-check it as a prevHash. */
let lastSealedHash = GENESIS_HASH;

/** Length of `,"hash":"<64 hex>"}`, what the stored form adds after the canonical text. */
const HASH_SUFFIX_LENGTH = ',"hash":""}'.length + 64;

/** Lowercase hex SHA-256 of some bytes; one call where Node has `crypto.hash` (20.12+). */
const oneShot = (nodeCrypto as Partial<typeof nodeCrypto>).hash;
const sha256Hex: (data: Uint8Array) => string =
  oneShot === undefined ? (data) => createHash('sha256').update(data).digest('hex') : (data) => oneShot('sha256', data, 'hex');

/**
 * Characters JSON.stringify leaves alone in a string: not `"`, `\`, a control character or a
 * surrogate (well-formed JSON.stringify escapes lone ones). A string made only of these is
 * serialised as itself in quotes, which the common values (uids, names, ISO times, hex) are; one
 * regex test costs less than JSON.stringify, and anything else still goes through it.
 */
const PLAIN_JSON_STRING = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/** Exactly JSON.stringify(s) for a string. */
function jsonString(s: string): string {
  return PLAIN_JSON_STRING.test(s) ? `"${s}"` : JSON.stringify(s);
}

/** Exactly JSON.stringify(list) for a list of strings. */
function jsonStrings(list: readonly string[]): string {
  if (list.length === 1) return `[${jsonString(list[0]!)}]`;
  return JSON.stringify(list);
}

/** Why an entry's fields would not make a well-formed record, or undefined. */
function entryProblem(e: AuditEntry): string | undefined {
  if (typeof e.time !== 'string') return 'time is not a string';
  if (typeof e.principal !== 'string') return 'principal is not a string';
  if (typeof e.operation !== 'string') return 'operation is not a string';
  if (typeof e.result !== 'string') return 'result is not a string';
  const uids: unknown = e.uids;
  if (!Array.isArray(uids)) return 'uids is not a list of strings';
  for (let i = 0; i < uids.length; i++) if (typeof uids[i] !== 'string') return 'uids is not a list of strings';
  if (e.connId !== undefined && typeof e.connId !== 'string') return 'connId is not a string';
  if (e.batchItemId !== undefined && typeof e.batchItemId !== 'string') return 'batchItemId is not a string';
  return undefined;
}

/** Stored form of a sealed record: its canonical bytes with the hash added as the last key. */
export function encodeAuditRecord(record: AuditRecord): Buffer {
  const canonical = canonicalAuditBytes(record);
  // Appending `,"hash":"…"}` keeps the stored value the canonical bytes plus the hash, so a
  // reader can see exactly what was hashed.
  return Buffer.concat([canonical.subarray(0, canonical.length - 1), Buffer.from(`,"hash":${JSON.stringify(record.hash)}}`)]);
}

/**
 * Parses a stored record. Only JSON syntax is checked here: the verifier judges the content, so
 * that a tampered record is reported with its sequence number rather than failing the read.
 */
export function decodeAuditRecord(bytes: Uint8Array, seqFromKey: number): AuditRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new AuditRecordDecodeError(seqFromKey, 'record is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AuditRecordDecodeError(seqFromKey, 'record is not a JSON object');
  }
  return parsed as AuditRecord;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Why `r` is not a well-formed record of the current version, or undefined if it is. */
function shapeProblem(r: Omit<AuditRecord, 'hash'> & { hash?: unknown }): string | undefined {
  if (!Number.isSafeInteger(r.seq) || r.seq < 1) return 'seq is not a positive integer';
  for (const f of ['time', 'principal', 'operation', 'result'] as const) {
    if (typeof r[f] !== 'string') return `${f} is not a string`;
  }
  if (!Array.isArray(r.uids) || !r.uids.every((u) => typeof u === 'string')) return 'uids is not a list of strings';
  for (const f of ['connId', 'batchItemId'] as const) {
    if (r[f] !== undefined && typeof r[f] !== 'string') return `${f} is not a string`;
  }
  if (typeof r.prevHash !== 'string' || !HEX64.test(r.prevHash)) return 'prevHash is not 64 lowercase hex digits';
  if ('hash' in r && (typeof r.hash !== 'string' || !HEX64.test(r.hash))) return 'hash is not 64 lowercase hex digits';
  return undefined;
}

/** Options of {@link verifyAuditChain}. */
export interface VerifyOptions {
  /**
   * Start after this trusted position (e.g. a signed checkpoint) instead of at the genesis: the
   * first record must then have seq = anchor.seq + 1 and prevHash = anchor.hash.
   */
  readonly anchor?: AuditHead;
  /** The head the store recorded; a chain that ends before or after it fails. */
  readonly expectedHead?: AuditHead;
}

/**
 * Verifies a chain given in storage order. Fails at the first bad record, naming its seq: a
 * changed record (hash mismatch), a removed one (seq gap: the missing seq is named), reordered
 * ones (seq out of order), one appended out of band (bad prevHash or hash, or beyond
 * `expectedHead`), or an unknown format version. Decode errors thrown by the source while
 * iterating ({@link AuditRecordDecodeError}) are reported the same way.
 */
export async function verifyAuditChain(
  records: AsyncIterable<AuditRecord> | Iterable<AuditRecord>,
  opts: VerifyOptions = {},
): Promise<AuditVerification> {
  let expectedSeq = (opts.anchor?.seq ?? 0) + 1;
  let prevHash = opts.anchor?.hash ?? GENESIS_HASH;
  let count = 0;
  const repairs: number[] = [];
  try {
    for await (const r of records) {
      const seq: unknown = r.seq;
      if (r.v !== AUDIT_FORMAT_VERSION) {
        return fail(expectedSeq, `unsupported audit format version ${JSON.stringify(r.v)}`);
      }
      if (seq !== expectedSeq) {
        if (typeof seq === 'number' && seq > expectedSeq) {
          return fail(expectedSeq, `record ${expectedSeq} is missing or out of order (found seq ${seq} in its place)`);
        }
        return fail(expectedSeq, `record out of order: expected seq ${expectedSeq}, found seq ${String(seq)}`);
      }
      const problem = shapeProblem(r);
      if (problem !== undefined) return fail(expectedSeq, `malformed record: ${problem}`);
      if (r.prevHash !== prevHash) {
        return fail(expectedSeq, 'prevHash does not match the hash of the previous record');
      }
      if (auditRecordHash(r) !== r.hash) {
        return fail(expectedSeq, 'hash does not match the record content (record altered)');
      }
      if (r.operation === AUDIT_HEAD_REPAIR && r.principal === SYSTEM_PRINCIPAL) repairs.push(r.seq);
      prevHash = r.hash;
      expectedSeq++;
      count++;
    }
  } catch (err) {
    if (err instanceof AuditRecordDecodeError) return fail(err.seq, err.message);
    throw err;
  }
  const lastSeq = expectedSeq - 1;
  const head = opts.expectedHead;
  if (head !== undefined) {
    if (lastSeq < head.seq) {
      return fail(lastSeq + 1, `record ${lastSeq + 1} is missing (the audit head records seq ${head.seq})`);
    }
    if (lastSeq > head.seq) {
      return fail(head.seq + 1, `record beyond the audit head (seq ${head.seq}): appended out of band`);
    }
    if (lastSeq > 0 && head.hash !== prevHash) return fail(lastSeq, 'hash differs from the one in the audit head');
  }
  return { ok: true, count, lastHash: prevHash, repairs };
}

function fail(seq: number, reason: string): AuditVerification {
  return { ok: false, seq, reason };
}
