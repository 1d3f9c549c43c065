/**
 * Attributes the server sets when it generates a key (Create; shared so Create Key Pair and
 * Register can adopt it): Digest, Sensitive / Always Sensitive / Extractable / Never Extractable,
 * Random Number Generator and Fresh. They are stored whatever the request's version; responses
 * filter them per version with `attributesForVersion` (Fresh is 1.1+, Random Number Generator
 * 1.3+, the sensitivity flags 1.4+), so a 1.x client never sees a 2.x-only one.
 */
import { createHash } from 'node:crypto';
import type { Attribute } from '../kmip/attributes.js';
import { DRBGAlgorithm, CryptographicAlgorithm, HashingAlgorithm, RNGAlgorithm, State, Tag } from '../kmip/generated/index.js';
import { bool, bytes, dateTime, enm, int, struct, text } from '../ttlv/build.js';
import type { TtlvNode } from '../ttlv/types.js';
import { attr } from './objects.js';

/**
 * Digest (KMIP 1.4 §3.17, 2.1 §4.19): SHA-256 over the key material in the given Key Format Type
 * (for a Raw symmetric key, the key bytes), as in OASIS SKLC-M-1/2/3: { Hashing Algorithm SHA-256,
 * Digest Value, Key Format Type }. The caller zeroes `material`.
 */
export function digestAttribute(material: Uint8Array, keyFormatType: number): TtlvNode {
  return struct(Tag.Digest, [
    enm(Tag.HashingAlgorithm, HashingAlgorithm.SHA_256),
    bytes(Tag.DigestValue, createHash('sha256').update(material).digest()),
    enm(Tag.KeyFormatType, keyFormatType),
  ]);
}

/**
 * Random Number Generator (KMIP 1.4 §3.44, 2.1 §4.48): the generator behind server-generated keys.
 * Keys come from the PKCS#11 token's C_GenerateKey; the embedded SoftHSM2 token draws on OpenSSL's
 * default DRBG, a NIST SP 800-90A CTR_DRBG with AES-256. (The OASIS vectors show their server's
 * ANSI X9.31 generator; we describe ours.)
 */
export function rngAttribute(): TtlvNode {
  return struct(Tag.RandomNumberGenerator, [
    enm(Tag.RNGAlgorithm, RNGAlgorithm.DRBG),
    enm(Tag.CryptographicAlgorithm, CryptographicAlgorithm.AES),
    int(Tag.CryptographicLength, 256),
    enm(Tag.DRBGAlgorithm, DRBGAlgorithm.CTR),
  ]);
}

/**
 * The server-set attributes of a key generated now: Fresh = True (1.4 §3.34, 2.1 §4.22: not yet
 * served to a client), the sensitivity flags from how the key was generated (1.4 §3.48–3.51,
 * 2.1 §4.20, 4.42: Sensitive defaults to False, Extractable to True; Always Sensitive and Never
 * Extractable start equal to them), and the Random Number Generator. Attributes the client
 * supplied (Sensitive, Extractable, Fresh, Random Number Generator may be set by either) are kept.
 */
export function generatedKeyAttributes(clientAttrs: readonly Attribute[], opts: { extractable: boolean; digest?: TtlvNode }): Attribute[] {
  const probe = { attributes: clientAttrs };
  const sensitive = attr(probe, Tag.Sensitive);
  const isSensitive = sensitive?.type === 'Boolean' && sensitive.value;
  const out: TtlvNode[] = [];
  if (opts.digest !== undefined) out.push(opts.digest);
  if (attr(probe, Tag.Fresh) === undefined) out.push(bool(Tag.Fresh, true));
  if (sensitive === undefined) out.push(bool(Tag.Sensitive, false));
  out.push(bool(Tag.AlwaysSensitive, isSensitive));
  if (attr(probe, Tag.Extractable) === undefined) out.push(bool(Tag.Extractable, opts.extractable));
  out.push(bool(Tag.NeverExtractable, !opts.extractable));
  if (attr(probe, Tag.RandomNumberGenerator) === undefined) out.push(rngAttribute());
  return out.map((value) => ({ tag: value.tag, value }));
}

/**
 * The attributes every new object starts with (Create, Register, Create Key Pair): Unique
 * Identifier, Object Type, State (Active at once when the client's Activation Date is at or before
 * now, KMIP 1.4 §3.24 / 2.1 §4.13, else Pre-Active), Initial and Last Change Date, and Original
 * Creation Date unless the client supplied one (a 1.2+ attribute, 1.4 §3.43 / 2.1 §4.46; stored
 * whatever the version and left out of responses to 1.0 / 1.1 clients by `attributesForVersion`).
 */
export function initialAttributes(uid: string, objectType: number, clientAttrs: readonly Attribute[], nowSeconds: bigint): TtlvNode[] {
  const probe = { attributes: clientAttrs };
  const activation = attr(probe, Tag.ActivationDate);
  const active = activation?.type === 'DateTime' && activation.value <= nowSeconds;
  const out: TtlvNode[] = [
    text(Tag.UniqueIdentifier, uid),
    enm(Tag.ObjectType, objectType),
    enm(Tag.State, active ? State.Active : State.PreActive),
    dateTime(Tag.InitialDate, nowSeconds),
    dateTime(Tag.LastChangeDate, nowSeconds),
  ];
  if (attr(probe, Tag.OriginalCreationDate) === undefined) out.push(dateTime(Tag.OriginalCreationDate, nowSeconds));
  return out;
}
